"""Small pieces of the viewer: status formatting, the diagnosis panel, the search bar."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Input, Label, Static

from cli.render import STATUS_STYLE, display_text, human_duration
from cli.tui.model import Query
from runner.models import BuildRecord


def status_cell(status: str) -> Text:
    icon, style = STATUS_STYLE.get(status, ("?", ""))
    return Text(f"{icon} {status}", style=style)


def build_duration(record: BuildRecord, now: float | None = None) -> str:
    if record.duration is not None:
        return human_duration(record.duration)
    if record.started_at is not None and not record.status.terminal:
        return human_duration(max(0.0, (now or time.time()) - record.started_at)) + "…"
    return "-"


def started_text(record: BuildRecord) -> str:
    when = record.started_at or record.created_at
    return datetime.fromtimestamp(when).strftime("%m-%d %H:%M")


def detail_text(record: BuildRecord) -> Text:
    """The highlighted build in full, under the list."""
    text = title_text(record)
    when = datetime.fromtimestamp(record.started_at or record.created_at)
    text.append(f"  {when:%Y-%m-%d %H:%M:%S}", style="dim")
    failure = failure_text(record)
    if failure.plain:
        text.append("\n")
        text.append_text(failure)
    return text


def failure_text(record: BuildRecord) -> Text:
    diagnosis = record.diagnosis or {}
    if diagnosis.get("code"):
        return Text.assemble(
            (str(diagnosis["code"]), "bold red"), " ", str(diagnosis.get("title") or "")
        )
    if record.status.terminal and record.status.value != "succeeded" and record.error:
        return Text(record.error, style="red")
    return Text("")


def title_text(record: BuildRecord) -> Text:
    ref = f" @ {record.ref}" if record.ref else ""
    commit = f"  {record.commit[:10]}" if record.commit else ""
    text = Text.assemble(("pitstop ", "bold"), (f"#{record.id} ", "bold cyan"))
    text.append_text(status_cell(record.status.value))
    text.append(f"  {record.source}{ref}{commit}  ")
    text.append(build_duration(record), style="bold")
    if record.phase and record.status.value != "succeeded":
        text.append(f"  failed in {record.phase.value}", style="red")
    return text


def step_notes(record: BuildRecord) -> dict[str, str]:
    """Step name → ``12.3s``, ``exit 1``, notes: shown on section headers."""
    notes: dict[str, str] = {}
    for step in record.steps:
        parts = [human_duration(step.duration)]
        if step.exit_code not in (None, 0):
            parts.append(f"exit {step.exit_code}")
        if step.skipped:
            parts.append("skipped")
        if step.note:
            parts.append(step.note)
        notes[step.step] = "  ".join(parts)
    return notes


def evidence_seqs(record: BuildRecord) -> list[int]:
    items = (record.diagnosis or {}).get("evidence") or []
    return sorted({int(e["line"]) for e in items if isinstance(e.get("line"), int)})


def diagnosis_text(diagnosis: dict[str, Any]) -> Text:
    body = Text()
    body.append(f"{diagnosis.get('code', '?')}", style="bold red")
    body.append(f"  {diagnosis.get('title') or ''}\n", style="bold")
    if diagnosis.get("explanation"):
        body.append(f"{diagnosis['explanation']}\n")
    if diagnosis.get("fix"):
        body.append("fix: ", style="bold green")
        body.append(f"{diagnosis['fix']}\n")
    evidence = diagnosis.get("evidence") or []
    for item in evidence[:12]:
        body.append(f"  line {item.get('line')}: ", style="dim")
        body.append(f"{display_text(str(item.get('text', '')))[:300]}\n", style="red")
    if len(evidence) > 12:
        body.append(f"  … {len(evidence) - 12} more (e / E to step through)\n", style="dim")
    if diagnosis.get("secondary"):
        body.append("also: ", style="bold")
        body.append(", ".join(str(s) for s in diagnosis["secondary"]), style="yellow")
    body.rstrip()
    return body


class StatusLine(Widget):
    """One line of text that redraws without asking for a new layout."""

    DEFAULT_CSS = "StatusLine { height: 1; }"

    def __init__(self, id: str | None = None) -> None:
        super().__init__(id=id)
        self.text: Text | str = ""

    def set(self, text: Text | str) -> None:
        if text != self.text:
            self.text = text
            self.refresh()

    def render(self) -> Text | str:
        return self.text


class DiagnosisPanel(VerticalScroll):
    """The classifier's verdict under the log."""

    DEFAULT_CSS = """
    DiagnosisPanel {
        height: auto; max-height: 40%;
        border-top: solid $error; padding: 0 1; background: $panel;
    }
    """

    def compose(self) -> ComposeResult:
        yield Static(id="diagnosis-body")

    def show(self, diagnosis: dict[str, Any] | None) -> None:
        self.query_one("#diagnosis-body", Static).update(
            diagnosis_text(diagnosis) if diagnosis else ""
        )
        self.border_title = "why it failed"


class SearchBar(Horizontal):
    """``/`` search or ``&`` filter input with regex and case toggles."""

    DEFAULT_CSS = """
    SearchBar { height: 1; background: $panel; display: none; }
    SearchBar.-open { display: block; }
    SearchBar Label { padding: 0 1; }
    SearchBar Input { border: none; height: 1; padding: 0; width: 1fr; background: $panel; }
    """
    BINDINGS = [  # noqa: RUF012
        Binding("ctrl+r", "toggle_regex", "regex", show=False),
        Binding("ctrl+t", "toggle_case", "case", show=False),
        Binding("escape", "cancel", "cancel", show=False),
    ]

    class Submitted(Message):
        def __init__(self, query: Query, mode: str) -> None:
            super().__init__()
            self.query, self.mode = query, mode

    class Cancelled(Message):
        pass

    def __init__(self) -> None:
        super().__init__(id="searchbar")
        self.mode = "search"
        self.regex = False
        self.case = False

    def compose(self) -> ComposeResult:
        yield Label("/", id="search-prefix")
        yield Input(placeholder="text (ctrl+r regex, ctrl+t case)", id="search-input")
        yield Label("", id="search-flags")

    def open(self, mode: str, value: str = "") -> None:
        self.mode = mode
        self.query_one("#search-prefix", Label).update("/" if mode == "search" else "filter &")
        field = self.query_one("#search-input", Input)
        field.value = value
        self._flags()
        self.add_class("-open")
        field.focus()

    def close(self) -> None:
        self.remove_class("-open")

    def _flags(self) -> None:
        flags = ("[.*] regex" if self.regex else "plain") + " · "
        flags += "Aa match case" if self.case else "ignore case"
        self.query_one("#search-flags", Label).update(flags)

    def action_toggle_regex(self) -> None:
        self.regex = not self.regex
        self._flags()

    def action_toggle_case(self) -> None:
        self.case = not self.case
        self._flags()

    def action_cancel(self) -> None:
        self.close()
        self.post_message(self.Cancelled())

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.close()
        self.post_message(self.Submitted(Query(event.value, self.regex, self.case), self.mode))
