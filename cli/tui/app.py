"""The pitstop viewer app: the builds list, with one build's log pushed on top."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from textual.app import App
from textual.binding import Binding
from textual.message import Message

from cli.tui.screens import BuildsScreen, LogScreen


class BuildEvent(Message):
    """A ``runner.events`` event from a build running inside the app."""

    def __init__(self, event: Any) -> None:
        super().__init__()
        self.event = event


class PitstopApp(App[Any]):
    """Browse builds; ``build_id`` opens one at once. ``run`` (for ``pitstop build --tui``) is
    called in a worker thread and its return value becomes the app's return value;
    quitting while it runs sets ``cancel`` and waits for it to finish."""

    TITLE = "pitstop"
    ENABLE_COMMAND_PALETTE = False
    BINDINGS = [Binding("ctrl+c", "quit", "quit", show=False, priority=True)]  # noqa: RUF012

    def __init__(
        self,
        store: Any,
        build_id: int | None = None,
        *,
        run: Callable[[], Any] | None = None,
        cancel: threading.Event | None = None,
        poll: float = 0.5,
    ) -> None:
        super().__init__()
        self.store = store
        self.build_id = build_id
        self.run_build = run
        self.cancel = cancel or threading.Event()
        self.poll = poll
        self.result: Any = None
        self._build_worker: Any = None
        self._quitting = False
        self.error: BaseException | None = None

    def on_mount(self) -> None:
        self.push_screen(BuildsScreen(self.store, poll=self.poll))
        if self.build_id is not None:
            self.push_screen(LogScreen(self.store, self.build_id))
        if self.run_build is not None:
            self._build_worker = self.run_worker(
                self._run, thread=True, group="build", exit_on_error=False
            )

    def _run(self) -> Any:
        assert self.run_build is not None
        try:
            self.result = self.run_build()
        except BaseException as exc:  # shown in the app, re-raised by the caller after exit
            self.error = exc
        finally:
            self.call_from_thread(self._build_done)
        return self.result

    def _build_done(self) -> None:
        if self._quitting:
            self.exit(self.result)
        elif self.error is not None:
            self.notify(f"build crashed: {self.error!r}", severity="error", timeout=30)

    @property
    def building(self) -> bool:
        worker = self._build_worker
        return worker is not None and not worker.is_finished

    async def action_quit(self) -> None:
        if self.building:
            if self._quitting:
                return
            self._quitting = True
            self.cancel.set()
            self.notify("canceling the build; pitstop quits when it has cleaned up")
            return
        self.exit(self.result)


def run_viewer(store: Any, build_id: int | None = None, **kwargs: Any) -> Any:
    """Run the viewer in this terminal; returns the app's return value."""
    return PitstopApp(store, build_id, **kwargs).run()
