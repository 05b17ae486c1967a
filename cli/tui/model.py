"""The log viewer's data side, free of Textual: lazy line chunks, step sections, the
row map (sections, collapsing, filtering) and the search scan.

Nothing here holds a whole log: lines are read from the store in small chunks kept in an
LRU, and scans keep only matching sequence numbers (``array('l')``).
"""

from __future__ import annotations

import re
from array import array
from bisect import bisect_left, bisect_right
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from runner.models import LogLine

ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]")
SCAN_BATCH = 8_000  # rows per read: bigger is barely faster and holds more memory


class LineReader(Protocol):
    """The part of ``runner.store.Store`` the viewer reads through."""

    def read_lines(
        self, build_id: int, *, after_seq: int = 0, limit: int | None = None
    ) -> list[LogLine]: ...

    def read_texts(
        self, build_id: int, *, after_seq: int = 0, limit: int | None = None
    ) -> list[tuple[int, str, str]]: ...

    def read_text_block(
        self, build_id: int, *, after_seq: int = 0, limit: int
    ) -> tuple[int, int, int, str] | None: ...


def strip_ansi(text: str) -> str:
    return ANSI.sub("", text) if "\x1b" in text else text


# --- lazily loaded lines ----------------------------------------------------------------------


class LineCache:
    """Lines of one build by seq, read ``chunk`` at a time; at most ``max_chunks`` kept."""

    def __init__(
        self, store: LineReader, build_id: int, *, chunk: int = 256, max_chunks: int = 16
    ) -> None:
        self.store = store
        self.build_id = build_id
        self.chunk = chunk
        self.max_chunks = max_chunks
        self._chunks: OrderedDict[int, list[LogLine]] = OrderedDict()
        self.reads = 0  # store round trips, for tests and benchmarks

    def get(self, seq: int) -> LogLine | None:
        """The line with this seq, or None if it is not stored (yet)."""
        if seq < 1:
            return None
        index, offset = divmod(seq - 1, self.chunk)
        lines = self._chunks.get(index)
        if lines is None or (offset >= len(lines) and len(lines) < self.chunk):
            self.reads += 1
            lines = self.store.read_lines(
                self.build_id, after_seq=index * self.chunk, limit=self.chunk
            )
            self._chunks[index] = lines
            while len(self._chunks) > self.max_chunks:
                self._chunks.popitem(last=False)
        else:
            self._chunks.move_to_end(index)
        return lines[offset] if offset < len(lines) else None

    def __len__(self) -> int:
        """Lines currently held in memory."""
        return sum(len(c) for c in self._chunks.values())


# --- step sections ----------------------------------------------------------------------------


@dataclass
class Section:
    """A run of consecutive lines of one step: seqs ``first``..``last``."""

    step: str
    first: int
    last: int

    @property
    def count(self) -> int:
        return self.last - self.first + 1


class Sections:
    """Step sections built incrementally from runs of one step, in seq order."""

    def __init__(self) -> None:
        self.items: list[Section] = []
        self.scanned = 0  # the highest seq seen

    def extend(self, runs: Iterable[tuple[str, int, int]]) -> None:
        """Add runs ``(step, first seq, last seq)`` that follow what is already here; a run
        continuing the last section (same step, next seq) lengthens it."""
        items = self.items
        last = items[-1] if items else None
        for step, first, end in runs:
            if last is not None and last.step == step and last.last == first - 1:
                last.last = end
            else:
                last = Section(step, first, end)
                items.append(last)
            self.scanned = end

    def copy(self) -> Sections:
        other = Sections()
        other.items = [Section(s.step, s.first, s.last) for s in self.items]
        other.scanned = self.scanned
        return other


# --- rows on screen ---------------------------------------------------------------------------

Row = tuple[str, int]
"""What one logical row shows: ``("header", section index)`` or ``("line", seq)``."""


