"""Byte chunks from a container become whole lines, whatever the chunk boundaries."""

from __future__ import annotations

import pytest

from runner.engine import MAX_LINE, LineSplitter


def split_all(chunks: list[bytes]) -> list[str]:
    splitter = LineSplitter()
    lines: list[str] = []
    for chunk in chunks:
        lines.extend(splitter.feed(chunk))
    return lines + splitter.close()


@pytest.mark.parametrize(
    ("chunks", "expected"),
    [
        ([b"one\ntwo\n"], ["one", "two"]),
        ([b"par", b"tial\nrest"], ["partial", "rest"]),
        ([b"\n\n"], ["", ""]),
        (["héllo\n".encode()[:2], "héllo\n".encode()[2:]], ["héllo"]),
        ([b"10%\r50%\r100%\n"], ["10%\r50%\r100%"]),
        ([b"bad \xff byte\n"], ["bad \ufffd byte"]),
        ([b"no newline at end"], ["no newline at end"]),
    ],
)
def test_lines(chunks: list[bytes], expected: list[str]) -> None:
    assert split_all(chunks) == expected


def test_every_split_point_of_multibyte_text_gives_the_same_lines() -> None:
    data = "ünïcödé ✓ line\nsecond ✗\n".encode()
    for cut in range(len(data)):
        assert split_all([data[:cut], data[cut:]]) == ["ünïcödé ✓ line", "second ✗"]


def test_a_huge_partial_line_is_emitted_in_bounded_pieces() -> None:
    splitter = LineSplitter()
    pieces = splitter.feed(b"x" * (MAX_LINE * 2 + 10))
    assert [len(p) for p in pieces] == [MAX_LINE, MAX_LINE]
    assert splitter.close() == ["x" * 10]
