"""Helpers for the classifier tests: load captured tool output."""

from __future__ import annotations

import json
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "logs"


def read_lines(path: Path) -> list[str]:
    """A captured log as the runner would hand it over: one string per line."""
    text = path.read_text(encoding="utf-8")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def fixtures() -> list[tuple[Path, dict]]:
    return [
        (p, json.loads(p.with_suffix(".json").read_text()))
        for p in sorted(FIXTURES.glob("*/*.log"))
    ]
