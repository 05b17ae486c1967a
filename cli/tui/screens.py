"""The viewer's screens: the builds list, one build's log, and the key help."""

from __future__ import annotations

import threading
from bisect import bisect_left, bisect_right
from typing import Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Footer, Static
from textual.widgets.data_table import ColumnKey
from textual.worker import get_current_worker

from cli.tui.logview import LogView
from cli.tui.model import LineCache, Query, QueryError, scan
from cli.tui.watch import Progress, watch
from cli.tui.widgets import (
    DiagnosisPanel,
    SearchBar,
    StatusLine,
    build_duration,
    detail_text,
    evidence_seqs,
    failure_text,
    started_text,
    status_cell,
    step_notes,
    title_text,
)
from runner.models import BuildRecord

BUILD_COLUMNS = (
    ("status", 11),
    ("#", 4),
    ("source", 16),
    ("commit", 8),
    ("ref", 12),
    ("started", 11),
    ("took", 7),
    ("failure", 0),
)
# (key, action, description, shown in the footer)
BUILDS_KEYS = (
    ("enter", "open", "open build", True),
    ("up,k", "cursor_up", "previous build", False),
    ("down,j", "cursor_down", "next build", False),
    ("question_mark", "help", "help", True),
    ("q", "app.quit", "quit", True),
)
LOG_KEYS = (
    ("up,k", "up", "previous line (pauses follow)", False),
    ("down,j", "down", "next line", False),
    ("pageup", "page_up", "page up", False),
    ("pagedown,space", "page_down", "page down", False),
    ("home,g", "home", "first line", False),
    ("end,G", "end", "last line and follow", False),
    ("F", "follow", "follow new lines", True),
    ("slash", "search", "search", True),
    ("ampersand", "filter", "filter: only matching lines", True),
    ("n", "next_match", "next match", False),
    ("N", "previous_match", "previous match", False),
    ("e", "next_error", "next error line", True),
    ("E", "previous_error", "previous error line", False),
    ("d", "diagnosis", "diagnosis panel", True),
    ("enter", "toggle_section", "collapse / expand step", False),
    ("minus", "collapse_all", "collapse all steps", False),
    ("plus,equals_sign", "expand_all", "expand all steps", False),
    ("t", "time", "timestamps: off / clock / elapsed", True),
    ("w", "wrap", "wrap long lines", True),
    ("c", "copy", "copy current line", False),
    ("o", "output", "show output directory", False),
    ("left,h", "", "scroll left", False),
    ("right,l", "", "scroll right", False),
    ("escape", "back", "clear filter/search, then back", False),
    ("question_mark", "help", "help", True),
    ("q", "app.quit", "quit", True),
)
SEARCH_KEYS = (
    ("ctrl+r", "", "(in the search bar) regex on/off", False),
    ("ctrl+t", "", "(in the search bar) match case on/off", False),
    ("escape", "", "(in the search bar) cancel", False),
)


def _bindings(keys: tuple[tuple[str, str, str, bool], ...]) -> list[Binding]:
    return [Binding(k, a, d.split(":")[0], show=s) for k, a, d, s in keys if a]


def _key_label(key: str) -> str:
    names = {"question_mark": "?", "slash": "/", "ampersand": "&", "minus": "-", "plus": "+"}
    names |= {"equals_sign": "=", "pageup": "PgUp", "pagedown": "PgDn"}
    return " ".join(names.get(k, k) for k in key.split(","))


