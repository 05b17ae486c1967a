"""The viewer's data side: chunk matching, row maps, lazy line chunks, sections."""

from __future__ import annotations

import re
from array import array

import pytest

from cli.tui.model import (
    LineCache,
    Query,
    QueryError,
    RowMap,
    Sections,
    display_raw,
    elapsed,
    match_chunk,
    scan,
    strip_ansi,
)
from runner.models import LogLine

TEXTS = [
    "\x1b[31mERROR\x1b[0m build failed",
    "warning: deprecated",
    "all good",
    "error: E\x1b[1mRR\x1b[0mOR split by colour",
    "",
    "path a/b.c (a+b)",
    "tail warning",
    "crlf progress 10%\r100%",
]


def reference(query: Query, texts: list[str]) -> list[int]:
    """What a plain per-line search of the stripped text finds (1-based seqs)."""
    flags = 0 if query.case else re.IGNORECASE
    pattern = re.compile(query.text if query.regex else re.escape(query.text), flags | re.M)
    return [i + 1 for i, t in enumerate(texts) if pattern.search(strip_ansi(t))]


@pytest.mark.parametrize(
    "query",
    [
        Query("error"),
        Query("ERROR", case=True),
        Query("error", case=True),
        Query("warning"),
        Query("(a+b)"),
        Query(r"\(a\+b\)", regex=True),
        Query(r"^tail", regex=True),
        Query(r"good$", regex=True),
        Query(r"ed\s+all", regex=True),  # must not match across two lines
        Query(r"\s*", regex=True),  # matches every line, empty ones included
        Query("100%"),
        Query("nothing here"),
    ],
    ids=lambda q: f"{q.text!r}-{'re' if q.regex else 'plain'}-{'case' if q.case else 'nocase'}",
)
def test_match_chunk_equals_a_per_line_search(query: Query) -> None:
    rows = [(i + 1, "build", t) for i, t in enumerate(TEXTS)]
    assert match_chunk(query, rows) == reference(query, TEXTS)


def test_bad_regex_is_a_query_error() -> None:
    with pytest.raises(QueryError, match="bad regex"):
        Query("(", regex=True).compile()


class FakeStore:
    """Serves read_lines/read_texts from a list and counts calls."""

    def __init__(self, texts: list[str]) -> None:
        self.lines = [LogLine(i + 1, 100.0 + i, "s", "stdout", t) for i, t in enumerate(texts)]
        self.calls = 0

    def read_lines(self, build_id: int, *, after_seq: int = 0, limit: int | None = None):
        self.calls += 1
        out = self.lines[after_seq:]
        return out if limit is None else out[:limit]

    def read_texts(self, build_id: int, *, after_seq: int = 0, limit: int | None = None):
        return [
            (ln.seq, ln.step, ln.text)
            for ln in self.read_lines(build_id, after_seq=after_seq, limit=limit)
        ]

    def read_text_block(self, build_id: int, *, after_seq: int = 0, limit: int):
        lines = self.read_lines(build_id, after_seq=after_seq, limit=limit)
        if not lines:
            return None
        return lines[0].seq, lines[-1].seq, len(lines), "\n".join(ln.text for ln in lines)


def test_scan_reads_in_batches_and_resumes_after_a_seq() -> None:
    texts = [f"line {i}" + (" hit" if i % 7 == 0 else "") for i in range(1, 101)]
    store = FakeStore(texts)
    found, upto = scan(store, 1, Query("hit"), batch=16)
    assert list(found) == [i for i in range(1, 101) if i % 7 == 0]
    assert upto == 100
    more, _ = scan(store, 1, Query("hit"), after_seq=50, batch=16)
    assert list(more) == [i for i in range(51, 101) if i % 7 == 0]


def test_line_cache_keeps_a_bounded_number_of_chunks() -> None:
    store = FakeStore([f"t{i}" for i in range(1, 1001)])
    cache = LineCache(store, 1, chunk=10, max_chunks=3)
    assert cache.get(1).text == "t1"
    assert cache.get(10).text == "t10"
    assert store.calls == 1
    for seq in (11, 21, 31, 41):
        cache.get(seq)
    assert len(cache) == 30
    assert cache.get(1000).text == "t1000"
    assert cache.get(1001) is None
    assert cache.get(0) is None


