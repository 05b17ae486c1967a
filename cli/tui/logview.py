"""A virtualised log view on Textual's line API: only the rows on screen are rendered.

Rows come from a :class:`RowMap` (section headers and line seqs); line text is read lazily
through a :class:`LineCache`; parsed ``Text`` (ANSI colours kept) is LRU-cached per line.
With wrapping on, the scroll position counts logical rows and the screen is filled from the
top row down (or from the last row up when scrolled to the end).
"""

from __future__ import annotations

from collections import OrderedDict
from datetime import datetime
from typing import Any, ClassVar

from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.scrollbar import ScrollTo, ScrollUp
from textual.strip import Strip

from cli.tui.model import LineCache, Query, Row, RowMap, Sections, display_raw, elapsed

TIME_MODES = ("off", "clock", "elapsed")
_CURSOR = Style(bgcolor="#2d4a6b")
_EVIDENCE = Style(bgcolor="#4a1c1c")
_MATCH = Style(bgcolor="#b58900", color="black")
_HEADER = Style(bold=True, color="#8fbcff")


class _LRU(OrderedDict[Any, Any]):
    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def put(self, key: Any, value: Any) -> Any:
        self[key] = value
        if len(self) > self.size:
            self.popitem(last=False)
        return value

    def fetch(self, key: Any) -> Any:
        value = self.get(key)
        if value is not None:
            self.move_to_end(key)
        return value


