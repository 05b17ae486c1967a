"""The viewer driven through Textual's Pilot against fixture builds in a real store."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from textual import events
from textual.pilot import Pilot

from cli.tui.app import PitstopApp
from cli.tui.screens import LOG_KEYS, BuildsScreen, HelpScreen, LogScreen
from cli.tui.widgets import DiagnosisPanel
from runner.models import Status
from runner.store import LogWriter, Store
from tests.tui.conftest import DIAGNOSIS, T0, add_build

SIZE = (100, 30)


async def until(pilot: Pilot, condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        await pilot.pause(0.05)


def log_screen(app: PitstopApp) -> LogScreen:
    assert isinstance(app.screen, LogScreen)
    return app.screen


def screen_text(app: PitstopApp) -> str:
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


async def test_builds_list_newest_first_and_enter_opens_one(store: Store, builds: dict) -> None:
    app = PitstopApp(store)
    async with app.run_test(size=SIZE) as pilot:
        assert isinstance(app.screen, BuildsScreen)
        assert app.screen.order == [builds["newer"], builds["failed"], builds["ok"]]
        text = screen_text(app)
        assert "✗ failed" in text and "acme/shop" in text and "missing-modul" in text
        await pilot.press("down", "enter")
        screen = log_screen(app)
        assert screen.build_id == builds["failed"]
        await until(pilot, lambda: len(screen.view.sections.items) == 3)
        assert [s.step for s in screen.view.sections.items] == ["clone", "install", "build"]
        assert "build  2.8s  exit 1" in screen_text(app)
        await pilot.press("escape")
        assert isinstance(app.screen, BuildsScreen)
        await pilot.press("q")
        await until(pilot, lambda: not app.is_running)


async def test_builds_list_updates_a_running_build_in_place(store: Store) -> None:
    build_id = add_build(store, status=Status.RUNNING, lines=[("build", "stdout", "x")])
    app = PitstopApp(store, poll=0.1)
    async with app.run_test(size=SIZE) as pilot:
        assert "● running" in screen_text(app)
        store.update_build(build_id, status=Status.SUCCEEDED, finished_at=T0 + 9)
        await until(pilot, lambda: "✓ succeeded" in screen_text(app))
        later = add_build(store, source="acme/new", created_at=T0 + 100)
        await until(pilot, lambda: app.screen.order[0] == later)


WRITER = """
import sys, time
from runner.store import LogWriter, Store
from runner.models import Status
store = Store(sys.argv[1]); build_id = int(sys.argv[2]); count = int(sys.argv[3])
with LogWriter(store, build_id) as writer:
    for i in range(count):
        writer.add("build", "stdout", f"written by another process {i + 1}")
        time.sleep(0.01)
if sys.argv[4] == "finish":
    store.update_build(build_id, status=Status.SUCCEEDED, finished_at=time.time())
