"""``pitstop hook``: install, remove or inspect the git pre-push hook (and run it)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

app = typer.Typer(
    help="Build the commits you push before they leave: a git pre-push hook.",
    no_args_is_help=True,
)


@app.command("install")
def hook_install(
    ctx: typer.Context,
    force: bool = typer.Option(
        False, "--force", help="Install even when husky or lefthook manage the hooks."
    ),
) -> None:
    """Install the pre-push hook (an existing one is kept and runs first)."""
    from cli.hook import install

    for line in install(Path.cwd(), force=force):
        ctx.obj.console.print(line)


@app.command("uninstall")
def hook_uninstall(ctx: typer.Context) -> None:
    """Remove the pre-push hook and restore the one it replaced."""
    from cli.hook import uninstall

    for line in uninstall(Path.cwd()):
        ctx.obj.console.print(line)


@app.command("status")
def hook_status(
    ctx: typer.Context,
    json_out: bool = typer.Option(False, "--json", help="Print as JSON."),
) -> None:
    """Show where the hook lives, whether it is installed, and what it chains."""
    import os
    import shutil

    from cli.hook import hook_state, load_config, manager_instructions
    from runner import source
    from runner.hook import env_skip_reason

    cwd = Path.cwd()
    state = hook_state(cwd)
    config = load_config(source.toplevel(cwd) or cwd)
    skip = env_skip_reason(os.environ)
    if json_out:
        info = {**state.to_dict(), "config": config.to_dict(), "skipped_by_env": skip}
        typer.echo(json.dumps(info, indent=2))
        return
    out = ctx.obj.console
    if state.installed:
        exe = state.pitstop or "pitstop"
        found = Path(exe).is_file() if os.sep in exe else shutil.which(exe) is not None
        out.print(f"installed: {state.pre_push}")
        out.print(f"runs: {exe}" + ("" if found else "  (missing: run `pitstop hook install`)"))
    else:
        out.print(f"not installed (hooks directory: {state.hooks_dir})")
        if state.other_hook:
            out.print("another pre-push hook is there; `pitstop hook install` keeps and chains it")
    if state.chained:
        out.print(f"chained: {state.chained} (runs first)")
    if state.manager:
        out.print(f"hooks managed by {state.manager}: {manager_instructions(state.manager)}")
    out.print(
        "branches: "
        + ", ".join(config.branches)
        + (f"  except: {', '.join(config.exclude_branches)}" if config.exclude_branches else "")
    )
    if config.roots:
        out.print("roots: " + ", ".join(r or "." for r in config.roots))
    out.print(f"fail_open: {str(config.fail_open).lower()}  timeout: {config.timeout:g}s")
    if skip:
        out.print(f"skipped in this shell: {skip}")


@app.command(
    "run",
    hidden=True,
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
)
def hook_run(
    ctx: typer.Context,
    remote: str = typer.Argument("", help="Remote name (from git)."),
    url: str = typer.Argument("", help="Remote URL (from git)."),
) -> None:
    """Run the pre-push hook: git's pushed refs on stdin."""
    from cli.hook import run

    text = "" if sys.stdin is None or sys.stdin.isatty() else sys.stdin.read()
    code = run([remote, url, *ctx.args], text, app_ctx=ctx.obj, cwd=Path.cwd())
    raise typer.Exit(code)