class HelpScreen(ModalScreen[None]):
    """Every key of the viewer."""

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 70; max-width: 95%; height: 90%; border: round $accent; background: $panel;
        padding: 0 1;
    }
    """
    BINDINGS = [  # noqa: RUF012
        Binding("escape,q,question_mark", "dismiss", "close"),
    ]

    def compose(self) -> ComposeResult:
        text = Text()
        for title, keys in (("builds list", BUILDS_KEYS), ("log", LOG_KEYS + SEARCH_KEYS)):
            text.append(f"{title}\n", style="bold underline")
            for key, _action, description, _show in keys:
                text.append(f"  {_key_label(key):<16}", style="bold cyan")
                text.append(f"{description}\n")
            text.append("\n")
        text.append("mouse: click a line to select it, click a step header twice to fold it;\n")
        text.append("the wheel scrolls (scrolling up pauses follow).", style="")
        with VerticalScroll():
            yield Static(text)

    def action_dismiss(self) -> None:  # type: ignore[override]
        self.dismiss(None)


# --- builds list ------------------------------------------------------------------------------


class BuildsScreen(Screen[None]):
    """All builds, newest first; refreshed every half second."""

    BINDINGS = _bindings(BUILDS_KEYS)
    DEFAULT_CSS = """
    #builds-title { height: 1; background: $panel; padding: 0 1; }
    #builds { height: 1fr; }
    #build-detail { height: auto; max-height: 4; background: $panel; padding: 0 1; }
    """

    def __init__(self, store: Any, *, poll: float = 0.5) -> None:
        super().__init__()
        self.store = store
        self.poll = poll
        self.records: dict[int, BuildRecord] = {}
        self.order: list[int] = []

    def compose(self) -> ComposeResult:
        yield Static(Text("pitstop builds", style="bold"), id="builds-title")
        table: DataTable[Any] = DataTable(id="builds", cursor_type="row", zebra_stripes=True)
        yield table
        yield Static("", id="build-detail")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for label, width in BUILD_COLUMNS:
            table.add_column(label, key=label, width=width or self._failure_width())
        self.apply(self.store.list_builds(limit=500))
        self.set_interval(self.poll, self.refresh_builds)
        table.focus()

    def _failure_width(self) -> int:
        fixed = sum(w + 2 for _, w in BUILD_COLUMNS if w) + 3
        return max(12, (self.app.size.width or 100) - fixed)

    def on_resize(self) -> None:
        table = self.query_one(DataTable)
        column = table.columns.get(ColumnKey("failure"))
        if column is not None and column.width != self._failure_width():
            column.width = self._failure_width()
            self.order = []  # redraw every row at the new width
            self.apply(self._sorted())

    def _sorted(self) -> list[BuildRecord]:
        return sorted(self.records.values(), key=lambda r: -r.id)

    @work(thread=True, exclusive=True, group="builds")
    def refresh_builds(self) -> None:
        records = self.store.list_builds(limit=500)
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self.apply, records)

    def _cells(self, r: BuildRecord) -> list[Any]:
        failure = failure_text(r)
        failure.truncate(self._failure_width(), overflow="ellipsis")
        return [
            status_cell(r.status.value),
            str(r.id),
            r.source,
            (r.commit or "")[:8],
            r.ref or "",
            started_text(r),
            build_duration(r),
            failure,
        ]

    def apply(self, records: list[BuildRecord]) -> None:
        table = self.query_one(DataTable)
        order = [r.id for r in records]
        if order != self.order:
            current = self.selected_id()
            table.clear()
            for r in records:
                table.add_row(*self._cells(r), key=str(r.id))
            self.order = order
            if current in order:
                table.move_cursor(row=order.index(current))
        else:
            columns = [c.key for c in table.columns.values()]
            for r in records:
                old = self.records.get(r.id)
                if old == r and r.status.terminal:
                    continue
                for column, value in zip(columns, self._cells(r), strict=True):
                    table.update_cell(str(r.id), column, value)
        self.records = {r.id: r for r in records}
        self._detail()

    def selected_id(self) -> int | None:
        table = self.query_one(DataTable)
        if self.order and table.row_count and 0 <= table.cursor_row < len(self.order):
            return self.order[table.cursor_row]
        return None

    def _detail(self) -> None:
        detail = self.query_one("#build-detail", Static)
        build_id = self.selected_id()
        record = self.records.get(build_id) if build_id is not None else None
        if record is None:
            detail.update(Text("no builds yet: run `pitstop build`", style="dim"))
            return
        detail.update(detail_text(record))

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._detail()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value is not None:
            self.app.push_screen(LogScreen(self.store, int(event.row_key.value)))

    def action_open(self) -> None:
        build_id = self.selected_id()
        if build_id is not None:
            self.app.push_screen(LogScreen(self.store, build_id))

    def action_cursor_up(self) -> None:
        self.query_one(DataTable).action_cursor_up()

    def action_cursor_down(self) -> None:
        self.query_one(DataTable).action_cursor_down()

    def action_help(self) -> None:
        self.app.push_screen(HelpScreen())


# --- one build's log --------------------------------------------------------------------------


class LogScreen(Screen[None]):
    """One build: title, virtualised log, diagnosis panel, search bar, status line."""

    BINDINGS = _bindings(LOG_KEYS)
    DEFAULT_CSS = """
    #log-title { height: 1; background: $panel; padding: 0 1; }
    #log-status { height: 1; background: $boost; padding: 0 1; color: $text-muted; }
    LogView { height: 1fr; }
    """

    class Watched(Message):
        def __init__(self, progress: Progress) -> None:
            super().__init__()
            self.progress = progress

    class Searched(Message):
        def __init__(self, query: Query, mode: str, matches: Any, upto: int, more: bool) -> None:
            super().__init__()
            self.query, self.mode, self.matches = query, mode, matches
            self.upto, self.more = upto, more

    def __init__(self, store: Any, build_id: int) -> None:
        super().__init__()
        self.store = store
        self.build_id = build_id
        self.record: BuildRecord = store.get_build(build_id)
        self.evidence = evidence_seqs(self.record)
        self._stop = threading.Event()
        self.search_query: Query | None = None
        self.search_mode = "search"
        self.matches: Any = None
        self.matches_upto = 0
        self.searching = False
        self.done = self.record.status.terminal
        self.message = ""

    def compose(self) -> ComposeResult:
        record = self.record
        yield Static(title_text(record), id="log-title")
        view = LogView(
            LineCache(self.store, self.build_id),
            total=self.store.last_seq(self.build_id),
            started_at=record.started_at or record.created_at,
            steps=step_notes(record),
            evidence=set(self.evidence),
            follow=not record.status.terminal,
            id="log",
        )
        yield view
        panel = DiagnosisPanel(id="diagnosis")
        panel.display = bool(record.diagnosis)
        self._shown_diagnosis = record.diagnosis
        yield SearchBar()
        yield StatusLine(id="log-status")
        yield panel
        yield Footer()

    @property
    def view(self) -> LogView:
        return self.query_one(LogView)

    def on_mount(self) -> None:
        self.query_one(DiagnosisPanel).show(self.record.diagnosis)
        view = self.view
        view.focus()
        view.go_to_end()
        self.call_after_refresh(view.go_to_end)  # again once the layout knows its height
        self.watch_build()
        self.update_status()

    def on_unmount(self) -> None:
        self._stop.set()

    # -- background work -----------------------------------------------------------------------

    def _own_store(self) -> Any:
        from runner.store import Store

        return Store(self.store.path)

    @work(thread=True, exclusive=True, group="watch")
    def watch_build(self) -> None:
        store = self._own_store()
        try:
            watch(
                store,
                self.build_id,
                lambda p: self.post_message(self.Watched(p)),
                stop=self._stop,
            )
        finally:
            store.close()

    def on_log_screen_watched(self, message: Watched) -> None:
        progress = message.progress
        view = self.view
        if progress.record is not None:
            self.record = progress.record
            self.query_one("#log-title", Static).update(title_text(self.record))
            view.set_step_notes(step_notes(self.record))
            evidence = evidence_seqs(self.record)
            if evidence != self.evidence:
                self.evidence = evidence
                view.evidence = set(evidence)
            panel = self.query_one(DiagnosisPanel)
            if self.record.diagnosis and self.record.diagnosis != self._shown_diagnosis:
                # a new verdict opens the panel once; after that `d` decides
                self._shown_diagnosis = self.record.diagnosis
                panel.show(self.record.diagnosis)
                panel.display = True
        if progress.total >= view.total or len(progress.sections.items) != len(view.sections.items):
            view.set_total(max(progress.total, view.total), progress.sections)
            if not view.follow:
                view.scroll_to_cursor()
        self.done = progress.done
        if self.search_query is not None and not self.searching and view.total > self.matches_upto:
            self.run_search(self.search_query, self.search_mode, self.matches_upto, more=True)
        self.update_status()

    @work(thread=True, exclusive=True, group="search")
    def run_search(self, query: Query, mode: str, after: int = 0, *, more: bool = False) -> None:
        worker = get_current_worker()
        store = self._own_store()
        try:
            matches, upto = scan(
                store,
                self.build_id,
                query,
                after_seq=after,
                should_stop=lambda: worker.is_cancelled,
            )
        finally:
            store.close()
        if not worker.is_cancelled:
            self.post_message(self.Searched(query, mode, matches, max(upto, after), more))

    def start_search(self, query: Query, mode: str) -> None:
        try:
            query.compile()
        except QueryError as exc:
            self.notify(str(exc), severity="error")
            return
        self.search_query, self.search_mode = query, mode
        self.searching = True
        self.message = f"searching for {query.text!r}…"
        self.update_status()
        self.run_search(query, mode)

    def on_log_screen_searched(self, message: Searched) -> None:
        if message.query != self.search_query or message.mode != self.search_mode:
            return
        self.searching = False
        if message.more and self.matches is not None:
            self.matches.extend(message.matches)
        else:
            self.matches = message.matches
        self.matches_upto = message.upto
        view = self.view
        if message.mode == "filter":
            view.set_filter(self.matches, message.query)
            view.set_search(message.query, self.matches)
        else:
            if view.filter_matches is not None:
                view.set_filter(None, None)
            view.set_search(message.query, self.matches)
            if not message.more:
                self._jump_match(forward=True, inclusive=True)
        self.message = f"{len(self.matches):,} matching lines" if self.matches is not None else ""
        self.update_status()

    # -- status --------------------------------------------------------------------------------

    def update_status(self) -> None:
        view = self.view
        seq = view.current_seq
        parts = [f"line {seq or '-'}/{view.total:,}"]
        if view.follow and not self.done:
            parts.append("FOLLOWING")
        elif not self.done:
            parts.append("paused (F follows)")
        if self.search_query is not None:
            kind = "filter" if self.search_mode == "filter" else "search"
            flags = ("regex" if self.search_query.regex else "plain") + (
                ", case" if self.search_query.case else ""
            )
            found = "…" if self.searching else f"{len(self.matches or ()):,}"
            parts.append(f"{kind} {self.search_query.text!r} ({flags}): {found}")
        if view.time_mode != "off":
            parts.append(f"time: {view.time_mode}")
        if view.wrap:
            parts.append("wrap")
        if self.message and not self.search_query:
            parts.append(self.message)
        self.query_one("#log-status", StatusLine).set("  │  ".join(parts))

    def on_log_view_changed(self, message: LogView.Changed) -> None:
        self.update_status()

    # -- actions -------------------------------------------------------------------------------

    def _page(self) -> int:
        return max(1, self.view.scrollable_content_region.height - 1)

    def action_up(self) -> None:
        self.view.move_cursor(self.view.cursor - 1)

    def action_down(self) -> None:
        self.view.move_cursor(self.view.cursor + 1)

    def action_page_up(self) -> None:
        self.view.move_cursor(self.view.cursor - self._page())

    def action_page_down(self) -> None:
        self.view.move_cursor(self.view.cursor + self._page())

    def action_home(self) -> None:
        self.view.move_cursor(0)

    def action_end(self) -> None:
        self.view.resume_follow()

    def action_follow(self) -> None:
        self.view.resume_follow()

    def action_search(self) -> None:
        self.query_one(SearchBar).open(
            "search", self.search_query.text if self.search_query else ""
        )

    def action_filter(self) -> None:
        self.query_one(SearchBar).open(
            "filter", self.search_query.text if self.search_query else ""
        )

    def on_search_bar_submitted(self, message: SearchBar.Submitted) -> None:
        self.view.focus()
        if not message.query.text:
            self.clear_search()
            return
        self.start_search(message.query, message.mode)

    def on_search_bar_cancelled(self, message: SearchBar.Cancelled) -> None:
        self.view.focus()

    def clear_search(self) -> None:
        self.search_query, self.matches, self.searching = None, None, False
        self.workers.cancel_group(self, "search")
        view = self.view
        view.set_filter(None, None)
        view.set_search(None, None)
        self.message = ""
        self.update_status()

    def _jump_match(self, *, forward: bool, inclusive: bool = False) -> None:
        if not self.matches:
            if self.search_query is not None:
                self.notify(f"no lines match {self.search_query.text!r}", severity="warning")
            return
        self._jump(self.matches, forward, inclusive)

    def _jump(self, seqs: Any, forward: bool, inclusive: bool = False) -> bool:
        view = self.view
        current = view.current_seq
        if current is None:
            row = view.current_row
            current = 0
            if row is not None and row[0] == "header":
                current = view.sections.items[row[1]].first - (1 if forward else 0)
        if forward:
            i = bisect_left(seqs, current) if inclusive else bisect_right(seqs, current)
            target = seqs[i] if i < len(seqs) else seqs[0]
        else:
            i = bisect_left(seqs, current) - 1
            target = seqs[i] if i >= 0 else seqs[-1]
        if not view.go_to_seq(target):
            self.notify(f"line {target} is hidden by the filter", severity="warning")
            return False
        return True

    def action_next_match(self) -> None:
        self._jump_match(forward=True)

    def action_previous_match(self) -> None:
        self._jump_match(forward=False)

    def action_next_error(self) -> None:
        if not self.evidence:
            self.notify("the classifier marked no error lines in this build")
            return
        self._jump(self.evidence, True)

    def action_previous_error(self) -> None:
        if not self.evidence:
            self.notify("the classifier marked no error lines in this build")
            return
        self._jump(self.evidence, False)

    def action_diagnosis(self) -> None:
        panel = self.query_one(DiagnosisPanel)
        if not self.record.diagnosis:
            self.notify("no diagnosis for this build")
            return
        panel.display = not panel.display

    def action_toggle_section(self) -> None:
        self.view.toggle_section()

    def action_collapse_all(self) -> None:
        self.view.set_all_collapsed(True)

    def action_expand_all(self) -> None:
        self.view.set_all_collapsed(False)

    def action_time(self) -> None:
        self.view.cycle_time()
        self.update_status()

    def action_wrap(self) -> None:
        self.view.toggle_wrap()
        self.update_status()

    def action_copy(self) -> None:
        seq = self.view.current_seq
        if seq is None:
            self.notify("no line selected")
            return
        self.app.copy_to_clipboard(self.view.plain_line(seq))
        self.notify(f"copied line {seq}")

    def action_output(self) -> None:
        out = self.record.output
        if out is not None:
            self.notify(f"output: {out.path}", timeout=10)
        else:
            self.notify("this build copied no output", severity="warning")

    def action_back(self) -> None:
        if self.search_query is not None:
            self.clear_search()
        elif len(self.app.screen_stack) > 2:
            self.app.pop_screen()

    def action_help(self) -> None:
        self.app.push_screen(HelpScreen())


__all__ = ["BuildsScreen", "HelpScreen", "LogScreen"]