"""


def write_from_another_process(db: Path, build_id: int, count: int, finish: bool) -> None:
    subprocess.run(
        [
            sys.executable,
            "-c",
            WRITER,
            str(db),
            str(build_id),
            str(count),
            "finish" if finish else "-",
        ],
        check=True,
        cwd=Path(__file__).resolve().parents[2],
    )


async def test_follow_receives_lines_from_another_writer(store: Store) -> None:
    build_id = add_build(store, status=Status.RUNNING, lines=[("install", "stdout", "first")])
    app = PitstopApp(store, build_id)
    async with app.run_test(size=SIZE) as pilot:
        screen = log_screen(app)
        view = screen.view
        assert view.follow
        assert "FOLLOWING" in screen_text(app)
        write_from_another_process(store.path, build_id, 40, finish=False)
        await until(pilot, lambda: view.total == 41)
        await pilot.pause(0.1)
        assert view.current_seq == 41
        assert "written by another process 40" in screen_text(app)
        # scrolling up pauses following: new lines arrive, the cursor stays
        await pilot.press("up", "up")
        assert not view.follow and view.current_seq == 39
        assert "paused" in screen_text(app)
        write_from_another_process(store.path, build_id, 5, finish=False)
        await until(pilot, lambda: view.total == 46)
        assert view.current_seq == 39
        await pilot.press("F")
        assert view.follow and view.current_seq == 46
        # a thread writer through the same API; then the build ends
        with LogWriter(Store(store.path), build_id) as writer:
            writer.add("build", "stderr", "from a thread")
        store.update_build(build_id, status=Status.FAILED, finished_at=time.time())
        await until(pilot, lambda: screen.done)
        assert view.total == 47 and view.current_seq == 47
        assert "✗ failed" in screen_text(app)
        await pilot.press("q")


async def test_follow_pauses_on_mouse_scroll_and_end_resumes(store: Store) -> None:
    lines = [("build", "stdout", f"line {i}") for i in range(200)]
    build_id = add_build(store, status=Status.RUNNING, lines=lines)
    app = PitstopApp(store, build_id)
    async with app.run_test(size=SIZE) as pilot:
        view = log_screen(app).view
        await until(pilot, lambda: view.sections.items != [])
        await pilot.pause(0.1)
        assert view.follow
        for _ in range(2):
            view.post_message(events.MouseScrollUp(view, 5, 5, 0, -1, 0, False, False, False))
            await pilot.pause(0.05)
        assert not view.follow and view.scroll_y < view.max_scroll_y
        await pilot.press("end")
        assert view.follow


async def test_search_plain_regex_case_and_next_previous(store: Store, builds: dict) -> None:
    app = PitstopApp(store, builds["failed"])
    async with app.run_test(size=SIZE) as pilot:
        screen = log_screen(app)
        await pilot.press("home", "slash", *"WARN", "enter")
        await until(pilot, lambda: not screen.searching)
        assert list(screen.matches) == [20, 21, 22, 23]
        assert screen.view.current_seq == 20
        await pilot.press("n")
        assert screen.view.current_seq == 21
        await pilot.press("N", "N")
        assert screen.view.current_seq == 23  # wraps around
        assert "search 'WARN' (plain): 4" in screen_text(app)
        await pilot.press("slash", "ctrl+t", "enter")  # same text, match case
        await until(pilot, lambda: not screen.searching)
        assert list(screen.matches) == []
        await pilot.press("slash", "ctrl+t", "ctrl+r", *"ctrl+a", "enter")
        await pilot.press("slash")
        field = app.screen.query_one("#search-input")
        field.value = r"export [ab]$"
        await pilot.press("enter")
        await until(pilot, lambda: not screen.searching and screen.search_query.regex)
        assert screen.search_query.text == r"export [ab]$"
        assert list(screen.matches) == [21, 22]


async def test_bad_regex_is_reported_not_raised(store: Store, builds: dict) -> None:
    app = PitstopApp(store, builds["failed"])
    async with app.run_test(size=SIZE) as pilot:
        screen = log_screen(app)
        await pilot.press("slash", "ctrl+r", *"(oops", "enter")
        await pilot.pause(0.1)
        assert screen.search_query is None
        assert any("bad regex" in str(n.message) for n in app._notifications)


async def test_filter_shows_only_matching_lines(store: Store, builds: dict) -> None:
    app = PitstopApp(store, builds["failed"])
    async with app.run_test(size=SIZE) as pilot:
        screen = log_screen(app)
        view = screen.view
        await until(pilot, lambda: len(view.sections.items) == 3)
        full = len(view.rowmap)
        await pilot.press("ampersand", *"export", "enter")
        await until(pilot, lambda: not screen.searching)
        assert [view.rowmap.row(i) for i in range(len(view.rowmap))] == [
            ("line", 21),
            ("line", 22),
            ("line", 23),
        ]
        text = screen_text(app)
        assert "unused export a" in text and "npm run build" not in text
        assert "filter 'export' (plain): 3" in text
        await pilot.press("escape")
        assert len(view.rowmap) == full and screen.search_query is None


async def test_jump_to_error_lines(store: Store, builds: dict) -> None:
    app = PitstopApp(store, builds["failed"])
    async with app.run_test(size=SIZE) as pilot:
        view = log_screen(app).view
        await until(pilot, lambda: len(view.sections.items) == 3)
        await pilot.press("home", "e")
        assert view.current_seq == 16
        await pilot.press("e")
        assert view.current_seq == 19
        await pilot.press("e")
        assert view.current_seq == 16
        await pilot.press("E")
        assert view.current_seq == 19
        # an error line inside a collapsed step: jumping there expands it
        await pilot.press("minus")
        assert len(view.rowmap) == 3
        await pilot.press("e")
        assert view.current_seq == 16 and 2 not in view.collapsed


async def test_diagnosis_panel(store: Store, builds: dict) -> None:
    app = PitstopApp(store, builds["failed"])
    async with app.run_test(size=SIZE) as pilot:
        panel = app.screen.query_one(DiagnosisPanel)
        text = screen_text(app)
        for needle in (
            DIAGNOSIS["code"],
            DIAGNOSIS["title"],
            "fix: Add it",
            "line 16:",
            "also: node-version-mismatch",
        ):
            assert needle in text
        assert panel.display
        await pilot.press("d")
        assert not panel.display
        assert DIAGNOSIS["title"] not in screen_text(app)
    app = PitstopApp(store, builds["ok"])
    async with app.run_test(size=SIZE) as pilot:
        assert not app.screen.query_one(DiagnosisPanel).display


async def test_copy_output_toggles_and_long_lines(store: Store, builds: dict) -> None:
    app = PitstopApp(store, builds["failed"])
    async with app.run_test(size=SIZE) as pilot:
        screen = log_screen(app)
        view = screen.view
        await until(pilot, lambda: len(view.sections.items) == 3)
        await pilot.press("home", "e", "c")
        assert app.clipboard == "Error: Cannot find module 'left-pad'"
        # a 300,000-character line is cut for display
        long_line = view.plain_line(20)
        assert len(long_line) < 2100 and "more characters" in long_line
        await pilot.press("t")
        assert view.time_mode == "clock" and "10:00:" not in screen_text(app)
        assert "11:00:04.000" in screen_text(app)
        await pilot.press("t")
        assert "+ 4.000s" in screen_text(app)
        await pilot.press("w")
        assert view.wrap and "wrap" in screen_text(app)
        await pilot.press("o")
        assert any("no output" in str(n.message) for n in app._notifications)
    app = PitstopApp(store, builds["ok"])
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("o")
        assert any("/tmp/pitstop/outputs/1" in str(n.message) for n in app._notifications)


async def test_sections_collapse_and_expand(store: Store, builds: dict) -> None:
    app = PitstopApp(store, builds["failed"])
    async with app.run_test(size=SIZE) as pilot:
        view = log_screen(app).view
        await until(pilot, lambda: len(view.sections.items) == 3)
        total_rows = len(view.rowmap)
        await pilot.press("home", "down", "down", "down", "enter")  # on the install header
        assert view.collapsed == {1} and len(view.rowmap) == total_rows - 10
        assert "▸ install" in screen_text(app)
        await pilot.press("enter")
        assert view.collapsed == set()
        await pilot.press("minus")
        assert len(view.rowmap) == 3
        await pilot.press("plus")
        assert len(view.rowmap) == total_rows


async def test_help_lists_every_key(store: Store, builds: dict) -> None:
    app = PitstopApp(store, builds["failed"])
    async with app.run_test(size=(100, 80)) as pilot:
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        text = screen_text(app)
        for _key, _action, description, _show in LOG_KEYS:
            assert description in text
        await pilot.press("escape")
        assert isinstance(app.screen, LogScreen)


async def test_tui_build_runs_in_a_worker_and_quit_cancels(store: Store) -> None:
    build_id = store.create_build(source="acme/site", ref=None, root=".")
    store.update_build(build_id, status=Status.RUNNING, started_at=time.time())
    import threading

    cancel = threading.Event()

    def run() -> str:
        with LogWriter(store, build_id) as writer:
            for i in range(1000):
                writer.add("build", "stdout", f"step {i}")
                if cancel.wait(0.01):
                    break
        store.update_build(build_id, status=Status.CANCELED, finished_at=time.time())
        return "canceled" if cancel.is_set() else "done"

    app = PitstopApp(store, build_id, run=run, cancel=cancel)
    async with app.run_test(size=SIZE) as pilot:
        view = log_screen(app).view
        await until(pilot, lambda: view.total > 5)
        await pilot.press("q")
        await until(pilot, lambda: not app.is_running)
    assert app.return_value == "canceled"
    assert store.get_build(build_id).status == Status.CANCELED


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_layout_holds_at_small_and_large_sizes(store: Store, builds: dict, size) -> None:
    app = PitstopApp(store, builds["failed"])
    async with app.run_test(size=size) as pilot:
        view = log_screen(app).view
        await until(pilot, lambda: len(view.sections.items) == 3)
        await pilot.pause(0.1)
        assert view.size.height >= 8
        text = screen_text(app)
        assert "line 23/23" in text and "missing-module" in text


async def test_a_crashing_tui_build_is_kept_for_the_caller(store: Store) -> None:
    build_id = store.create_build(source="acme/site", ref=None, root=".")

    def run() -> None:
        raise RuntimeError("engine went away")

    app = PitstopApp(store, build_id, run=run)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.error is not None)
        assert not app.building
        await pilot.press("q")
        await until(pilot, lambda: not app.is_running)
    assert isinstance(app.error, RuntimeError)


def test_view_command_needs_a_terminal() -> None:
    from typer.testing import CliRunner

    from cli.app import app

    with Store.open_default() as default:  # the store under PITSTOP_HOME, as the CLI opens it
        add_build(default)

    result = CliRunner().invoke(app, ["view", "last"])
    assert result.exit_code != 0
    assert "needs an interactive terminal" in str(result.exception or result.output)
    result = CliRunner().invoke(app, ["view", "999"])
    assert "no build 999" in str(result.exception or result.output)
