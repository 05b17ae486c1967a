"""Architecture rules: the engine never imports presentation libraries."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN = {"typer", "rich", "textual", "click"}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize(
    "path", sorted((ROOT / "runner").rglob("*.py")), ids=lambda p: str(p.relative_to(ROOT))
)
def test_runner_never_imports_presentation(path: Path) -> None:
    assert not imported_modules(path) & FORBIDDEN


def test_docker_is_only_imported_by_the_engine_and_image() -> None:
    allowed = {ROOT / "runner" / "engine.py", *(ROOT / "runner" / "image").rglob("*.py")}
    offenders = [
        str(p.relative_to(ROOT))
        for p in (ROOT / "runner").rglob("*.py")
        if "docker" in imported_modules(p) and p not in allowed
    ]
    assert offenders == []


def test_cli_app_module_stays_light() -> None:
    """`pitstop --help` must not pay for docker, git or textual at import time."""
    heavy = {"docker", "git", "textual", "sqlite3"}
    for path in [ROOT / "cli" / "app.py", *(ROOT / "cli" / "commands").glob("*.py")]:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        top_level = {
            alias.name.split(".")[0]
            for node in tree.body
            if isinstance(node, ast.Import)
            for alias in node.names
        } | {
            node.module.split(".")[0]
            for node in tree.body
            if isinstance(node, ast.ImportFrom) and node.module
        }
        assert not top_level & heavy, path
