"""``pitstop view``: browse builds and read, follow and search their logs in a terminal UI."""

from __future__ import annotations

import sys

import typer


def register(app: typer.Typer) -> None:
    app.command("view")(view)


def view(
    ctx: typer.Context,
    build: str | None = typer.Argument(
        None, help="Open this build at once: an id, `last`, or -N for the N-th newest."
    ),
) -> None:
    """Open the build viewer (the builds list, or BUILD's log)."""
    from runner.errors import UsageError

    store = ctx.obj.store
    build_id = store.resolve(build) if build is not None else None
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise UsageError(
            "pitstop view needs an interactive terminal",
            "run it in a terminal, or use `pitstop logs` to print a log",
        )
    from cli.tui.app import run_viewer

    run_viewer(store, build_id)
