"""Benchmark: pitstop's wall time against a bare `docker run` of the same commands, and
`pitstop --help` start-up. Prints medians; run on purpose, not in the test suite.

    .venv/bin/python bench/bench_build.py [--runs 5]

Both builds use the warm build image and the same warm npm cache volume, on a committed copy
of examples/vite-npm; pitstop runs with --no-cache so it does the same work as the bare run
(its unchanged-rebuild time, with caches, is printed too).
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


def timed(cmd: list[str], **kwargs: object) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **kwargs)
    return time.perf_counter() - start


def make_repo(where: Path) -> Path:
    repo = where / "vite-npm"
    shutil.copytree(
        ROOT / "examples" / "vite-npm", repo, ignore=shutil.ignore_patterns("node_modules", "dist")
    )
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "b",
        "GIT_AUTHOR_EMAIL": "b@example.com",
        "GIT_COMMITTER_NAME": "b",
        "GIT_COMMITTER_EMAIL": "b@example.com",
    }
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "bench"]):
        subprocess.run(["git", *args], cwd=repo, env=env, check=True)
    return repo


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    from runner.container_env import CA_PATH, container_environment, host_ca_bundle
    from runner.engine import DockerEngine
    from runner.image import ensure_image
    from runner.paths import Paths

    work = Path(tempfile.mkdtemp(prefix="pitstop-bench-"))
    env = {**os.environ, "PITSTOP_HOME": str(work / "home"), "NO_COLOR": "1"}
    try:
        client = DockerEngine.connect().client
        image = ensure_image(client, downloads=Paths.default().downloads)
        repo = make_repo(work)
        ca = host_ca_bundle(os.environ)
        cenv = container_environment(os.environ, with_ca=ca is not None).env

        def bare() -> float:
            src = work / "bare-src"
            shutil.rmtree(src, ignore_errors=True)
            shutil.copytree(repo, src, ignore=shutil.ignore_patterns(".git"))
            os.chown(src, 1000, 1000)
            for path in src.rglob("*"):
                os.chown(path, 1000, 1000)
            cmd = [
                "docker",
                "run",
                "--rm",
                "--init",
                "-u",
                "1000:1000",
                "-w",
                "/workspace",
                "-v",
                f"{src}:/workspace",
                "-v",
                "pitstop-store-npm:/home/pitstop/.npm",
            ]
            if ca is not None:
                cmd += ["-v", f"{ca}:{CA_PATH}:ro"]
            for key, value in cenv.items():
                cmd += ["-e", f"{key}={value}"]
            cmd += [image, "bash", "-c", "npm ci && npm run build"]
            return timed(cmd)

        def pitstop(*flags: str) -> float:
            out = work / "out"
            return timed([PITSTOP, "build", str(repo), "--out", str(out), *flags], env=env)

        def help_() -> float:
            return timed([PITSTOP, "--help"], env=env)

        bare(), pitstop("--no-cache")  # warm the npm cache volume and the page cache
        bares, pits, memo = [], [], []
        for _ in range(args.runs):  # interleave so machine noise hits both alike
            bares.append(bare())
            pits.append(pitstop("--no-cache"))
            memo.append(pitstop())
        helps = [help_() for _ in range(max(10, args.runs))]
        b, p = statistics.median(bares), statistics.median(pits)
        print(f"runs: {args.runs} (vite-npm, warm image {image}, warm npm cache)")
        print(
            f"bare docker run (npm ci && npm run build): median {b:.2f} s  "
            f"[{', '.join(f'{x:.2f}' for x in bares)}]"
        )
        print(
            f"pitstop build --no-cache (same commands):    median {p:.2f} s  "
            f"[{', '.join(f'{x:.2f}' for x in pits)}]"
        )
        print(f"overhead: {p - b:+.2f} s (ratio {p / b:.2f}x)   target <= +1.5 s")
        print(f"pitstop build, unchanged (output memo): median {statistics.median(memo):.2f} s")
        print(
            f"pitstop --help: median {statistics.median(helps) * 1000:.0f} ms over {len(helps)} "
            f"runs   target <= 300 ms"
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