class RowMap:
    """Maps logical rows to section headers and line seqs.

    Unfiltered: every section is a header row followed (unless collapsed) by its lines, then
    any lines not yet scanned into sections. Filtered: only the matching seqs, no headers.
    """

    def __init__(
        self,
        total: int,
        sections: Sections | None = None,
        collapsed: set[int] | None = None,
        matches: array | None = None,
    ) -> None:
        self.total = total
        self.sections = sections or Sections()
        self.collapsed = collapsed or set()
        self.matches = matches
        # blocks: (start row, kind, a, b): header (section index) or lines a..b
        self._starts: list[int] = []
        self._blocks: list[tuple[str, int, int]] = []
        rows = 0
        if matches is None:
            covered = 0
            for index, section in enumerate(self.sections.items):
                if section.first > total:
                    break
                self._add(rows, "header", index, index)
                rows += 1
                last = min(section.last, total)
                if index not in self.collapsed:
                    self._add(rows, "lines", section.first, last)
                    rows += last - section.first + 1
                covered = last
            if covered < total:
                self._add(rows, "lines", covered + 1, total)
                rows += total - covered
        else:
            rows = len(matches)
        self.rows = rows

    def _add(self, start: int, kind: str, a: int, b: int) -> None:
        self._starts.append(start)
        self._blocks.append((kind, a, b))

    def __len__(self) -> int:
        return self.rows

    def row(self, index: int) -> Row | None:
        if not 0 <= index < self.rows:
            return None
        if self.matches is not None:
            return ("line", self.matches[index])
        block = bisect_right(self._starts, index) - 1
        kind, a, _b = self._blocks[block]
        if kind == "header":
            return ("header", a)
        return ("line", a + index - self._starts[block])

    def index_of_seq(self, seq: int) -> int | None:
        """The row showing ``seq``, or None if it is hidden (collapsed or filtered out)."""
        if self.matches is not None:
            i = bisect_left(self.matches, seq)
            return i if i < len(self.matches) and self.matches[i] == seq else None
        for start, (kind, a, b) in zip(self._starts, self._blocks, strict=True):
            if kind == "lines" and a <= seq <= b:
                return start + seq - a
        return None

    def index_of_header(self, section: int) -> int | None:
        for start, (kind, a, _b) in zip(self._starts, self._blocks, strict=True):
            if kind == "header" and a == section:
                return start
        return None

    def section_of_seq(self, seq: int) -> int | None:
        items = self.sections.items
        firsts = [s.first for s in items]
        i = bisect_right(firsts, seq) - 1
        if i >= 0 and items[i].first <= seq <= items[i].last:
            return i
        return None

    def nearest(self, row: Row | None) -> int:
        """The row index showing ``row``, or the closest visible one (0 when empty)."""
        if row is None or self.rows == 0:
            return 0
        kind, value = row
        if kind == "header":
            found = self.index_of_header(value)
            if found is not None:
                return found
            if value < len(self.sections.items):
                value = self.sections.items[value].first
        elif (found := self.index_of_seq(value)) is not None:
            return found
        else:
            section = self.section_of_seq(value)
            if section is not None and section in self.collapsed:
                found = self.index_of_header(section)
                if found is not None:
                    return found
        if self.matches is not None:
            return min(bisect_left(self.matches, value), self.rows - 1)
        return min(max(0, value - 1), self.rows - 1)


# --- search -----------------------------------------------------------------------------------


class QueryError(ValueError):
    """A search pattern that does not compile."""


@dataclass(frozen=True)
class Query:
    """One search: plain text or a regex, case-sensitive or not."""

    text: str
    regex: bool = False
    case: bool = False

    def compile(self) -> re.Pattern[str]:
        flags = re.MULTILINE | (0 if self.case else re.IGNORECASE)
        try:
            return re.compile(self.text if self.regex else re.escape(self.text), flags)
        except re.error as exc:
            raise QueryError(f"bad regex {self.text!r}: {exc}") from exc

    def spans(self, plain: str) -> list[tuple[int, int]]:
        """Where the query matches in one line's plain text (for highlighting)."""
        if not self.text:
            return []
        try:
            pattern = self.compile()
        except QueryError:
            return []
        return [(m.start(), m.end()) for m in pattern.finditer(plain) if m.end() > m.start()]


