"""Finding the workspace root of an app in a monorepo.

Walking up from the app root to the repository root, the first folder that declares
workspaces covering the app (``workspaces`` in package.json — npm, yarn, bun — or
``pnpm-workspace.yaml``) is the workspace root: install runs there, the build in the app
root.  A folder with only a lockfile and no such declaration is the workspace root only
when it is the app root itself.  turbo (``turbo.json``), nx (``nx.json``) and lerna
(``lerna.json``) are recognised as monorepo tools of the workspace root.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from typing import Any

from runner.detect.files import ancestors, join, read_package_json
from runner.detect.tree import Tree


@dataclass
class Workspace:
    root: str  # tree path of the workspace root ("" = repository root)
    kind: str | None  # "npm workspaces", "pnpm-workspace.yaml", ... or None (single app)
    patterns: tuple[str, ...] = ()
    tools: tuple[str, ...] = ()
    package: dict[str, Any] | None = None  # the workspace root's package.json
    warnings: list[str] = field(default_factory=list)


def pnpm_workspace_packages(text: str) -> list[str]:
    """The ``packages:`` globs of a pnpm-workspace.yaml (block or flow list), line-based."""
    out: list[str] = []
    lines = text.splitlines()
    for i, line in enumerate(lines):
        m = re.match(r"^packages\s*:\s*(.*)$", line)
        if not m:
            continue
        rest = m.group(1).split("#", 1)[0].strip()
        if rest.startswith("["):
            items = rest.strip("[]").split(",")
            return [s.strip().strip("'\"") for s in items if s.strip()]
        for item in lines[i + 1 :]:
            stripped = item.split("#", 1)[0].rstrip()
            if not stripped.strip():
                continue
            if not item[:1].isspace() and not stripped.startswith("-"):
                break
            mm = re.match(r"^\s*-\s*(.+)$", stripped)
            if mm:
                out.append(mm.group(1).strip().strip("'\""))
        return out
    return out


def _glob_regex(pattern: str) -> re.Pattern[str]:
    pat = posixpath.normpath(pattern.strip().lstrip("./")) if pattern.strip() != "." else ""
    parts = []
    i = 0
    while i < len(pat):
        if pat.startswith("**/", i):
            parts.append("(?:.*/)?")
            i += 3
        elif pat.startswith("**", i):
            parts.append(".*")
            i += 2
        elif pat[i] == "*":
            parts.append("[^/]*")
            i += 1
        elif pat[i] == "?":
            parts.append("[^/]")
            i += 1
        else:
            parts.append(re.escape(pat[i]))
            i += 1
    return re.compile("^" + "".join(parts) + "/?$")


def matches_workspaces(rel: str, patterns: list[str] | tuple[str, ...]) -> bool:
    """Whether an app path (relative to the workspace root) is one of the workspace globs."""
    included = False
    for pat in patterns:
        if pat.startswith("!"):
            if _glob_regex(pat[1:]).match(rel):
                return False
        elif _glob_regex(pat).match(rel):
            included = True
    return included


def _declared(tree: Tree, folder: str) -> tuple[str, list[str], dict[str, Any] | None] | None:
    pkg = read_package_json(tree, join(folder, "package.json"))
    text = tree.read_text(join(folder, "pnpm-workspace.yaml"))
    if text is not None:
        return "pnpm-workspace.yaml", pnpm_workspace_packages(text), pkg
    if pkg is not None:
        ws = pkg.get("workspaces")
        if isinstance(ws, dict):  # yarn 1 {"packages": [...], "nohoist": [...]}
            ws = ws.get("packages")
        if isinstance(ws, list):
            return "workspaces in package.json", [str(w) for w in ws], pkg
    return None


def _tools(tree: Tree, folder: str) -> tuple[str, ...]:
    found = []
    for name, tool in (
        ("turbo.json", "turbo"),
        ("turbo.jsonc", "turbo"),
        ("nx.json", "nx"),
        ("lerna.json", "lerna"),
    ):
        if tree.is_file(join(folder, name)) and tool not in found:
            found.append(tool)
    return tuple(found)


def find_workspace(tree: Tree, app_root: str) -> Workspace:
    """The workspace that ``app_root`` belongs to (itself when it stands alone)."""
    warnings: list[str] = []
    for folder in ancestors(app_root):
        decl = _declared(tree, folder)
        if decl is None:
            continue
        kind, patterns, pkg = decl
        rel = posixpath.relpath(app_root or ".", folder or ".") if folder != app_root else "."
        if folder == app_root or matches_workspaces(rel, patterns):
            return Workspace(folder, kind, tuple(patterns), _tools(tree, folder), pkg, warnings)
        warnings.append(
            f"{join(folder, 'package.json') if 'package' in kind else join(folder, kind)} "
            f"declares workspaces {', '.join(patterns) or '(none)'} that do not include "
            f"{app_root}; treating {app_root} as a project of its own"
        )
    pkg = read_package_json(tree, join(app_root, "package.json"))
    return Workspace(app_root, None, (), _tools(tree, app_root), pkg, warnings)


def member_dirs(tree: Tree, ws: Workspace, limit: int = 50) -> list[str]:
    """Tree paths of workspace members with a package.json, for globs of the form
    ``dir``, ``dir/*`` (negations honoured, deeper globs skipped)."""
    found: list[str] = []
    for pat in ws.patterns:
        if pat.startswith("!"):
            continue
        clean = posixpath.normpath(pat.strip().removeprefix("./"))
        if clean.endswith("/*") and "*" not in clean[:-2]:
            parent = join(ws.root, clean[:-2])
            cands = [join(parent, name) for name in sorted(tree.listdir(parent))]
        elif "*" not in clean:
            cands = [join(ws.root, clean)]
        else:
            continue
        for cand in cands:
            rel = posixpath.relpath(cand, ws.root or ".")
            if (
                tree.is_file(join(cand, "package.json"))
                and cand not in found
                and matches_workspaces(rel, ws.patterns)
            ):
                found.append(cand)
            if len(found) >= limit:
                return found
    return found
