"""Benchmark: the pre-push hook's wall time. Prints medians; run on purpose, not in the suite.

    .venv/bin/python bench/bench_hook.py [--runs 5]

1. Already built: a real `git push` of a commit pitstop has built, under a new branch name
   (target: the hook ≤ 1 s), plus `pitstop hook run` alone with the same stdin.
2. Fresh commit: a real `git push` of a new commit (the hook builds it) against a bare
   `pitstop build --ref <sha>` of another new commit with the same kind of change; and a
   `pitstop build` of the commit the hook just built (served by the output memo).

Uses a committed copy of examples/vite-npm, a bare remote in a temp dir, the warm build image
and the warm npm cache volume.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PITSTOP = str(Path(sys.executable).with_name("pitstop"))
ZERO = "0" * 40


def run(cmd: list[str], cwd: Path, env: dict[str, str], stdin: str | None = None) -> float:
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=env, input=stdin, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return elapsed


def git(repo: Path, env: dict[str, str], *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=repo, env=env, check=True, capture_output=True, text=True
    ).stdout.strip()


def new_commit(repo: Path, env: dict[str, str], n: int) -> str:
    (repo / "src" / "bench.js").write_text(f"export const n = {n}; // {time.time_ns()}\n")
    git(repo, env, "add", "-A")
    git(repo, env, "commit", "-q", "-m", f"bench {n}")
    return git(repo, env, "rev-parse", "HEAD")


def med(values: list[float]) -> str:
    return (
        f"median {statistics.median(values):6.3f} s  (min {min(values):.3f}, max {max(values):.3f})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="pitstop-bench-hook-"))
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("CI", "PITSTOP_SKIP") and not k.startswith("GIT_")
    }
    env.update(
        PITSTOP_HOME=str(work / "home"),
        NO_COLOR="1",
        GIT_AUTHOR_NAME="b",
        GIT_AUTHOR_EMAIL="b@example.com",
        GIT_COMMITTER_NAME="b",
        GIT_COMMITTER_EMAIL="b@example.com",
    )
    try:
        repo = work / "vite-npm"
        shutil.copytree(
            ROOT / "examples" / "vite-npm",
            repo,
            ignore=shutil.ignore_patterns("node_modules", "dist"),
        )
        remote = work / "remote.git"
        git(work, env, "init", "-q", "--bare", str(remote))
        git(repo, env, "init", "-q", "-b", "main")
        git(repo, env, "add", "-A")
        git(repo, env, "commit", "-q", "-m", "bench")
        git(repo, env, "remote", "add", "origin", str(remote))
        run([PITSTOP, "hook", "install"], repo, env)

        # Warm up: the first push builds (finds the image, fills the npm volume).
        run(["git", "push", "-q", "origin", "main"], repo, env)
        sha = git(repo, env, "rev-parse", "HEAD")

        built_push, built_run = [], []
        for i in range(args.runs):
            built_push.append(
                run(["git", "push", "-q", "origin", f"HEAD:refs/heads/b{i}"], repo, env)
            )
            line = f"refs/heads/main {sha} refs/heads/c{i} {ZERO}\n"
            built_run.append(run([PITSTOP, "hook", "run", "origin", str(remote)], repo, env, line))

        # Each fresh commit changes the same file the same way; dependencies are cached for
        # both. The bare build gets a fresh commit of its own; the memo line rebuilds the commit
        # the hook just built.
        fresh_push, bare_build, memo_build = [], [], []
        for i in range(args.runs):
            pushed = new_commit(repo, env, 2 * i)
            fresh_push.append(run(["git", "push", "-q", "origin", "main"], repo, env))
            memo_build.append(run([PITSTOP, "build", ".", "--ref", pushed], repo, env))
            other = new_commit(repo, env, 2 * i + 1)
            bare_build.append(run([PITSTOP, "build", ".", "--ref", other], repo, env))
            run(["git", "push", "-q", "--no-verify", "origin", "main"], repo, env)

        print(f"pre-push hook benchmark, {args.runs} runs each (examples/vite-npm)")
        print(f"  already built: git push (hook included)   {med(built_push)}")
        print(f"  already built: pitstop hook run alone      {med(built_run)}")
        target = statistics.median(built_run) <= 1.0
        print(f"    target ≤ 1 s for the hook: {'met' if target else 'MISSED'}")
        print(f"  fresh commit:  git push (hook builds it)   {med(fresh_push)}")
        print(f"  fresh commit:  bare pitstop build --ref    {med(bare_build)}")
        overhead = statistics.median(fresh_push) - statistics.median(bare_build)
        print(f"    hook + push overhead over a bare build: {overhead:+.3f} s")
        print(f"  pitstop build of the commit the hook built {med(memo_build)}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
