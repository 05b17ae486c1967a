"""Reading manifests from a tree, with errors that name the file, line and column."""

from __future__ import annotations

import json
import posixpath
import re
import tomllib
from typing import Any

from runner.detect.tree import Tree
from runner.errors import DetectError

_CONFLICT = re.compile(r"^(<{7}|={7}|>{7})(\s|$)", re.MULTILINE)
_TOML_POS = re.compile(r"\(at line (\d+), column (\d+)\)")


def join(*parts: str) -> str:
    """Join POSIX path parts, dropping empty ones (``join("", "a")`` is ``"a"``)."""
    kept = [p for p in parts if p not in ("", ".")]
    return posixpath.normpath(posixpath.join(*kept)) if kept else ""


def parent(path: str) -> str | None:
    """The parent of a relative path; None above the tree root."""
    if path in ("", "."):
        return None
    up = posixpath.dirname(path)
    return up


def ancestors(path: str) -> list[str]:
    """``path`` and each parent up to the tree root, nearest first."""
    out = [path]
    while (up := parent(out[-1])) is not None:
        out.append(up)
    return out


def display(path: str) -> str:
    return path or "."


def check_conflict_markers(path: str, text: str) -> None:
    """Raise when a file still holds git merge-conflict markers."""
    m = _CONFLICT.search(text)
    if m:
        line = text.count("\n", 0, m.start()) + 1
        raise DetectError(
            f"{path}:{line}:1: unresolved merge conflict marker {m.group(1)!r}",
            f"resolve the conflict in {path} (or regenerate it) and commit the result",
        )


def read_json(tree: Tree, path: str) -> Any | None:
    """Parsed JSON of ``path``, or None when absent; DetectError with line:column if malformed."""
    text = tree.read_text(path)
    if text is None:
        return None
    return parse_json(path, text)


def read_config_json(tree: Tree, path: str) -> dict[str, Any] | None:
    """A tool's JSON config (comments allowed, as in angular.json or project.json); None
    when absent, malformed or not an object: such configs only refine a plan."""
    text = tree.read_text(path)
    if text is None:
        return None
    try:
        data = json.loads(strip_comments(text))
    except json.JSONDecodeError:
        return None
    return data if isinstance(data, dict) else None


def parse_json(path: str, text: str) -> Any:
    check_conflict_markers(path, text)
    try:
        return json.loads(text.lstrip("\ufeff"))
    except json.JSONDecodeError as exc:
        raise DetectError(
            f"{path}:{exc.lineno}:{exc.colno}: invalid JSON: {exc.msg}",
            f"fix {path} at line {exc.lineno}, column {exc.colno} "
            "(a trailing comma, a missing comma or an unquoted key is the usual cause)",
        ) from exc


def read_package_json(tree: Tree, path: str) -> dict[str, Any] | None:
    """A package.json as a dict; DetectError when it is not a JSON object."""
    data = read_json(tree, path)
    if data is None:
        return None
    if not isinstance(data, dict):
        raise DetectError(
            f"{path}:1:1: package.json must hold a JSON object, found {type(data).__name__}",
            f'make {path} an object such as {{"scripts": {{"build": "..."}}}}',
        )
    return data


def read_toml(tree: Tree, path: str) -> dict[str, Any] | None:
    """Parsed TOML of ``path``, or None when absent; DetectError with line:column if malformed."""
    text = tree.read_text(path)
    if text is None:
        return None
    return parse_toml(path, text)


def parse_toml(path: str, text: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = _TOML_POS.search(str(exc))
        where = f"{m.group(1)}:{m.group(2)}" if m else "1:1"
        reason = _TOML_POS.sub("", str(exc)).strip()
        line, col = where.split(":")
        raise DetectError(
            f"{path}:{where}: invalid TOML: {reason}",
            f"fix {path} at line {line}, column {col}",
        ) from exc


def strip_comments(text: str) -> str:
    """Remove ``//`` and ``/* */`` comments from JS-like source, keeping strings intact."""
    out: list[str] = []
    i, n = 0, len(text)
    quote: str | None = None
    while i < n:
        ch = text[i]
        if quote:
            out.append(ch)
            if ch == "\\" and i + 1 < n:
                out.append(text[i + 1])
                i += 2
                continue
            if ch == quote:
                quote = None
            i += 1
            continue
        if ch in "'\"`":
            quote = ch
            out.append(ch)
            i += 1
            continue
        if text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
            continue
        if text.startswith("/*", i):
            j = text.find("*/", i + 2)
            out.append("\n" * text.count("\n", i, n if j < 0 else j))
            i = n if j < 0 else j + 2
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def first_existing(tree: Tree, folder: str, names: tuple[str, ...]) -> str | None:
    """The first of ``names`` that is a file in ``folder``, as a tree path."""
    for name in names:
        path = join(folder, name)
        if tree.is_file(path):
            return path
    return None
