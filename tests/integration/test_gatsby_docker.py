"""Gatsby against the real engine: `.cache` and `public` survive a rebuild, without stale pages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .conftest import events, git

pytestmark = [pytest.mark.docker, pytest.mark.slow]


def build(pitstop, repo: Path, out: Path) -> tuple[list[dict], dict[str, str]]:
    result = pitstop("build", str(repo), "--json", "--out", str(out), timeout=1200)
    evs = events(result.stdout)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    steps = {e["step"]: e["status"] for e in evs if e["type"] == "step_finished"}
    return evs, steps


def framework_verdicts(pitstop) -> dict[str, bool | None]:
    result = pitstop("why", "--json")
    assert result.returncode == 0, result.stderr
    caches = json.loads(result.stdout)["caches"]
    return {v["label"]: v["hit"] for v in caches if v["kind"] == "framework"}


def restored(evs: list[dict]) -> list[str]:
    return [
        e["text"]
        for e in evs
        if e["type"] == "log" and e["text"].startswith("pitstop: restored framework cache")
    ]


def test_a_rebuild_after_a_source_change_restores_the_gatsby_caches_and_drops_deleted_pages(
    make_repo, pitstop, tmp_path
) -> None:
    repo = make_repo("gatsby")
    one, two = tmp_path / "one", tmp_path / "two"

    evs, steps = build(pitstop, repo, one)
    assert steps["build"] == "ok"
    assert restored(evs) == []
    assert framework_verdicts(pitstop) == {
        "framework cache .cache": False,
        "framework cache public": False,
    }
    assert "Hello from a pitstop Gatsby build" in (one / "index.html").read_text()
    assert "Figure of eight, two stops." in (one / "circuits" / "suzuka" / "index.html").read_text()
    assert (one / "about" / "index.html").is_file()
    assert (one / "page-data" / "about" / "page-data.json").is_file()

    index = repo / "src" / "pages" / "index.js"
    index.write_text(
        index.read_text()
        .replace("Hello from", "Hello again from")
        .replace('      <Link to="/about/">About</Link>\n', "")
    )
    (repo / "src" / "pages" / "about.js").unlink()
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "change the heading, delete the about page")

    evs, steps = build(pitstop, repo, two)
    assert steps["install"] == "cached" and steps["build"] == "ok"
    assert len(restored(evs)) == 2, restored(evs)
    assert framework_verdicts(pitstop) == {
        "framework cache .cache": True,
        "framework cache public": True,
    }
    html = (two / "index.html").read_text()
    assert "Hello again from a pitstop Gatsby build" in html
    assert "/about/" not in html
    assert "Figure of eight, two stops." in (two / "circuits" / "suzuka" / "index.html").read_text()
    # `public` came back from the cache, yet the deleted page is gone from the output
    assert not (two / "about").exists()
    assert not (two / "page-data" / "about").exists()
