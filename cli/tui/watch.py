"""Background reading for the log screen: step sections, new lines, the build record.

Runs in a worker thread with its own store connection and reports through a callback, so
the UI thread never waits on a long read.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from cli.tui.model import Sections
from runner.models import BuildRecord


@dataclass(frozen=True)
class Progress:
    """What the watcher has read so far."""

    total: int
    sections: Sections
    record: BuildRecord | None  # set when the record changed
    done: bool  # the build is terminal and every line is read


def watch(
    store: object,
    build_id: int,
    report: Callable[[Progress], None],
    *,
    stop: threading.Event,
    poll: float = 0.25,
    every: float = 0.1,
    max_runs: int = 64,
) -> None:
    """Scan the log into sections, then follow it until the build ends or ``stop`` is set.

    ``report`` is called at most every ``every`` seconds while lines stream in, and once when
    the watcher catches up; ``store`` is a ``runner.store.Store`` this thread may own.
    """
    sections = Sections()
    cursor = 0
    last_record: BuildRecord | None = None
    last_report = 0.0
    next_reap = time.monotonic() + 1.0
    pending = False
    while not stop.is_set():
        record = store.get_build(build_id)  # type: ignore[attr-defined]
        # sections need only where each step starts and ends, which SQLite finds by index
        runs = store.read_step_runs(build_id, after_seq=cursor, max_runs=max_runs)  # type: ignore[attr-defined]
        if runs:
            sections.extend(runs)
            cursor = runs[-1][2]
            pending = True
        changed = record != last_record
        caught_up = len(runs) < max_runs
        done = caught_up and record.status.terminal
        now = time.monotonic()
        if changed or done or (pending and (caught_up or now - last_report >= every)):
            report(Progress(cursor, sections.copy(), record if changed else None, done))
            last_record, last_report, pending = record, now, False
        if done:
            return
        if caught_up:
            if now >= next_reap:
                store.reap_abandoned(build_id)  # type: ignore[attr-defined]
                next_reap = now + 1.0
            stop.wait(poll)