class LogView(ScrollView, can_focus=True, inherit_bindings=False):
    """The log pane. Owners feed it ``set_total``/``set_sections``/``set_filter``.

    Vertical keys belong to the screen (they move the cursor); only sideways scrolling
    is bound here."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("left,h", "scroll_left", "scroll left", show=False),
        Binding("right,l", "scroll_right", "scroll right", show=False),
    ]

    DEFAULT_CSS = """
    LogView { background: $surface; }
    """

    class Changed(Message):
        """Cursor, follow state or rows changed: the status bar should be redrawn."""

    def __init__(
        self,
        lines: LineCache,
        *,
        total: int = 0,
        started_at: float | None = None,
        steps: dict[str, str] | None = None,
        evidence: set[int] | None = None,
        follow: bool = False,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self.lines = lines
        self.sections = Sections()
        self.collapsed: set[int] = set()
        self.filter_matches: Any = None
        self.query: Query | None = None
        self.search_matches: Any = None
        self.evidence = evidence or set()
        self.started_at = started_at
        self.step_notes = steps or {}
        self.time_mode = "off"
        self.wrap = False
        self.follow = follow
        self.cursor = 0
        self.rowmap = RowMap(total)
        # a few screens' worth each: enough to scroll back and forth, small on huge logs
        self._texts = _LRU(1024)
        self._strips = _LRU(512)
        self._final = _LRU(256)  # (strip, scroll x, width, cursor?, style) → cropped strip
        self._layout_key: Any = None
        self._layout: list[tuple[int, Strip]] = []
        self._max_width = 0
        self._sync_size()

    # -- feeding -------------------------------------------------------------------------------

    @property
    def total(self) -> int:
        return self.rowmap.total

    def set_total(self, total: int, sections: Sections | None = None) -> None:
        """New lines arrived (and/or sections grew); follows the end when following."""
        if sections is not None:
            self.sections = sections
        self._rebuild(total)
        if self.follow:
            self.cursor = max(0, len(self.rowmap) - 1)
            self._scroll_end()

    def set_filter(self, matches: Any, query: Query | None) -> None:
        """Show only ``matches`` (an ascending array of seqs), or everything with None."""
        self.filter_matches = matches
        if query is not None:
            self.query = query
        self._rebuild(self.total)
        self.scroll_to_cursor(center=True)

    def set_search(self, query: Query | None, matches: Any) -> None:
        self.query = query
        self.search_matches = matches
        self._invalidate()

    def set_step_notes(self, notes: dict[str, str]) -> None:
        if notes != self.step_notes:
            self.step_notes = notes
            self._invalidate()

    def _rebuild(self, total: int) -> None:
        current = self.rowmap.row(self.cursor)
        self.rowmap = RowMap(total, self.sections, self.collapsed, self.filter_matches)
        self.cursor = self.rowmap.nearest(current) if current is not None else 0
        self._sync_size()
        self._invalidate()

    def _invalidate(self) -> None:
        self._strips.clear()
        self._layout_key = None
        self.refresh()
        self.post_message(self.Changed())

    def _sync_size(self) -> None:
        width = max(self._max_width, self.scrollable_content_region.width or 1)
        self.virtual_size = Size(0 if self.wrap else width, len(self.rowmap))

    # -- navigation ----------------------------------------------------------------------------

    @property
    def current_row(self) -> Row | None:
        return self.rowmap.row(self.cursor)

    @property
    def current_seq(self) -> int | None:
        row = self.current_row
        return row[1] if row and row[0] == "line" else None

    def move_cursor(self, index: int, *, center: bool = False) -> None:
        rows = len(self.rowmap)
        index = max(0, min(index, rows - 1)) if rows else 0
        if index < self.cursor:
            self.follow = False
        self.cursor = index
        self._layout_key = None
        self.scroll_to_cursor(center=center)
        self.refresh()
        self.post_message(self.Changed())

    def go_to_seq(self, seq: int) -> bool:
        """Put the cursor on ``seq``, expanding its section; False if it is filtered out."""
        section = self.rowmap.section_of_seq(seq)
        if section is not None and section in self.collapsed:
            self.collapsed.discard(section)
            self._rebuild(self.total)
        index = self.rowmap.index_of_seq(seq)
        if index is None:
            return False
        self.follow = False
        self.move_cursor(index, center=True)
        return True

    def scroll_to_cursor(self, *, center: bool = False) -> None:
        height = self.scrollable_content_region.height or 1
        top = int(self.scroll_y)
        if center:
            target = self.cursor - height // 2
        elif self.cursor < top:
            target = self.cursor
        elif self.wrap and self.cursor >= top:
            visible = {row for row, _ in self._compute_layout()}
            target = top if self.cursor in visible and self.cursor != max(visible) else None
            if target is None:
                target = self.cursor - height + 1
        elif self.cursor >= top + height:
            target = self.cursor - height + 1
        else:
            return
        self.scroll_to(y=max(0, target), animate=False, immediate=True)

    def _scroll_end(self) -> None:
        self.scroll_to(y=max(0, len(self.rowmap) - 1), animate=False, immediate=True)
        self.scroll_end(animate=False)

    def resume_follow(self) -> None:
        self.follow = True
        self.cursor = max(0, len(self.rowmap) - 1)
        self._layout_key = None
        self._scroll_end()
        self.refresh()
        self.post_message(self.Changed())

    def _pause_follow(self) -> None:
        if self.follow:
            self.follow = False
            self.post_message(self.Changed())

    def _on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        self._pause_follow()
        super()._on_mouse_scroll_up(event)

    def _on_scroll_up(self, event: ScrollUp) -> None:
        self._pause_follow()
        super()._on_scroll_up(event)

    def _on_scroll_to(self, message: ScrollTo) -> None:
        if message.y is not None and message.y < self.scroll_y:
            self._pause_follow()
        super()._on_scroll_to(message)

    def go_to_end(self) -> None:
        """Cursor on the last row, scrolled into view (following if follow is on)."""
        if self.follow:
            self.resume_follow()
            return
        self.cursor = max(0, len(self.rowmap) - 1)
        self._layout_key = None
        self.scroll_end(animate=False)
        self.refresh()
        self.post_message(self.Changed())

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        self._layout_key = None
        super().watch_scroll_y(old_value, new_value)

    def toggle_section(self, index: int | None = None) -> None:
        """Collapse or expand the section under the cursor (or ``index``)."""
        if index is None:
            row = self.current_row
            if row is None:
                return
            index = row[1] if row[0] == "header" else self.rowmap.section_of_seq(row[1])
            if index is None:
                return
        if index in self.collapsed:
            self.collapsed.discard(index)
        else:
            self.collapsed.add(index)
        self._rebuild(self.total)
        header = self.rowmap.index_of_header(index)
        if header is not None:
            self.cursor = header
        self.scroll_to_cursor()

    def set_all_collapsed(self, collapsed: bool) -> None:
        self.collapsed = set(range(len(self.sections.items))) if collapsed else set()
        self._rebuild(self.total)
        self.scroll_to_cursor(center=True)

    def cycle_time(self) -> str:
        self.time_mode = TIME_MODES[(TIME_MODES.index(self.time_mode) + 1) % len(TIME_MODES)]
        self._invalidate()
        return self.time_mode

    def toggle_wrap(self) -> bool:
        self.wrap = not self.wrap
        self._sync_size()
        self._invalidate()
        self.scroll_to_cursor(center=True)
        return self.wrap

    def plain_line(self, seq: int) -> str:
        line = self.lines.get(seq)
        if line is None:
            return ""
        return self._text(seq, line).plain

    # -- rendering -----------------------------------------------------------------------------

    def _text(self, seq: int, line: Any) -> Text:
        text = self._texts.fetch(seq)
        if text is None:
            raw, cut = display_raw(line.text)
            style = "dim" if line.stream == "system" else ""
            text = Text.from_ansi(raw, style=style) if "\x1b" in raw else Text(raw, style=style)
            text.expand_tabs(8)
            if line.stream == "stderr" and "\x1b" not in raw:
                text.stylize("#e0c080")
            if cut:
                text.append(f" … [{cut:,} more characters]", style="dim italic")
            self._texts.put(seq, text)
        return text

    def _gutter_width(self) -> int:
        return max(4, len(str(self.total)))

    def _row_text(self, row: Row) -> Text:
        kind, value = row
        width = self._gutter_width()
        if kind == "header":
            section = self.sections.items[value]
            arrow = "▸" if value in self.collapsed else "▾"
            note = self.step_notes.get(section.step, "")
            lines = f"{section.count:,} line" + ("" if section.count == 1 else "s")
            return Text.assemble(
                (f"{arrow} {section.step}", _HEADER),
                (f"  {note}" if note else "", "bold"),
                (f"  ({lines})", "dim"),
            )
        line = self.lines.get(value)
        marker = "▌" if value in self.evidence else " "
        gutter = Text.assemble(
            (marker, "bold red"), (f"{value:>{width}} ", "dim" if marker == " " else "bold red")
        )
        if line is None:
            return gutter
        if self.time_mode == "clock":
            stamp = datetime.fromtimestamp(line.ts).strftime("%H:%M:%S.%f")[:-3]
            gutter.append(f"{stamp} ", style="#6f8faf")
        elif self.time_mode == "elapsed":
            base = self.started_at if self.started_at is not None else line.ts
            gutter.append(f"{elapsed(line.ts - base):>9} ", style="#6f8faf")
        body = self._text(value, line)
        if self.query is not None and self.query.text:
            spans = self.query.spans(body.plain)
            if spans:
                body = body.copy()
                for start, end in spans:
                    body.stylize(_MATCH, start, end)
        text = gutter + body
        if value in self.evidence:
            text.stylize(_EVIDENCE)
        return text

    def _strips_for(self, index: int, width: int) -> list[Strip]:
        key = (index, width, self.wrap)
        cached = self._strips.fetch(key)
        if cached is not None:
            return cached
        row = self.rowmap.row(index)
        if row is None:
            return [Strip.blank(width)]
        text = self._row_text(row)
        text.no_wrap = not self.wrap
        text.end = ""
        console = self.app.console
        if self.wrap:
            width_for = max(1, width)
            strips = [
                Strip(list(part.render(console)), part.cell_len)
                for part in text.wrap(console, width_for, overflow="fold")
            ] or [Strip.blank(width)]
        else:
            segments = list(text.render(console))
            strip = Strip(segments)
            if strip.cell_length > self._max_width:
                self._max_width = min(strip.cell_length, 100_000)
                self.call_after_refresh(self._sync_size)
            strips = [strip]
        return self._strips.put(key, strips)

    def _compute_layout(self) -> list[tuple[int, Strip]]:
        region = self.scrollable_content_region
        height, width = region.height, region.width
        top = int(self.scroll_y)
        key = (top, height, width, self.wrap, len(self.rowmap), self.cursor)
        if key == self._layout_key:
            return self._layout
        layout: list[tuple[int, Strip]] = []
        rows = len(self.rowmap)
        if not self.wrap:
            layout = [
                (i, s[0])
                for i in range(top, min(rows, top + height))
                for s in [self._strips_for(i, width)]
            ]
        elif rows and top >= self.max_scroll_y and self.max_scroll_y > 0:
            index = rows - 1  # at the end: fill upwards so the last line shows
            while index >= 0 and len(layout) < height:
                strips = self._strips_for(index, width)
                layout[:0] = [(index, s) for s in strips]
                index -= 1
            layout = layout[-height:]
        else:
            index = top
            while index < rows and len(layout) < height:
                layout.extend((index, s) for s in self._strips_for(index, width))
                index += 1
            layout = layout[:height]
        self._layout_key, self._layout = key, layout
        return layout

    def render_line(self, y: int) -> Strip:
        layout = self._compute_layout()
        width = self.scrollable_content_region.width
        if y >= len(layout):
            return Strip.blank(width, self.rich_style)
        index, strip = layout[y]
        key = (id(strip), int(self.scroll_x), width, index == self.cursor, self.rich_style)
        cached = self._final.fetch(key)
        if cached is not None and cached[0] is strip:
            return cached[1]
        if not self.wrap:
            out = strip.crop_extend(int(self.scroll_x), int(self.scroll_x) + width, None)
        else:
            out = strip.extend_cell_length(width)
        if index == self.cursor:
            out = out.apply_style(_CURSOR)
        out = out.apply_style(self.rich_style)
        self._final.put(key, (strip, out))
        return out

    def row_at(self, y: int) -> int | None:
        layout = self._compute_layout()
        return layout[y][0] if 0 <= y < len(layout) else None

    def on_click(self, event: Any) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        index = self.row_at(offset.y)
        if index is None:
            return
        row = self.rowmap.row(index)
        if row is not None and row[0] == "header" and self.cursor == index:
            self.toggle_section(row[1])
        else:
            self.follow = False
            self.move_cursor(index)

    def on_resize(self) -> None:
        self._layout_key = None
        self._strips.clear()
        self._sync_size()
