"""``pitstop image``: build or inspect the build image."""

from __future__ import annotations

import json

import typer

app = typer.Typer(help="Build or inspect pitstop's build image.", no_args_is_help=True)


@app.command("build")
def image_build(
    ctx: typer.Context,
    force: bool = typer.Option(False, "--force", help="Rebuild even if the image exists."),
) -> None:
    """Build the build image (from Debian packages alone when no registry is reachable)."""
    from rich.text import Text

    app_ctx = ctx.obj
    console = app_ctx.console
    engine = app_ctx.connect_engine()

    def progress(task: str, message: str) -> None:
        console.print(Text.assemble((f"[{task}] ", "cyan"), message))

    tag = app_ctx.ensure_image(engine.client, progress, force=force)
    console.print(Text.assemble(("✓ ", "green"), f"build image ready: {tag}"))


@app.command("status")
def image_status(
    ctx: typer.Context,
    json_out: bool = typer.Option(False, "--json", help="Print as JSON."),
) -> None:
    """Show the build image's tag and whether it is present."""
    from runner.image import image_status as status

    engine = ctx.obj.connect_engine()
    info = status(engine.client)
    if json_out:
        typer.echo(json.dumps(info, indent=2, default=str))
        return
    for key, value in info.items():
        ctx.obj.console.print(f"{key}: {value}")
