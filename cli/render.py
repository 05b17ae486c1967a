"""Rich views of build events, build records and errors; an NDJSON sink for ``--json``."""

from __future__ import annotations

import json
import sys
import time
import traceback
from typing import IO, Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from runner import events as ev
from runner.errors import PitstopError

STATUS_STYLE = {
    "succeeded": ("✓", "green"),
    "failed": ("✗", "red"),
    "timed_out": ("⏱", "yellow"),
    "canceled": ("■", "yellow"),
    "errored": ("!", "magenta"),
    "running": ("●", "cyan"),
    "queued": ("…", "dim"),
}


def human_duration(seconds: float | None) -> str:
    """``0.4s``, ``12.3s``, ``3m05s``, ``1h02m``."""
    if seconds is None:
        return "-"
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("B", "kB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{size} B"


def display_text(raw: str) -> str:
    """What a terminal would show for a raw line: the text after the last carriage return."""
    raw = raw.rstrip("\r")
    return raw.rsplit("\r", 1)[-1]


def status_text(status: str) -> Text:
    icon, style = STATUS_STYLE.get(status, ("?", ""))
    return Text(f"{icon} {status}", style=style)


class ConsoleSink:
    """Renders a live build for people: step headers, the log, durations, a summary."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.started = time.time()
        self.current_step: str | None = None
        self.steps: list[tuple[str, float]] = []

    def __call__(self, event: ev.Event) -> None:
        c = self.console
        if isinstance(event, ev.BuildStarted):
            self.started = event.ts
            ref = f" @ {event.ref}" if event.ref else ""
            c.print(
                Text.assemble(
                    ("pitstop build ", "bold"),
                    (f"#{event.build_id}", "bold cyan"),
                    f"  {event.source}{ref}",
                )
            )
        elif isinstance(event, ev.StepStarted):
            self.current_step = event.step
            header = Text.assemble(("▸ ", "cyan"), (event.step, "bold"))
            if event.command:
                header.append(f"  {event.command}", style="dim")
            c.print(header)
        elif isinstance(event, ev.Log):
            elapsed = max(0.0, event.ts - self.started)
            text = display_text(event.text)
            if event.text.startswith("$ "):
                return
            style = (
                "dim"
                if event.stream == "system"
                else ("yellow" if event.stream == "stderr" else "")
            )
            line = Text(f"  {elapsed:6.1f}s │ ", style="dim")
            line.append(
                Text.from_ansi(text, style=style) if "\x1b" in text else Text(text, style=style)
            )
            c.print(line)
        elif isinstance(event, ev.StepFinished):
            self.steps.append((event.step, event.duration))
            icon, style = {
                "ok": ("✓", "green"),
                "cached": ("↺", "cyan"),
            }.get(event.status, ("✗", "red"))
            note = f"  ({event.note})" if event.note else ""
            code = f"  exit {event.exit_code}" if event.exit_code not in (None, 0) else ""
            c.print(
                Text.assemble(
                    (f"{icon} ", style),
                    (event.step, style),
                    f"  {human_duration(event.duration)}{code}{note}",
                )
            )
        elif isinstance(event, ev.BuildFinished):
            self._summary(event)

    def _summary(self, event: ev.BuildFinished) -> None:
        c = self.console
        c.print()
        table = Table.grid(padding=(0, 2))
        table.add_column(style="bold")
        table.add_column()
        table.add_row("build", f"#{event.build_id}")
        table.add_row("status", status_text(event.status))
        if event.phase:
            table.add_row("failed in", event.phase)
        table.add_row("exit code", "-" if event.exit_code is None else str(event.exit_code))
        if self.steps:
            table.add_row(
                "steps", "  ".join(f"{name} {human_duration(d)}" for name, d in self.steps)
            )
        table.add_row("duration", human_duration(event.duration))
        if event.output:
            out = event.output
            table.add_row(
                "output", f"{out['path']}  ({out['files']} files, {human_size(out['bytes'])})"
            )
        if event.error and event.status != "succeeded":
            table.add_row("error", escape(event.error))
        if event.hint:
            table.add_row("hint", escape(event.hint))
        c.print(table)
        if event.diagnosis:
            print_diagnosis(c, event.diagnosis)
        if event.status != "succeeded":
            c.print(Text(f"full log: pitstop logs {event.build_id}", style="dim"))


def print_diagnosis(console: Console, diagnosis: dict[str, Any]) -> None:
    """The classifier's verdict: code, title, what happened, what to do, the proving lines."""
    from rich.panel import Panel

    if not diagnosis or diagnosis.get("code") in (None, ""):
        return
    body = Text()
    body.append(f"{diagnosis.get('title', '')}\n", style="bold")
    if diagnosis.get("explanation"):
        body.append(f"{diagnosis['explanation']}\n")
    if diagnosis.get("fix"):
        body.append("fix: ", style="bold green")
        body.append(f"{diagnosis['fix']}\n")
    for item in diagnosis.get("evidence", [])[:8]:
        body.append(f"  line {item['line']}: ", style="dim")
        body.append(f"{display_text(item['text'])}\n", style="red")
    if diagnosis.get("secondary"):
        body.append("also: " + ", ".join(diagnosis["secondary"]), style="dim")
    console.print(
        Panel(body, title=f"why: {diagnosis['code']}", title_align="left", border_style="red"),
        soft_wrap=False,
    )


class JsonSink:
    """Writes each event as one JSON object per line (NDJSON) and flushes."""

    def __init__(self, stream: IO[str] | None = None) -> None:
        self.stream = stream or sys.stdout

    def __call__(self, event: ev.Event) -> None:
        self.stream.write(json.dumps(event.to_dict(), ensure_ascii=False) + "\n")
        self.stream.flush()


def print_error(exc: PitstopError, *, debug: bool = False) -> None:
    """The error contract: ``error: message`` then ``hint: …`` on stderr."""
    console = Console(stderr=True, highlight=False, soft_wrap=True)
    if debug:
        console.print(Text("".join(traceback.format_exception(exc)), style="dim"))
    console.print(Text.assemble(("error: ", "bold red"), exc.message))
    if exc.hint:
        console.print(Text.assemble(("hint: ", "bold"), exc.hint))


def print_internal_error(exc: BaseException, *, debug: bool = False) -> None:
    console = Console(stderr=True, highlight=False, soft_wrap=True)
    if debug:
        console.print(Text("".join(traceback.format_exception(exc)), style="dim"))
    console.print(Text.assemble(("internal error: ", "bold red"), f"{type(exc).__name__}: {exc}"))
    console.print(
        Text.assemble(("hint: ", "bold"), "run again with --debug and report the traceback")
    )
