"""``pitstop build``: build a repository's exact commit in a container."""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from typing import Any

import typer


def register(app: typer.Typer) -> None:
    app.command("build")(build)


def _parse_env(pairs: list[str]) -> tuple[tuple[str, str], ...]:
    from runner.errors import UsageError

    out = []
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise UsageError(f"--env {pair!r} is not NAME=VALUE", "write it as --env NAME=VALUE")
        out.append((name, value))
    return tuple(out)


class _Interrupts:
    """First SIGINT/SIGTERM cancels the build; later ones are ignored while it cleans up."""

    def __init__(self, cancel: threading.Event) -> None:
        self.cancel = cancel
        self.previous: dict[int, Any] = {}

    def _handler(self, signum: int, frame: Any) -> None:
        if self.cancel.is_set():
            return
        self.cancel.set()
        raise KeyboardInterrupt

    def __enter__(self) -> _Interrupts:
        for sig in (signal.SIGINT, signal.SIGTERM):
            self.previous[sig] = signal.signal(sig, self._handler)
        return self

    def __exit__(self, *exc: object) -> None:
        for sig, handler in self.previous.items():
            signal.signal(sig, handler)


def build(
    ctx: typer.Context,
    source: str = typer.Argument(".", help="Local path, git URL (https, ssh, file) or owner/repo."),
    ref: str | None = typer.Option(
        None, "--ref", help="Branch, tag or commit to build (default HEAD)."
    ),
    out: Path | None = typer.Option(None, "--out", help="Copy the build output here."),
    timeout: float = typer.Option(
        1200.0, "--timeout", help="Seconds before the build ends as timed_out."
    ),
    worktree: bool = typer.Option(False, "--worktree", help="Build uncommitted changes too."),
    root: str | None = typer.Option(
        None, "--root", help="App root, relative to SOURCE (a monorepo app)."
    ),
    env: list[str] = typer.Option(
        [], "--env", "-e", help="NAME=VALUE given to the build (repeatable)."
    ),
    secret: list[str] = typer.Option(
        [], "--secret", help="NAME=VALUE given to the build and masked in every log line."
    ),
    no_cache: bool = typer.Option(False, "--no-cache", help="Build for real: use no cache."),
    json_out: bool = typer.Option(False, "--json", help="Write NDJSON events to stdout instead."),
    tui: bool = typer.Option(False, "--tui", help="Watch the build in the terminal log viewer."),
) -> None:
    """Build SOURCE's exact commit in a local container and copy its output to the host."""
    from cli.render import ConsoleSink, JsonSink
    from runner.build import BuildRequest
    from runner.errors import UsageError

    app_ctx = ctx.obj
    if timeout <= 0:
        raise UsageError(
            f"--timeout must be positive, got {timeout:g}", "give seconds, e.g. --timeout 600"
        )
    request = BuildRequest(
        source=source,
        ref=ref,
        worktree=worktree,
        out=out,
        timeout=timeout,
        root=root,
        env=_parse_env(env),
        cwd=Path.cwd(),
        no_cache=no_cache,
        secrets=_parse_env(secret),
    )
    if tui and json_out:
        raise UsageError("--tui and --json cannot be combined", "pick one of them")
    sink = JsonSink() if json_out else ConsoleSink(app_ctx.console)
    cancel = threading.Event()
    store = app_ctx.store
    store.reap_abandoned()
    if tui:
        _build_in_viewer(app_ctx, request, cancel)
    with _Interrupts(cancel):
        result = app_ctx.new_build(request, emit=sink, cancel=cancel).run()
    raise typer.Exit(int(result.exit_code))


def _build_in_viewer(app_ctx: Any, request: Any, cancel: threading.Event) -> None:
    """Run the build in a worker thread of the viewer; quitting the viewer cancels it."""
    import sys

    from cli.tui.app import PitstopApp
    from runner.errors import UsageError

    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise UsageError("--tui needs an interactive terminal", "drop --tui, or add --json")
    # the viewer follows the build through the store
    runner = app_ctx.new_build(request, emit=lambda event: None, cancel=cancel)
    viewer = PitstopApp(app_ctx.store, runner.build_id, run=runner.run, cancel=cancel)
    result = viewer.run()
    if viewer.error is not None:
        raise viewer.error
    if result is None:
        raise typer.Exit(130)
    raise typer.Exit(int(result.exit_code))
