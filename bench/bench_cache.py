"""Benchmark: what each cache saves, per example. Prints medians; run on purpose.

    .venv/bin/python bench/bench_cache.py [--runs 3] [--examples vite-npm gatsby pnpm-workspace]

For each example (a committed copy in a temp repo, with package-manager stores of its own so
"cold" really is cold):
- install cold (empty store), warm store (--no-cache: store warm, no dependency image) and
  installed-dependencies hit (a source change: the dependency image is reused) — each as the
  time of the init + install steps, which is where a restore is paid;
- build first (no framework cache) and with the framework cache restored;
- an unchanged rebuild's total wall time (the output memo).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PITSTOP = str(Path(sys.executable).with_name("pitstop"))
#: App roots of the examples that are workspaces (built with ``--root``).
APP_ROOTS = {"pnpm-workspace": "apps/web"}
GIT_ENV = {
    "GIT_AUTHOR_NAME": "b",
    "GIT_AUTHOR_EMAIL": "b@example.com",
    "GIT_COMMITTER_NAME": "b",
    "GIT_COMMITTER_EMAIL": "b@example.com",
}


def git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", *args], cwd=repo, env={**os.environ, **GIT_ENV}, check=True, capture_output=True
    )


def build(repo: Path, env: dict[str, str], *args: str) -> tuple[float, dict[str, float]]:
    start = time.perf_counter()
    proc = subprocess.run(
        [PITSTOP, "build", str(repo), "--json", *args], env=env, capture_output=True, text=True
    )
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"build of {repo} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-2000:]}")
    steps = {}
    for line in proc.stdout.splitlines():
        event = json.loads(line) if line.startswith("{") else {}
        if event.get("type") == "step_finished":
            steps[event["step"]] = event["duration"]
    return wall, steps


def copy_tracked(source: Path, dest: Path) -> None:
    """The example's committed files only: no build leftovers, and source folders that share
    a name with an output (a Vite site's ``public/``) are kept."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "."], cwd=source, check=True, capture_output=True, text=True
    ).stdout
    for rel in filter(None, listed.split("\0")):
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source / rel, dest / rel)


def touch_source(repo: Path, app_root: str) -> None:
    """A change that misses the output memo but not the dependencies (inside the app root:
    a file elsewhere in a workspace does not reach the app's output)."""
    marker = repo / app_root / "pitstop-bench.txt"
    marker.write_text(str(uuid.uuid4()))
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "touch")


def median(values: list[float]) -> str:
    return f"{statistics.median(values):6.2f} s" if values else "     - "


def bench(example: str, runs: int, work: Path) -> None:
    repo = work / example
    app_root = APP_ROOTS.get(example, ".")
    root_args = ("--root", app_root) if example in APP_ROOTS else ()
    copy_tracked(ROOT / "examples" / example, repo)
    git(repo, "init", "-q", "-b", "main")
    touch_source(repo, app_root)
    cold, warm, hit, first, framework, unchanged = [], [], [], [], [], []
    for run in range(runs):
        prefix = f"pitstop-bench-{uuid.uuid4().hex[:8]}"
        env = {
            **os.environ,
            "PITSTOP_HOME": str(work / f"home-{example}-{run}"),
            "PITSTOP_VOLUME_PREFIX": prefix,
            "NO_COLOR": "1",
        }
        try:
            _, s = build(repo, env, "--no-cache", *root_args)
            cold.append(s["init"] + s.get("provision", 0) + s["install"])
            first.append(s["build"])
            _, s = build(repo, env, "--no-cache", *root_args)
            warm.append(s["init"] + s.get("provision", 0) + s["install"])
            touch_source(repo, app_root)
            build(repo, env, *root_args)  # saves the dependency image and the framework cache
            touch_source(repo, app_root)
            _, s = build(repo, env, *root_args)
            hit.append(s["init"] + s.get("provision", 0) + s.get("install", 0))
            framework.append(s["build"])
            unchanged.append(build(repo, env, *root_args)[0])
        finally:
            for suffix in ("-store-npm", "-toolchains"):
                subprocess.run(
                    ["docker", "volume", "rm", "-f", prefix + suffix], capture_output=True
                )
    print(f"{example}  ({runs} runs, medians)")
    print(
        f"  install  cold store {median(cold)}   warm store {median(warm)}   "
        f"dependencies restored {median(hit)}   "
        f"(restore = {statistics.median(hit) / statistics.median(cold):.0%} of cold)"
    )
    print(f"  build    first      {median(first)}   with framework cache {median(framework)}")
    print(f"  unchanged rebuild, total wall time {median(unchanged)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--examples", nargs="+", default=["vite-npm", "gatsby", "pnpm-workspace"])
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="pitstop-bench-cache-"))
    try:
        for example in args.examples:
            bench(example, args.runs, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
