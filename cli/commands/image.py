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
    from runner.image import REPOSITORY

    older = [i.tag for i in engine.image_infos([REPOSITORY]) if i.tag != tag]
    if older:
        console.print(
            f"{len(older)} older build image(s) still on the engine ({', '.join(sorted(older))}): "
            "`pitstop image prune` removes them and the dependency images made on them"
        )


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


@app.command("prune")
def image_prune(
    ctx: typer.Context,
    dry_run: bool = typer.Option(False, "--dry-run", help="List what would go; remove nothing."),
    json_out: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Remove build images of older pitstop versions, the dependency images made on them,
    and old base images; images a container was made from are kept."""
    from cli.render import human_size
    from runner.errors import EnvironmentProblem
    from runner.image import image_status
    from runner.image.bootstrap import base_tag
    from runner.stale_images import ORDER, stale_images

    app_ctx = ctx.obj
    engine = app_ctx.connect_engine()
    current = image_status(engine.client)
    infos = engine.image_infos(ORDER)
    build = next((i for i in infos if i.tag == current["tag"]), None)
    if build is None:
        raise EnvironmentProblem(
            "this pitstop's build image is not on the engine, so nothing can tell which "
            "dependency images are still usable",
            "run `pitstop image build` first",
        )
    stale = stale_images(
        infos, current_build=build, current_base=base_tag(), used_ids=engine.used_image_ids()
    )
    before = engine.layers_size() if stale and not dry_run else 0
    cache = app_ctx.build_cache()
    deps_entries = {e.name: e for e in cache.entries() if e.kind == "deps"}
    removed: list[str] = []
    kept: dict[str, str] = {}
    for item in stale:
        tag = item.image.tag
        if item.kept:
            kept[tag] = item.kept
        elif dry_run or engine.remove_image(tag):
            removed.append(tag)
            if not dry_run and tag in deps_entries:
                cache.remove(deps_entries[tag])  # its index entry, so `cache ls` agrees
        else:
            kept[tag] = "the engine refused to remove it"
    freed = max(0, before - engine.layers_size()) if removed and not dry_run else 0
    if json_out:
        typer.echo(
            json.dumps(
                {
                    "current": build.tag,
                    "dry_run": dry_run,
                    "stale": [
                        {"tag": s.image.tag, "reason": s.reason, "kept": s.kept} for s in stale
                    ],
                    "removed": removed,
                    "kept": kept,
                    "freed_bytes": freed,
                },
                indent=2,
            )
        )
        return
    console = app_ctx.console
    if not stale:
        console.print(f"nothing to prune: every pitstop image is in use by {build.tag}")
        return
    verb = "would remove" if dry_run else "removed"
    for item in stale:
        tag = item.image.tag
        state = verb if tag in removed else f"kept ({kept[tag]})"
        console.print(f"{state}: {tag}  ({item.reason})")
    summary = f"{verb} {len(removed)} images"
    if not dry_run:
        summary += f", freed {human_size(freed)}"
    console.print(summary + f"; current build image {build.tag}")
