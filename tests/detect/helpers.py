"""Builders for in-memory repositories."""

from __future__ import annotations

import json
from typing import Any

from runner.detect import node_releases, plan_for
from runner.detect.tree import MemoryTree
from runner.models import Plan


def pkg(**fields: Any) -> str:
    """A package.json text; ``build="vite build"`` is shorthand for a build script."""
    build = fields.pop("build", None)
    if build is not None:
        fields.setdefault("scripts", {})["build"] = build
    deps = fields.pop("deps", None)
    if deps is not None:
        fields["dependencies"] = {d: "*" for d in deps}
    return json.dumps(fields, indent=2)


def plan(files: dict[str, str], root: str = "", **kw: Any) -> Plan:
    kw.setdefault("config", {})
    return plan_for(MemoryTree(files), root, **kw)


def newest_node(major: int) -> str:
    """Newest release of a Node major, computed without the semver module."""
    line = [v for v in node_releases.VERSIONS if v.split(".")[0] == str(major)]
    return max(line, key=lambda v: tuple(int(p) for p in v.split(".")))


def newest_lts() -> str:
    """Newest release that belongs to an LTS line (at or after the line's first LTS)."""
    key = lambda v: tuple(int(p) for p in v.split("."))  # noqa: E731
    firsts = {major: key(first) for major, first in node_releases.LTS_LINES.values()}
    lts = [
        v
        for v in node_releases.VERSIONS
        if int(v.split(".")[0]) in firsts and key(v) >= firsts[int(v.split(".")[0])]
    ]
    return max(lts, key=key)


def newest_of(versions: tuple[str, ...], prefix: str) -> str:
    line = [v for v in versions if v.startswith(prefix)]
    return max(line, key=lambda v: tuple(int(p) for p in v.split(".")))
