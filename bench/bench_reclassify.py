"""Benchmark ``pitstop reclassify`` over many stored failed builds (run on purpose).

    python bench/bench_reclassify.py [--builds 10000] [--min-lines 200] [--max-lines 2000]
                                     [--home DIR] [--jobs N]

Creates the builds in a temporary PITSTOP_HOME (or reuses ``--home`` if it already holds
them): each is a realistic failed log of 200–2000 lines, progress and warning noise
followed by one captured real-tool failure from ``tests/fixtures/logs``, stored with a
diagnosis from "older rules" so every build must be rewritten. Then it times the real
command twice: the first run replaces every diagnosis, the second (idempotent) run
changes nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from runner.models import LogLine, Phase, Status, StepTiming  # noqa: E402
from runner.store import Store  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures" / "logs"
NOISE = (
    "npm warn deprecated inflight@1.0.6: This module is not supported, and leaks memory.",
    "npm warn deprecated glob@7.2.{n}: Glob versions prior to v9 are no longer supported",
    "Progress: resolved {n}, reused {n}, downloaded 0, added {n}",
    "added {n} packages, and audited {n} packages in 14s",
    "transforming src/components/Card{n}.tsx",
    "\x1b[32m✓\x1b[39m {n} modules transformed.",
    "dist/assets/index-{n}.js   {n}.21 kB │ gzip: 52.11 kB",
    "[webpack.Progress] {n}% building {n}/{n} entries {n}/{n} dependencies",
    "   Generating static pages ({n}/2000) ...",
    "(!) Some chunks are larger than 500 kB after minification. Consider:",
    'warning " > eslint-plugin-react@7.33.{n}" has unmet peer dependency "eslint@^8".',
    "  ├ ○ /blog/post-{n}                           1.2 kB        92.1 kB",
    "info  - Collecting page data ...",
    "src/pages/post-{n}.astro: rendered in 12ms",
)
INSTALL_CODES = {
    "lockfile_out_of_sync",
    "dependency_conflict",
    "package_not_found",
    "version_not_found",
    "engine_incompatible",
    "registry_auth_failed",
    "integrity_error",
    "native_build_failed",
    "wrong_package_manager",
}


def fixture_logs() -> list[tuple[list[str], Phase]]:
    out = []
    for path in sorted(FIXTURES.glob("*/*.log")):
        code = json.loads(path.with_suffix(".json").read_text())["code"]
        lines = path.read_text(encoding="utf-8").splitlines()
        out.append((lines, Phase.INSTALL if code in INSTALL_CODES else Phase.BUILD))
    return out


def generate(home: Path, n_builds: int, lo: int, hi: int, seed: int = 11) -> int:
    """Store ``n_builds`` failed builds; returns the number of log lines written."""
    rng = random.Random(seed)
    logs = fixture_logs()
    total = 0
    now = time.time()
    with Store(home / "data" / "history.sqlite3") as store:
        for i in range(n_builds):
            tail, phase = logs[i % len(logs)]
            size = max(rng.randint(lo, hi), len(tail))
            noise = [rng.choice(NOISE).format(n=rng.randrange(10_000)) for _ in range(size)]
            texts = noise[: size - len(tail)] + tail
            build_id = store.create_build(
                source="https://github.com/acme/site", ref="main", root=".", created_at=now
            )
            step = str(phase)
            ts = now + i
            store.append_lines(
                build_id,
                [LogLine(n + 1, ts, step, "stdout", t) for n, t in enumerate(texts)],
            )
            store.update_build(
                build_id,
                status=Status.FAILED,
                phase=phase,
                steps=[StepTiming(step, ts, ts + 1, exit_code=1)],
                exit_code=1,
                finished_at=ts + 1,
                diagnosis={"code": "unknown", "rule": "older-rules", "group": ""},
            )
            total += len(texts)
            if (i + 1) % 1000 == 0:
                print(f"  generated {i + 1:,} builds", file=sys.stderr)
        store.checkpoint(truncate=True)
    return total


def reclassify(home: Path, jobs: int) -> tuple[float, dict]:
    env = {**os.environ, "PITSTOP_HOME": str(home), "PYTHONPATH": str(ROOT)}
    t0 = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "cli.app", "reclassify", "--json", "--jobs", str(jobs)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return time.perf_counter() - t0, json.loads(done.stdout)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--builds", type=int, default=10_000)
    ap.add_argument("--min-lines", type=int, default=200)
    ap.add_argument("--max-lines", type=int, default=2000)
    ap.add_argument("--home", type=Path, help="reuse (or create and keep) this PITSTOP_HOME")
    ap.add_argument("--jobs", type=int, default=0, help="worker processes (0: one per CPU)")
    args = ap.parse_args()
    home = args.home or Path(tempfile.mkdtemp(prefix="pitstop-bench-"))
    try:
        db = home / "data" / "history.sqlite3"
        if not db.exists():
            t0 = time.perf_counter()
            lines = generate(home, args.builds, args.min_lines, args.max_lines)
            print(
                f"stored {args.builds:,} failed builds, {lines:,} log lines "
                f"({db.stat().st_size / 1e6:,.0f} MB) in {time.perf_counter() - t0:.1f} s"
            )
        else:  # make every diagnosis stale again
            with Store(db) as store:
                ids = [b.id for b in store.failed_builds(0, 10**9)]
                store.set_diagnoses({i: {"code": "unknown", "rule": "older-rules"} for i in ids})
        first, report = reclassify(home, args.jobs)
        print(
            f"pitstop reclassify: {report['processed']:,} builds in {first:.1f} s "
            f"({report['processed'] / first:,.0f} builds/s; "
            f"{report['changed_total']:,} changed, {report['updated']:,} updated)"
        )
        second, report = reclassify(home, args.jobs)
        print(
            f"pitstop reclassify again (idempotent): {second:.1f} s, "
            f"{report['changed_total'] + report['updated']} changed"
        )
    finally:
        if args.home is None:
            shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
