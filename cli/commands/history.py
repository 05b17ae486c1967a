"""``pitstop history``: list stored builds, newest first."""

from __future__ import annotations

import json
from datetime import datetime

import typer


def register(app: typer.Typer) -> None:
    app.command("history")(history)


def history(
    ctx: typer.Context,
    limit: int = typer.Option(20, "--limit", "-n", help="How many builds to show."),
    status: str | None = typer.Option(None, "--status", help="Only builds with this status."),
    json_out: bool = typer.Option(False, "--json", help="Print builds as JSON."),
) -> None:
    """List builds with status, source, commit, duration and failure."""
    from rich.table import Table

    from cli.render import human_duration, status_text
    from runner.errors import UsageError
    from runner.models import Status

    store = ctx.obj.store
    store.reap_abandoned()
    try:
        wanted = Status(status) if status else None
    except ValueError:
        choices = ", ".join(s.value for s in Status)
        raise UsageError(f"unknown status {status!r}", f"use one of: {choices}") from None
    builds = store.list_builds(limit=limit, status=wanted)
    if json_out:
        typer.echo(json.dumps([b.to_dict() for b in builds], indent=2))
        return
    console = ctx.obj.console
    if not builds:
        console.print("no builds yet: run `pitstop build`")
        return
    table = Table(box=None, header_style="bold", pad_edge=False)
    for col in ("id", "status", "when", "source", "commit", "duration", "failed in", "why"):
        table.add_column(col, no_wrap=col not in ("source", "why"))
    for b in builds:
        why = (b.diagnosis or {}).get("code") or (
            b.error or "" if b.status != Status.SUCCEEDED else ""
        )
        table.add_row(
            str(b.id),
            status_text(str(b.status)),
            datetime.fromtimestamp(b.created_at).strftime("%Y-%m-%d %H:%M:%S"),
            b.source + (f" ({b.root})" if b.root not in ("", ".") else ""),
            (b.commit or "snapshot")[:12],
            human_duration(b.duration),
            str(b.phase) if b.phase else "",
            why,
        )
    console.print(table)
