"""``pitstop cache``: list, prune and clear build caches."""

from __future__ import annotations

import json
from datetime import datetime

import typer

app = typer.Typer(help="Show and bound pitstop's build caches.", no_args_is_help=True)


def _remove_image(ctx: typer.Context):
    try:
        engine = ctx.obj.connect_engine()
    except Exception:
        return None
    return engine.remove_image


@app.command("ls")
def cache_ls(
    ctx: typer.Context,
    json_out: bool = typer.Option(False, "--json", help="Print entries as JSON."),
) -> None:
    """Every cache entry with its kind, project, size and last use; totals per kind."""
    from rich.table import Table

    from cli.render import human_size

    cache = ctx.obj.build_cache()
    entries = cache.entries()
    if json_out:
        typer.echo(json.dumps([e.to_dict() for e in entries], indent=2))
        return
    console = ctx.obj.console
    if not entries:
        console.print("the cache is empty")
        return
    table = Table(box=None, header_style="bold", pad_edge=False)
    for col in ("kind", "project", "entry", "size", "last used"):
        table.add_column(col)
    for e in reversed(entries):
        used = datetime.fromtimestamp(e.last_used).strftime("%Y-%m-%d %H:%M")
        table.add_row(e.kind, e.project or "", e.name, human_size(e.size), used)
    console.print(table)
    totals: dict[str, int] = {}
    for e in entries:
        totals[e.kind] = totals.get(e.kind, 0) + e.size
    summary = "  ".join(f"{k} {human_size(v)}" for k, v in sorted(totals.items()))
    console.print(
        f"total {human_size(sum(totals.values()))} of {human_size(cache.max_bytes)} ({summary})"
    )


@app.command("prune")
def cache_prune(
    ctx: typer.Context,
    max_size: str | None = typer.Option(
        None, "--max-size", help="Cap, e.g. 2G (default: PITSTOP_CACHE_MAX or 10G)."
    ),
) -> None:
    """Evict least-recently-used entries until the cache fits its cap."""
    from cli.render import human_size
    from runner.build_cache import max_cache_bytes

    cache = ctx.obj.build_cache()
    limit = max_cache_bytes({"PITSTOP_CACHE_MAX": max_size}) if max_size else cache.max_bytes
    evicted = cache.prune(limit, remove_image=_remove_image(ctx))
    freed = sum(e.size for e in evicted)
    ctx.obj.console.print(
        f"evicted {len(evicted)} entries, freed {human_size(freed)}; "
        f"{human_size(cache.total())} left"
    )


@app.command("clear")
def cache_clear(ctx: typer.Context) -> None:
    """Remove every cache entry (outputs, framework caches, dependency images)."""
    from cli.render import human_size

    cache = ctx.obj.build_cache()
    remove = _remove_image(ctx)
    entries = cache.entries()
    for entry in entries:
        cache.remove(entry, remove)
    ctx.obj.console.print(
        f"removed {len(entries)} entries ({human_size(sum(e.size for e in entries))})"
    )
