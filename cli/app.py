"""The typer root: global options, command registration, and the one error handler."""

from __future__ import annotations

import sys

import typer

from cli.commands import (
    build,
    cache,
    errors,
    explain,
    history,
    hook,
    image,
    logs,
    plan,
    reclassify,
    view,
    why,
)
from cli.context import AppContext

app = typer.Typer(
    name="pitstop",
    help="Build web projects locally in a real container: exact commit, live logs, why it broke.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


@app.callback()
def root(
    ctx: typer.Context,
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks for errors."),
) -> None:
    """pitstop: a local build pit crew for web projects."""
    ctx.obj = AppContext(debug=debug)


for module in (build, plan, history, logs, why, view, explain, errors, reclassify):
    module.register(app)
app.add_typer(image.app, name="image")
app.add_typer(cache.app, name="cache")
app.add_typer(hook.app, name="hook")


def main() -> None:
    """Console-script entry point: run the app and map errors to documented exit codes."""
    from runner.errors import PitstopError

    debug = "--debug" in sys.argv
    try:
        app()
    except PitstopError as exc:
        from cli.render import print_error

        print_error(exc, debug=debug)
        sys.exit(int(exc.exit_code))
    except Exception as exc:
        from cli.render import print_internal_error
        from runner.errors import ExitCode

        print_internal_error(exc, debug=debug)
        sys.exit(int(ExitCode.INTERNAL))


if __name__ == "__main__":
    main()
