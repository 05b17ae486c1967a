"""Every captured real-tool log gets its expected code, group and evidence lines."""

from __future__ import annotations

import re

import pytest

from runner.diagnose import diagnose
from runner.diagnose.clean import strip_ansi
from runner.diagnose.mine import score
from runner.diagnose.rules import GENERIC_TRAILERS

from .conftest import FIXTURES, fixtures, read_lines

CASES = fixtures()
IDS = [f"{p.parent.name}/{p.stem}" for p, _ in CASES]
GENERIC = re.compile("|".join(f"(?:{g})" for g in GENERIC_TRAILERS))


@pytest.mark.parametrize(("path", "meta"), CASES, ids=IDS)
def test_fixture_is_classified(path, meta):
    lines = read_lines(path)
    d = diagnose(lines)
    assert d.code == meta["code"]
    if meta["code"] == "unknown":
        return
    assert d.group == meta["group"]
    assert [e.line for e in d.evidence] == meta["evidence"]
    assert list(d.secondary) == meta["secondary"]
    for e in d.evidence:  # evidence points at real lines and keeps their text
        assert e.text == lines[e.line - 1].rstrip() or "\x1b" in lines[e.line - 1]
    assert not GENERIC.search(d.evidence[0].text), "a generic trailer is not a cause"


@pytest.mark.parametrize(("path", "meta"), CASES, ids=IDS)
def test_sidecar_records_the_tool(path, meta):
    assert meta["tool"] and meta["version"] and meta["command"]
    assert path.parent.name in (meta["code"], "noise")


def test_every_code_has_two_fixtures_where_tools_produce_it():
    counts: dict[str, int] = {}
    for _, meta in CASES:
        counts[meta["code"]] = counts.get(meta["code"], 0) + 1
    produced_by_pitstop = {"timeout", "output_dir_missing"}  # pitstop's own messages
    thin = {c: n for c, n in counts.items() if n < 2 and c not in produced_by_pitstop}
    assert not thin


def test_noise_logs_give_no_false_diagnosis():
    noise = sorted((FIXTURES / "noise").glob("*.log"))
    assert len(noise) >= 3
    for path in noise:
        d = diagnose(read_lines(path))
        assert d.code == "unknown", path.name
        assert d.secondary == ()


def test_fixture_groups_hold_no_private_parts():
    for path, meta in CASES:
        group = meta.get("group", "")
        assert "/tmp/" not in group and "/root" not in group, path
        assert not re.search(r"sha512-[A-Za-z0-9+/]{20}", group), path
        assert "127.0.0.1" not in group, path


def test_unknown_lines_scored_on_fixtures():
    # every evidence line of a recognised failure also looks like an error to the miner
    # or carries a tool error code, so unknown variants of it will still be highlighted
    weak = []
    for path, meta in CASES:
        if meta["code"] == "unknown":
            continue
        first = read_lines(path)[meta["evidence"][0] - 1]
        if score(first) == 0 and not re.search(r"E[A-Z0-9]{3,}|YN\d{4}|\bERR_", first):
            weak.append(f"{path.parent.name}/{path.name}: {first}")
    assert len(weak) <= 6, weak


def test_scan_literals_and_hints_cover_every_matching_line():
    # the engine only tests lines holding a SCAN literal, and a rule only on lines holding
    # one of its hints: check both against every line of every captured log
    from runner.diagnose.rules import RULES, SCAN

    compiled = [(r, [re.compile(p) for p in r.patterns]) for r in RULES]
    checked = 0
    for path, _ in CASES:
        for line in read_lines(path):
            text = strip_ansi(line)
            low = text.lower()
            for rule, patterns in compiled:
                if any(p.search(text) for p in patterns):
                    checked += 1
                    assert any(s in low for s in SCAN), (rule.id, text)
                    assert any(h in low for h in rule.hints), (rule.id, text)
    assert checked > 100
