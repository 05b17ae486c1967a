"""Failed-build logs pasted in public issue threads: each gets its expected code and cause line.

Each ``tests/fixtures/realworld/*.log`` is a short excerpt of real tool output (Vercel,
Netlify, Cloudflare Pages, GitHub Actions, docker builds...) with a sidecar naming its
source thread, the code the thread's resolution points to, and the 1-based line that
states the cause (``null`` for failures no rule should claim).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from runner.diagnose import explain_text
from runner.diagnose.clean import clean_text
from runner.diagnose.rules import RULES, SCAN

REALWORLD = Path(__file__).resolve().parents[1] / "fixtures" / "realworld"
CASES = [
    (p, json.loads(p.with_suffix(".json").read_text())) for p in sorted(REALWORLD.glob("*.log"))
]
IDS = [p.stem for p, _ in CASES]
CODES = {r.code for r in RULES} | {"unknown"}


def test_the_set_is_large_and_varied():
    assert len(CASES) >= 60
    assert len({m["code"] for _, m in CASES}) >= 20


@pytest.mark.parametrize(("path", "meta"), CASES, ids=IDS)
def test_sidecar_names_its_source(path, meta):
    assert meta["source"].startswith("https://github.com/")
    assert meta["code"] in CODES
    assert (meta["evidence"] is None) == (meta["code"] == "unknown")


@pytest.mark.parametrize(("path", "meta"), CASES, ids=IDS)
def test_realworld_log_is_classified(path, meta):
    d = explain_text(path.read_text(encoding="utf-8"))
    assert d.code == meta["code"]
    if meta["code"] == "unknown":
        assert d.secondary == ()
        return
    assert d.evidence[0].line == meta["evidence"]
    assert not re.search(r"/(?:home|Users|vercel/path0|opt/build)/", d.group), d.group


def test_scan_literals_and_hints_cover_every_matching_line():
    # the engine only looks at lines holding a SCAN literal, and runs a rule only on lines
    # holding one of its hints: a pattern matching a line without them would never fire
    compiled = [(r, [re.compile(p) for p in r.patterns]) for r in RULES]
    for path, _ in CASES:
        for text in clean_text(path.read_text(encoding="utf-8")):
            low = text.lower()
            for rule, patterns in compiled:
                if any(p.search(text) for p in patterns):
                    assert any(s in low for s in SCAN), (path.name, rule.id, text)
                    assert any(h in low for h in rule.hints), (path.name, rule.id, text)
