"""Screens of the viewer at 100x30, fed from fixture builds with fixed timestamps.

Refresh after an intended change with ``pytest tests/tui --snapshot-update``.
"""

from __future__ import annotations

import time

from textual.pilot import Pilot

from cli.tui.app import PitstopApp
from runner.store import Store

SIZE = (100, 30)


async def settled(pilot: Pilot) -> None:
    """Wait until the log screen (if any) has read its sections and any search finished."""
    deadline = time.monotonic() + 10
    screen = pilot.app.screen
    while time.monotonic() < deadline:
        view = getattr(screen, "view", None) if hasattr(screen, "build_id") else None
        busy = view is not None and (not view.sections.items or screen.searching)
        if not busy:
            break
        await pilot.pause(0.05)
    await pilot.pause(0.1)


def test_builds_list(snap_compare, store: Store, builds: dict) -> None:
    assert snap_compare(PitstopApp(store), terminal_size=SIZE, run_before=settled)


def test_failed_build_with_diagnosis(snap_compare, store: Store, builds: dict) -> None:
    assert snap_compare(PitstopApp(store, builds["failed"]), terminal_size=SIZE, run_before=settled)


def test_filter_with_elapsed_times(snap_compare, store: Store, builds: dict) -> None:
    async def run_before(pilot: Pilot) -> None:
        await settled(pilot)
        await pilot.press("t", "t", "ampersand", *"module", "enter")
        await settled(pilot)

    assert snap_compare(
        PitstopApp(store, builds["failed"]), terminal_size=SIZE, run_before=run_before
    )


def test_collapsed_steps_and_help(snap_compare, store: Store, builds: dict) -> None:
    async def run_before(pilot: Pilot) -> None:
        await settled(pilot)
        await pilot.press("minus", "question_mark")

    assert snap_compare(
        PitstopApp(store, builds["failed"]), terminal_size=SIZE, run_before=run_before
    )
