"""``pitstop logs``: print a stored build's log, or follow a running one."""

from __future__ import annotations

import json
import sys
from datetime import datetime

import typer


def register(app: typer.Typer) -> None:
    app.command("logs", context_settings={"ignore_unknown_options": True})(logs)


def logs(
    ctx: typer.Context,
    build: str = typer.Argument("last", help="Build id, `last`, or -N for the N-th newest."),
    follow: bool = typer.Option(False, "--follow", "-f", help="Keep printing as the build runs."),
    step: str | None = typer.Option(None, "--step", help="Only lines of this step."),
    timestamps: bool = typer.Option(False, "--timestamps", "-t", help="Prefix each line's time."),
    json_out: bool = typer.Option(False, "--json", help="One JSON object per line."),
) -> None:
    """Print every stored line of BUILD (with -f, until it finishes)."""
    store = ctx.obj.store
    build_id = store.resolve(build)
    lines = store.follow(build_id) if follow else store.iter_lines(build_id)
    out = sys.stdout
    try:
        for line in lines:
            if step and line.step != step:
                continue
            if json_out:
                out.write(json.dumps(line.to_dict(), ensure_ascii=False) + "\n")
            elif timestamps:
                stamp = datetime.fromtimestamp(line.ts).strftime("%H:%M:%S.%f")[:-3]
                out.write(f"{stamp} [{line.step}] {line.text}\n")
            else:
                out.write(f"[{line.step}] {line.text}\n")
            if follow:
                out.flush()
    except BrokenPipeError:
        sys.stderr.close()
        return
    except KeyboardInterrupt:
        raise typer.Exit(130) from None
    out.flush()
    record = store.get_build(build_id)
    if record.status.terminal and record.status.value != "succeeded" and not json_out:
        sys.stderr.write(
            f"build #{build_id} {record.status.value}"
            + (f" in phase {record.phase.value}" if record.phase else "")
            + "\n"
        )
