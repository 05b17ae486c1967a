"""How fast the history store takes log lines, and how far a follower lags.

Run: ``.venv/bin/python bench/bench_store.py [lines]``. Uses a temp dir; prints figures.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

from runner.models import LogLine, Status
from runner.store import LogWriter, Store

TEXT = "webpack 5.91.0 compiled module ./src/components/Header.tsx 4.2 KiB [built] [code gen]"


def bench_writer(store: Store, n: int) -> float:
    bid = store.create_build(source="bench", ref=None, root=".")
    start = time.perf_counter()
    with LogWriter(store, bid) as writer:
        for i in range(n):
            writer.add("build", "stdout", f"{i} {TEXT}")
    elapsed = time.perf_counter() - start
    assert store.line_count(bid) == n
    return n / elapsed


def bench_append(store: Store, n: int, batch: int) -> float:
    bid = store.create_build(source="bench", ref=None, root=".")
    rows = [LogLine(i, 0.0, "build", "stdout", f"{i} {TEXT}") for i in range(1, n + 1)]
    start = time.perf_counter()
    for k in range(0, n, batch):
        store.append_lines(bid, rows[k : k + batch])
    return n / (time.perf_counter() - start)


WRITER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from runner.models import Status
    from runner.store import LogWriter, Store
    path, bid, n, rate = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
    with Store(path) as store, LogWriter(store, bid) as w:
        start = time.monotonic()
        for i in range(n):
            w.add("build", "stdout", "x" * 80)
            delay = start + (i + 1) / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
        w.close()
        store.update_build(bid, status=Status.SUCCEEDED)
    """
)


def bench_follow_lag(path: Path, n: int = 3000, rate: float = 2000.0) -> list[float]:
    with Store(path) as store:
        bid = store.create_build(source="bench", ref=None, root=".")
        store.update_build(bid, status=Status.RUNNING)
        proc = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path), str(bid), str(n), str(rate)]
        )
        lags = [time.time() - line.ts for line in store.follow(bid)]
        proc.wait()
    return lags


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "history.sqlite3"
        with Store(path) as store:
            print(f"LogWriter.add (buffered, {n} lines):  {bench_writer(store, n):>10,.0f} lines/s")
            for batch in (1000, 100, 1):
                count = n if batch > 1 else min(n, 10_000)
                rate = bench_append(store, count, batch)
                print(f"append_lines, {batch:>4} per commit:      {rate:>10,.0f} lines/s")
        lags = sorted(bench_follow_lag(path))
        print(
            f"follow() lag at 2000 lines/s, 50 ms poll: median {statistics.median(lags) * 1000:.0f}"
            f" ms, p95 {lags[int(len(lags) * 0.95)] * 1000:.0f} ms, max {lags[-1] * 1000:.0f} ms"
        )


if __name__ == "__main__":
    main()