def match_chunk(query: Query, rows: list[tuple[int, str, str]]) -> list[int]:
    """The seqs of ``rows`` (``(seq, step, text)``) whose ANSI-stripped text matches."""
    if not rows or not query.text:
        return []
    found = _match_joined(query, "\n".join([r[2] for r in rows]), [r[0] for r in rows])
    if found is None:  # a line held a newline: one by one
        pattern = query.compile()
        return [seq for seq, _s, text in rows if pattern.search(strip_ansi(text))]
    return found


def _match_joined(query: Query, joined: str, seqs: Sequence[int]) -> list[int] | None:
    """The ``seqs[i]`` whose line ``i`` of the newline-joined ``joined`` matches ``query``
    once ANSI-stripped; None when ``joined`` does not split into ``len(seqs)`` lines.

    The whole block is scanned in C (``str.find`` for plain text, one ``re`` search per
    matching line for regexes); a regex match that spans a newline is re-checked on its
    own line, so results equal a per-line search.
    """
    if not query.text or "\n" in query.text:
        return []
    if "\x1b" in joined:
        joined = ANSI.sub("", joined)
    plain = not query.regex
    hay = joined if query.case or not plain else joined.lower()
    n = len(seqs)
    if hay.count("\n") != n - 1:
        return None
    out: list[int] = []
    pos, line, size = 0, 0, len(hay)  # pos: start of line number `line`
    pattern = None if plain else query.compile()
    needle = query.text if query.case else query.text.lower()
    count, find = hay.count, hay.find
    while pos <= size:
        if pattern is None:
            start = find(needle, pos)
            if start < 0:
                break
        else:
            m = pattern.search(hay, pos)
            if m is None:
                break
            start = m.start()
        line += count("\n", pos, start)
        if line >= n:
            break
        end = find("\n", start)
        end = size if end < 0 else end
        # a regex match that runs into the next line counts only if the line matches alone
        if (
            pattern is None
            or m.end() <= end
            or pattern.search(hay[hay.rfind("\n", pos, start) + 1 or pos : end])
        ):
            out.append(seqs[line])
        pos, line = end + 1, line + 1
    return out


def scan(
    store: LineReader,
    build_id: int,
    query: Query,
    *,
    after_seq: int = 0,
    should_stop: Callable[[], bool] = lambda: False,
    batch: int = SCAN_BATCH,
) -> tuple[array, int]:
    """All matching seqs after ``after_seq``, and the last seq scanned.

    Reads blocks of joined text (one string per ``batch`` lines); a block whose seqs are
    not consecutive or whose lines hold newlines is re-read line by line.
    """
    query.compile()  # raise QueryError before any reading
    found = array("l")
    cursor = after_seq
    while not should_stop():
        block = store.read_text_block(build_id, after_seq=cursor, limit=batch)
        if block is None:
            break
        first, last, count, text = block
        hits = None
        if last - first + 1 == count:
            hits = _match_joined(query, text, range(first, last + 1))
        if hits is None:
            hits = match_chunk(query, store.read_texts(build_id, after_seq=cursor, limit=batch))
        found.extend(hits)
        cursor = last
        if count < batch:
            break
    return found, cursor


# --- display helpers --------------------------------------------------------------------------

MAX_DISPLAY = 2_000


def display_raw(text: str, limit: int = MAX_DISPLAY) -> tuple[str, int]:
    """What a terminal would show (the text after the last ``\\r``), cut to ``limit``
    characters; returns the text and how many characters were cut."""
    text = text.rstrip("\r")
    if "\r" in text:
        text = text.rsplit("\r", 1)[-1]
    if len(text) <= limit:
        return text, 0
    return text[:limit], len(text) - limit


def elapsed(seconds: float) -> str:
    """``+12.345s`` below a minute, ``+3:05.120`` above."""
    seconds = max(0.0, seconds)
    if seconds < 60:
        return f"+{seconds:6.3f}s"
    minutes, secs = divmod(seconds, 60)
    return f"+{int(minutes)}:{secs:06.3f}"