def test_line_cache_rereads_a_partial_last_chunk() -> None:
    store = FakeStore(["a", "b"])
    cache = LineCache(store, 1, chunk=10)
    assert cache.get(3) is None
    store.lines.append(LogLine(3, 0.0, "s", "stdout", "c"))
    assert cache.get(3).text == "c"


def sections_of(steps: str) -> Sections:
    s = Sections()
    s.extend((step, i + 1, i + 1) for i, step in enumerate(steps))
    return s


def test_sections_are_runs_of_one_step() -> None:
    s = sections_of("aabbbca")
    assert [(x.step, x.first, x.last) for x in s.items] == [
        ("a", 1, 2),
        ("b", 3, 5),
        ("c", 6, 6),
        ("a", 7, 7),
    ]
    s.extend([("a", 8, 8)])
    assert s.items[-1].last == 8


@pytest.mark.parametrize(
    ("collapsed", "total", "expected"),
    [
        (set(), 6, ["h0", 1, 2, "h1", 3, 4, 5, "h2", 6]),
        ({1}, 6, ["h0", 1, 2, "h1", "h2", 6]),
        ({0, 1, 2}, 6, ["h0", "h1", "h2"]),
        (set(), 8, ["h0", 1, 2, "h1", 3, 4, 5, "h2", 6, 7, 8]),  # lines not yet in sections
        (set(), 4, ["h0", 1, 2, "h1", 3, 4]),
    ],
)
def test_row_map(collapsed: set[int], total: int, expected: list) -> None:
    rows = RowMap(total, sections_of("aabbbc"), collapsed)
    shown = []
    for i in range(len(rows)):
        kind, value = rows.row(i)
        shown.append(f"h{value}" if kind == "header" else value)
    assert shown == expected
    for i, item in enumerate(expected):
        if isinstance(item, int):
            assert rows.index_of_seq(item) == i


def test_row_map_filtered_and_nearest() -> None:
    rows = RowMap(6, sections_of("aabbbc"), matches=array("l", [2, 5]))
    assert [rows.row(i) for i in range(len(rows))] == [("line", 2), ("line", 5)]
    assert rows.index_of_seq(3) is None
    assert rows.nearest(("line", 4)) == 1
    collapsed = RowMap(6, sections_of("aabbbc"), {1})
    assert collapsed.nearest(("line", 4)) == collapsed.index_of_header(1) == 3


@pytest.mark.parametrize(
    ("raw", "limit", "shown", "cut"),
    [
        ("plain", 10, "plain", 0),
        ("10%\r50%\r100%", 10, "100%", 0),
        ("done\r", 10, "done", 0),
        ("x" * 25, 10, "x" * 10, 15),
    ],
)
def test_display_raw(raw: str, limit: int, shown: str, cut: int) -> None:
    assert display_raw(raw, limit) == (shown, cut)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "+ 0.000s"), (1.5, "+ 1.500s"), (75.25, "+1:15.250"), (-3, "+ 0.000s")],
)
def test_elapsed(seconds: float, text: str) -> None:
    assert elapsed(seconds) == text


@pytest.mark.parametrize("query", [Query("error"), Query(r"^two", regex=True), Query("link")])
def test_scan_of_a_real_store_equals_a_per_line_search(tmp_path, query: Query) -> None:
    """Blocks read joined by SQLite; a line holding a newline, an OSC sequence spanning
    lines and a gap in the seqs each send their block back to the line-by-line path."""
    from runner.store import Store

    texts = [*TEXTS, "one\ntwo error", "\x1b]8;;http://x\x07link\x1b]8;;\x07", "two"] * 5
    seqs = [i + 1 for i in range(len(texts))]
    seqs[-1] += 3  # a gap
    with Store(tmp_path / "h.sqlite") as store:
        bid = store.create_build(source="s", ref=None, root=".")
        store.append_lines(
            bid, [LogLine(q, 0.0, "build", "stdout", t) for q, t in zip(seqs, texts, strict=True)]
        )
        found, upto = scan(store, bid, query, batch=4)
    flags = 0 if query.case else re.IGNORECASE
    pattern = re.compile(query.text if query.regex else re.escape(query.text), flags | re.M)
    assert list(found) == [
        q for q, t in zip(seqs, texts, strict=True) if pattern.search(strip_ansi(t))
    ]
    assert upto == seqs[-1]
