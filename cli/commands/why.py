"""``pitstop why``: which caches a build hit or missed, and what changed."""

from __future__ import annotations

import json

import typer


def register(app: typer.Typer) -> None:
    app.command("why", context_settings={"ignore_unknown_options": True})(why)


def why(
    ctx: typer.Context,
    build: str = typer.Argument("last", help="Build id, `last`, or -N."),
    json_out: bool = typer.Option(False, "--json", help="Print as JSON."),
) -> None:
    """For each cache: hit, or miss and the inputs that differ from the previous build."""
    from rich.text import Text

    from runner.why import explain

    app_ctx = ctx.obj
    store = app_ctx.store
    record = store.get_build(store.resolve(build))
    caches = record.caches or {}
    project = caches.get("project")
    previous = None
    if project:
        for candidate in store.list_builds(limit=500):
            if candidate.id < record.id and (candidate.caches or {}).get("project") == project:
                previous = candidate
                break
    cache = app_ctx.build_cache()
    verdicts = explain(
        caches,
        previous.caches if previous else None,
        listing_before=cache.load_listing(previous.id) if previous else None,
        listing_after=cache.load_listing(record.id),
        previous_id=previous.id if previous else None,
    )
    if json_out:
        data = {
            "build": record.id,
            "previous": previous.id if previous else None,
            "caches": [v.to_dict() for v in verdicts],
        }
        typer.echo(json.dumps(data, indent=2))
        return
    console = app_ctx.console
    against = f" (compared with build #{previous.id})" if previous else ""
    console.print(Text.assemble(("build ", "bold"), (f"#{record.id}", "bold cyan"), against))
    if not caches:
        console.print("this build recorded no cache decisions (it ended before planning)")
        return
    for v in verdicts:
        mark = (
            ("hit ", "green")
            if v.hit
            else ("miss", "yellow")
            if v.hit is False
            else ("-   ", "dim")
        )
        console.print(Text.assemble(("  ", ""), mark, f"  {v.label}"))
        for reason in v.reasons:
            console.print(Text(f"          {reason}", style="dim"))
