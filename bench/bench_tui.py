"""The log viewer on a huge build: launch to first paint, memory, filter and search time.

Run: ``.venv/bin/python bench/bench_tui.py [lines] [--runs N]`` (default 1,000,000 lines,
3 runs). Writes a temp history database, then measures each figure in a fresh Python process
(imports included), with the app running headless at 100x30, and prints the median of the
runs for each query. Prints figures; not a test.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from runner.models import LogLine, Phase, Status, StepTiming

ROOT = Path(__file__).resolve().parents[1]


def make_build(db: Path, n: int) -> tuple[int, int]:
    """One failed build of ``n`` lines (ANSI colours on most); returns (id, text bytes)."""
    from runner.store import Store

    with Store(db) as store:
        t0 = 1_700_000_000.0
        build_id = store.create_build(source="acme/huge", ref="main", root=".", created_at=t0)
        size, batch = 0, []
        install_end = n * 2 // 5
        for seq in range(1, n + 1):
            step = "install" if seq <= install_end else "build"
            if seq % 10:
                text = f"\x1b[32minfo\x1b[0m compiled module {seq} src/File{seq % 977}.tsx"
            else:
                text = f"warning: unused import in chunk {seq}"
            if seq == n - 5:
                text = "Error: Cannot find module 'left-pad'"
            size += len(text)
            batch.append(LogLine(seq, t0 + seq * 0.001, step, "stdout", text))
            if len(batch) == 20_000:
                store.append_lines(build_id, batch)
                batch = []
        if batch:
            store.append_lines(build_id, batch)
        store.update_build(
            build_id,
            status=Status.FAILED,
            phase=Phase.BUILD,
            started_at=t0,
            finished_at=t0 + n * 0.001,
            steps=[
                StepTiming("install", t0, t0 + install_end * 0.001, 0),
                StepTiming("build", t0 + install_end * 0.001, t0 + n * 0.001, 1),
            ],
            diagnosis={
                "code": "missing-module",
                "title": "A module could not be resolved",
                "explanation": "left-pad is imported but not installed.",
                "fix": "add it to dependencies",
                "evidence": [{"line": n - 5, "text": "Error: Cannot find module 'left-pad'"}],
                "secondary": [],
            },
        )
    return build_id, size


def rss_mb() -> float:
    """Peak resident set size of this process so far, in MB (Linux reports kB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mb() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return rss_mb()


def child(db: str, build_id: int, launched: float, query: str, regex: bool) -> None:
    """In a fresh process: open the build, time the first paint, scroll, filter."""
    from cli.tui.app import PitstopApp
    from cli.tui.logview import LogView
    from cli.tui.screens import LogScreen
    from runner.store import Store

    painted: list[float] = []
    original = LogView.render_line

    def render_line(self: LogView, y: int):  # type: ignore[no-untyped-def]
        if not painted and self.total and len(self._compute_layout()) > 0:
            painted.append(time.time())
        return original(self, y)

    LogView.render_line = render_line  # type: ignore[method-assign]
    out: dict[str, float] = {}

    async def main() -> None:
        store = Store(Path(db))
        app = PitstopApp(store, build_id)
        async with app.run_test(size=(100, 30)) as pilot:
            while not painted:
                await pilot.pause(0.005)
            out["first_paint_s"] = painted[0] - launched
            out["rss_first_paint_mb"] = current_rss_mb()
            screen = app.screen
            assert isinstance(screen, LogScreen)
            view = screen.view
            while screen.done is False or not view.sections.items:
                await pilot.pause(0.05)
            out["sections_ready_s"] = time.time() - launched
            # 200 jumps to random places, each painting a full screen (chunks load lazily)
            rng = random.Random(7)
            start = time.perf_counter()
            for _ in range(200):
                view.move_cursor(rng.randrange(len(view.rowmap)), center=True)
                for y in range(view.scrollable_content_region.height):
                    view.render_line(y)
            out["jump_paint_ms"] = (time.perf_counter() - start) / 200 * 1000
            out["line_chunks_in_memory"] = len(view.lines)
            mode = "ampersand"
            start = time.perf_counter()
            await pilot.press(mode)
            field = app.screen.query_one("#search-input")
            if regex:
                await pilot.press("ctrl+r")
            field.value = query  # type: ignore[attr-defined]
            await pilot.press("enter")
            await pilot.pause(0.01)
            while screen.searching:
                await pilot.pause(0.01)
            out["filter_s"] = time.perf_counter() - start
            out["filter_matches"] = len(screen.matches or ())
            for _ in range(50):
                await pilot.press("pagedown")
            out["rss_after_filter_mb"] = current_rss_mb()
            out["peak_rss_mb"] = rss_mb()
            await pilot.press("q")

    asyncio.run(main())
    print(json.dumps(out))


def run_child(db: Path, build_id: int, query: str, regex: bool) -> dict[str, float]:
    launched = time.time()
    proc = subprocess.run(
        [sys.executable, __file__, "--child", str(db), str(build_id), repr(launched), query]
        + (["--regex"] if regex else []),
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    return json.loads(proc.stdout.strip().splitlines()[-1])


def baseline_rss() -> float:
    """Peak RSS of a process that imports the viewer and opens an empty store."""
    code = (
        "import resource, tempfile, pathlib; import cli.tui.app; from runner.store import Store;"
        "Store(pathlib.Path(tempfile.mkdtemp()) / 'h.sqlite');"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    return float(out.stdout.strip())


def main() -> None:
    if sys.argv[1:2] == ["--child"]:
        db, build_id, launched, query = sys.argv[2:6]
        child(db, int(build_id), float(launched), query, "--regex" in sys.argv)
        return
    args = sys.argv[1:]
    runs = 3
    if "--runs" in args:
        i = args.index("--runs")
        runs = int(args[i + 1])
        del args[i : i + 2]
    n = int(args[0]) if args else 1_000_000
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "history.sqlite"
        start = time.perf_counter()
        build_id, text_bytes = make_build(db, n)
        print(
            f"stored {n:,} lines ({text_bytes / 1e6:.1f} MB of text, database "
            f"{db.stat().st_size / 1e6:.1f} MB) in {time.perf_counter() - start:.1f}s"
        )
        base = baseline_rss()
        print(f"baseline peak RSS (imports + empty store): {base:.1f} MB")
        for query, regex in (("warning", False), ("module 9\\d+ ", True), ("no such text", False)):
            results = [run_child(db, build_id, query, regex) for _ in range(runs)]
            r = {k: statistics.median(x[k] for x in results) for k in results[0]}
            kind = "regex" if regex else "plain"
            print(
                f"median of {runs}: {kind} filter {query!r}: "
                f"first paint {r['first_paint_s']:.2f}s  "
                f"sections ready {r['sections_ready_s']:.2f}s  "
                f"jump+paint {r['jump_paint_ms']:.1f} ms  "
                f"filter {r['filter_s']:.2f}s ({int(r['filter_matches']):,} lines)  "
                f"RSS at paint {r['rss_first_paint_mb']:.1f} MB, after filter "
                f"{r['rss_after_filter_mb']:.1f} MB, peak {r['peak_rss_mb']:.1f} MB "
                f"(+{r['peak_rss_mb'] - base:.1f} MB over baseline)"
            )


if __name__ == "__main__":
    os.environ.setdefault("TZ", "UTC")
    main()
