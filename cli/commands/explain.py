"""``pitstop explain``: why a build, a log file or a pasted log failed, and the proving lines."""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    from rich.console import Console

    from runner.models import BuildRecord

CONTEXT = 2  # lines shown before and after each evidence line
_BUILD_REF = re.compile(r"(?i)^(?:#?\d+|-\d+|last|latest)$")
DIAGNOSIS_KEYS: dict[str, Any] = {
    "code": None,
    "phase": None,
    "category": None,
    "fault": None,
    "title": "",
    "group": "",
    "explanation": "",
    "fix": "",
    "evidence": [],
    "secondary": [],
    "captures": {},
    "rule": "",
}
"""Every key a diagnosis has in JSON output, with the value used when a stored one lacks it."""


def register(app: typer.Typer) -> None:
    app.command("explain", context_settings={"ignore_unknown_options": True})(explain)


# --- shared with `pitstop reclassify` ---------------------------------------------------------


def classifier_inputs(record: BuildRecord) -> dict[str, Any]:
    """What the runner knew about a stored build, as ``runner.diagnose.diagnose`` takes it."""
    from runner.build import diagnosis_context

    return {
        "context": diagnosis_context(record.plan),
        "failed_step": record.steps[-1].step if record.steps else None,
        "exit_code": record.exit_code,
        "oom_killed": any((s.note or "").lower() == "out of memory" for s in record.steps),
        "phase": str(record.phase) if record.phase else None,
    }


def runner_known(diagnosis: dict[str, Any] | None) -> bool:
    """Whether a stored diagnosis came from what the runner knew rather than from the log
    (a provision exit code, a planning error): such a verdict is kept, as the build did."""
    from runner.build import RUNNER_RULE

    if not diagnosis or not diagnosis.get("code") or diagnosis["code"] == "unknown":
        return False
    if diagnosis.get("rule") == RUNNER_RULE:
        return True
    # builds stored before the marker existed
    return "rule" not in diagnosis and "category" not in diagnosis and "evidence" in diagnosis


def normalize(diagnosis: dict[str, Any]) -> dict[str, Any]:
    """A diagnosis dict with every documented key present."""
    out = {k: (v.copy() if isinstance(v, list | dict) else v) for k, v in DIAGNOSIS_KEYS.items()}
    out.update({k: v for k, v in diagnosis.items() if v is not None or k not in out})
    return out


def rediagnose(record: BuildRecord, lines: list[str]) -> dict[str, Any]:
    """Classify a stored build's lines with the current rules, as the build itself did."""
    from runner.diagnose import diagnose

    fresh = diagnose(lines, **classifier_inputs(record)).to_dict()
    stored = record.diagnosis
    if runner_known(stored) and stored is not None and stored["code"] != fresh["code"]:
        return stored
    return fresh


# --- the command ------------------------------------------------------------------------------


@dataclass
class _Source:
    kind: str  # build | file | stdin
    label: str
    record: BuildRecord | None = None
    path: Path | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind}
        if self.record is not None:
            out["build"] = self.record.id
            out["status"] = str(self.record.status)
        if self.path is not None:
            out["path"] = str(self.path)
        return out


def explain(
    ctx: typer.Context,
    target: str = typer.Argument(
        "last", help="Build id, `last` or -N; a log file; or - to read a log from stdin."
    ),
    json_out: bool = typer.Option(False, "--json", help="Print the diagnosis as JSON."),
) -> None:
    """Say why a build failed, what to do, and which lines prove it.

    Also takes a log file, or - for a pasted CI log (GitHub Actions, Cloudflare, Vercel, Netlify).
    """
    from runner.diagnose import diagnose
    from runner.diagnose.clean import clean_text
    from runner.models import Status

    app_ctx = ctx.obj
    source = _resolve(target, app_ctx)
    if source.kind == "build":
        record = source.record
        assert record is not None
        if record.status in (Status.SUCCEEDED, Status.QUEUED, Status.RUNNING):
            _not_failed(app_ctx, source, json_out)
            return
        lines = app_ctx.store.log_texts(record.id)
        result = rediagnose(record, lines)
    else:
        text = _read_stdin() if source.kind == "stdin" else _read_file(source.path)
        lines = clean_text(text)
        result = diagnose(lines).to_dict()  # = explain_text(text), keeping the cleaned lines
    result = normalize(result)
    if json_out:
        typer.echo(json.dumps({**result, "source": source.to_dict()}, indent=2))
        return
    _print(app_ctx.console, source, result, lines)


