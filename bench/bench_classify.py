"""Benchmark the failure classifier (run on purpose, not in the test suite).

    python bench/bench_classify.py [--lines 1000000] [--runs 5] [--builds 10000]

Prints lines/s for one generated, realistic million-line failed build log (median of
several runs) and the time to classify 10,000 failed build logs taken from the fixtures
(the classifier's share of ``pitstop reclassify``).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from runner.diagnose import diagnose  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures" / "logs"

NOISE = (
    "transforming src/components/Card{n}.tsx",
    "\x1b[32m✓\x1b[39m {n} modules transformed.",
    "dist/assets/index-{n}.js   {n}.21 kB │ gzip: 52.11 kB",
    "npm warn deprecated inflight@1.0.6: This module is not supported, and leaks memory.",
    "Progress: resolved {n}, reused {n}, downloaded 0, added {n}",
    "[webpack.Progress] {n}% building {n}/{n} entries {n}/{n} dependencies",
    "    at Module._compile (node:internal/modules/cjs/loader:1256:14)",
    "   Generating static pages ({n}/2000) ...",
    "(!) Some chunks are larger than 500 kB after minification. Consider:",
    'warning " > eslint-plugin-react@7.33.{n}" has unmet peer dependency "eslint@^8".',
    "{n}:{n}:29 [build] ✓ Completed in {n}ms.",
    "  ├ ○ /blog/post-{n}                           1.2 kB        92.1 kB",
    "info  - Collecting page data ...",
    "src/pages/post-{n}.astro: rendered in 12ms",
)


def make_log(n_lines: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    lines = [rng.choice(NOISE).format(n=rng.randrange(10_000)) for _ in range(n_lines - 40)]
    tail = (FIXTURES / "module_not_found" / "webpack-cant-resolve.log").read_text().splitlines()
    return lines + tail[:40]


def bench_big(n_lines: int, runs: int) -> None:
    lines = make_log(n_lines)
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        d = diagnose(lines, failed_step="build")
        times.append(time.perf_counter() - t0)
    med = statistics.median(times)
    print(
        f"million-line log: {n_lines:,} lines -> {d.code} in {med:.2f} s median of {runs} "
        f"({n_lines / med:,.0f} lines/s; min {min(times):.2f} s, max {max(times):.2f} s)"
    )


def bench_unknown(n_lines: int) -> None:
    rng = random.Random(3)
    lines = [rng.choice(NOISE).format(n=rng.randrange(10_000)) for _ in range(n_lines - 1)]
    lines.append("QuasarGenError: template partial 'header' missing for page about.md")
    t0 = time.perf_counter()
    d = diagnose(lines)
    dt = time.perf_counter() - t0
    print(
        f"million-line log, no rule matches: -> {d.code} in {dt:.2f} s "
        f"({n_lines / dt:,.0f} lines/s)"
    )


def bench_builds(n_builds: int) -> None:
    logs = []
    for path in sorted(FIXTURES.glob("*/*.log")):
        logs.append(path.read_text().splitlines())
    t0 = time.perf_counter()
    total = 0
    for i in range(n_builds):
        total += len(diagnose(logs[i % len(logs)]).evidence)
    dt = time.perf_counter() - t0
    print(
        f"reclassify (classifier only): {n_builds:,} stored failed builds in {dt:.2f} s "
        f"({n_builds / dt:,.0f} builds/s)"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--lines", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--builds", type=int, default=10_000)
    args = ap.parse_args()
    bench_big(args.lines, args.runs)
    bench_unknown(args.lines)
    bench_builds(args.builds)


if __name__ == "__main__":
    main()
