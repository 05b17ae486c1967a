"""Plain-text scans narrowed by SQLite give exactly the per-line results."""

from __future__ import annotations

from pathlib import Path

import pytest

from cli.tui.model import Query, scan
from runner.store import LogWriter, Store

LINES = [
    "plain warning here",
    "WARNING in capitals",
    "\x1b[33mwarn\x1b[0ming split by colour",
    "nothing to see",
    "ünïcode Warning with accents",
    "warnin",
    "the word warning twice warning",
]


class WithoutSql:
    """The store as an older reader sees it: no text_candidates."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def read_lines(self, *a, **kw):
        return self.store.read_lines(*a, **kw)

    def read_texts(self, *a, **kw):
        return self.store.read_texts(*a, **kw)


@pytest.mark.parametrize("case", [False, True])
@pytest.mark.parametrize("needle", ["warning", "Warning", "WARN", "zzz"])
def test_sql_narrowed_scan_equals_the_python_scan(tmp_path: Path, needle: str, case: bool) -> None:
    store = Store(tmp_path / "h.sqlite3")
    build = store.create_build(source="s", ref=None, root=".")
    with LogWriter(store, build) as writer:
        for _ in range(3):
            for text in LINES:
                writer.add("build", "stdout", text)
    query = Query(needle, regex=False, case=case)
    fast, upto = scan(store, build, query)
    slow, _ = scan(WithoutSql(store), build, query)
    assert list(fast) == list(slow)
    assert upto == store.last_seq(build)
    later, _ = scan(store, build, query, after_seq=7, until_seq=14)
    assert list(later) == [s for s in slow if 7 < s <= 14]