def _resolve(target: str, app_ctx: Any) -> _Source:
    """A build, a file or stdin; a bare id that is also a file name means the build."""
    from runner.errors import NotFound, UsageError

    if target == "-":
        return _Source("stdin", "stdin")
    path = Path(target).expanduser()
    is_file = path.is_file()
    if target.startswith("-") and not _BUILD_REF.match(target) and not is_file:
        raise UsageError(
            f"no such option: {target}", hint="run `pitstop explain --help` for the options"
        )
    if _BUILD_REF.match(target):
        store = app_ctx.store
        try:
            build_id = store.resolve(target)
        except NotFound as exc:
            if is_file:
                return _Source("file", str(path), path=path)
            raise NotFound(
                f"{exc.message} (and there is no log file named {target!r})", hint=exc.hint
            ) from None
        if is_file:
            app_ctx.err_console.print(
                f"note: {target!r} is both build #{build_id} and a file; explaining the build "
                f"(pass ./{target} to explain the file)",
                markup=False,
            )
        return _Source("build", f"build #{build_id}", record=store.get_build(build_id))
    if path.is_dir():
        raise UsageError(
            f"{target} is a folder, not a log file", hint="pass a log file, a build id, or -"
        )
    if not is_file:
        raise UsageError(
            f"no such log file: {target}",
            hint="pass a build id (`pitstop history` lists them), a log file, "
            "or - to read a pasted log from stdin",
        )
    return _Source("file", str(path), path=path)


def _read_file(path: Path | None) -> str:
    from runner.errors import UsageError

    assert path is not None
    try:
        return path.read_bytes().decode("utf-8", errors="replace")
    except OSError as exc:
        raise UsageError(
            f"cannot read {path}: {exc.strerror or exc}", hint="check the file's permissions"
        ) from None


def _read_stdin() -> str:
    from runner.errors import UsageError

    stream = sys.stdin
    if stream is None:
        raise UsageError("there is no stdin to read a log from", hint="pass a log file instead")
    if stream.isatty():
        sys.stderr.write("paste the log, then press Ctrl-D\n")
    buffer = getattr(stream, "buffer", None)
    text = buffer.read().decode("utf-8", errors="replace") if buffer else stream.read()
    if not text.strip():
        raise UsageError(
            "nothing to explain: stdin was empty",
            hint="pipe a log in, e.g. `pbpaste | pitstop explain -`",
        )
    return text


def _not_failed(app_ctx: Any, source: _Source, json_out: bool) -> None:
    record = source.record
    assert record is not None
    message = f"{source.label} {record.status}: nothing to explain"
    if json_out:
        data = normalize({"title": message})
        typer.echo(json.dumps({**data, "source": source.to_dict()}, indent=2))
        return
    app_ctx.console.print(message, markup=False)


def _print(console: Console, source: _Source, result: dict[str, Any], lines: list[str]) -> None:
    from rich.text import Text

    from cli.render import print_diagnosis

    head = Text(source.label, style="bold")
    record = source.record
    if record is not None:
        head.append(f"  {record.status}")
        if record.phase:
            head.append(f" in {record.phase}")
        if record.exit_code is not None:
            head.append(f" (exit {record.exit_code})")
    else:
        head.append(f"  {len(lines)} lines")
    console.print(head)
    wrap, console.soft_wrap = console.soft_wrap, False  # wrap the panel instead of cropping it
    try:
        print_diagnosis(console, result)
    finally:
        console.soft_wrap = wrap
    shown = _context_lines(lines, [int(e["line"]) for e in result.get("evidence", [])])
    if shown:
        console.print(Text("evidence in context", style="bold"))
        width = len(str(shown[-1][0] if shown[-1][0] else 1))
        for number, text, hit in shown:
            if number == 0:
                console.print(Text("  " + " " * width + " ┆", style="dim"))
                continue
            row = Text("▶ " if hit else "  ", style="red")
            row.append(f"{number:>{width}} │ ", style="dim")
            row.append(text, style="red" if hit else "")
            console.print(row)
    if record is not None:
        console.print(Text(f"full log: pitstop logs {record.id}", style="dim"))


def _context_lines(
    lines: list[str], evidence: list[int], context: int = CONTEXT
) -> list[tuple[int, str, bool]]:
    """``(line number, text, is evidence)`` for each evidence line and its neighbours;
    ``(0, "", False)`` marks a gap between separate windows."""
    from cli.render import display_text
    from runner.diagnose.clean import strip_ansi

    hits = {n for n in evidence if 1 <= n <= len(lines)}
    wanted = sorted(
        {m for n in hits for m in range(max(1, n - context), min(len(lines), n + context) + 1)}
    )
    out: list[tuple[int, str, bool]] = []
    previous = 0
    for n in wanted:
        if previous and n != previous + 1:
            out.append((0, "", False))
        out.append((n, display_text(strip_ansi(lines[n - 1])).rstrip(), n in hits))
        previous = n
    return out
