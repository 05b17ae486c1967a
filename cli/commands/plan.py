"""``pitstop plan``: show what a build would do, without touching Docker."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import typer


def register(app: typer.Typer) -> None:
    app.command("plan")(plan)


def plan(
    ctx: typer.Context,
    source: str = typer.Argument(".", help="Local path, git URL or owner/repo."),
    ref: str | None = typer.Option(None, "--ref", help="Branch, tag or commit."),
    root: str | None = typer.Option(
        None, "--root", help="App root, relative to SOURCE (a monorepo app)."
    ),
    worktree: bool = typer.Option(False, "--worktree", help="Plan the working tree as it is."),
    json_out: bool = typer.Option(False, "--json", help="Print the plan as JSON."),
) -> None:
    """Detect package manager, runtimes and framework, and print the build plan."""
    from rich.text import Text

    from runner import source as src
    from runner.detect import plan_for
    from runner.detect.tree import DirTree
    from runner.plan_render import plan_lines

    app_ctx = ctx.obj
    spec = src.parse_source(source, cwd=Path.cwd())
    app_ctx.paths.workdirs.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="plan-", dir=app_ctx.paths.workdirs))
    try:
        checkout = src.checkout(
            spec, work / "src", mirrors=app_ctx.paths.mirrors, ref=ref, worktree=worktree
        )
        from runner.build import app_root_for, detection_env

        app_root = app_root_for(checkout.app_root, root)
        result = plan_for(DirTree(checkout.path), app_root, env=detection_env(os.environ))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if json_out:
        data = {"source": spec.display, "commit": checkout.commit, **result.to_dict()}
        typer.echo(json.dumps(data, indent=2))
        return
    console = app_ctx.console
    what = checkout.commit[:12] if checkout.commit else "working files"
    console.print(Text.assemble(("plan ", "bold"), f"{spec.display} @ {what}"))
    for warning in checkout.warnings:
        console.print(Text(f"warning: {warning}", style="yellow"))
    for line in plan_lines(result):
        style = "yellow" if line.startswith("warning") else ""
        console.print(Text(f"  {line}", style=style))
