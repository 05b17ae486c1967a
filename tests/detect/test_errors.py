"""Malformed manifests and lockfiles name the file, line and column."""

from __future__ import annotations

import pytest

from runner.detect import load_config
from runner.detect.tree import MemoryTree
from runner.errors import DetectError
from tests.detect.helpers import pkg, plan

APP = pkg(build="vite build", devDependencies={"vite": "^6"})

CASES = [
    ("package.json trailing comma", {"package.json": '{\n  "name": "a",\n}\n'}, "package.json:3:1"),
    ("package.json empty", {"package.json": ""}, "package.json:1:1"),
    ("package.json array", {"package.json": "[]"}, "package.json:1:1"),
    (
        "package-lock.json",
        {"package.json": APP, "package-lock.json": '{\n  "lockfileVersion": 3\n  "x": 1\n}'},
        "package-lock.json:3:3",
    ),
    (
        "merge conflict in yarn.lock",
        {
            "package.json": APP,
            "yarn.lock": "# yarn lockfile v1\n\n<<<<<<< HEAD\nvite@^6:\n=======\n>>>>>>> main\n",
        },
        "yarn.lock:3:1",
    ),
    (
        "pnpm lockfile without version",
        {"package.json": APP, "pnpm-lock.yaml": "importers: {}\n"},
        "pnpm-lock.yaml:1:1",
    ),
    ("bun.lock garbage", {"package.json": APP, "bun.lock": "not a lockfile"}, "bun.lock:1:1"),
    (
        "pyproject.toml",
        {"mkdocs.yml": "site_name: x\n", "pyproject.toml": "[project]\nname = \n"},
        "pyproject.toml:2:8",
    ),
    (
        "nested app package.json",
        {"apps/web/package.json": "{ name: 1 }"},
        "apps/web/package.json:1:3",
    ),
]


@pytest.mark.parametrize(("files", "where"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_malformed_files_name_file_line_and_column(files: dict[str, str], where: str) -> None:
    root = "apps/web" if "apps/web/package.json" in files else ""
    with pytest.raises(DetectError) as err:
        plan(files, root)
    assert err.value.message.startswith(where)
    assert err.value.hint


def test_malformed_pitstop_toml() -> None:
    tree = MemoryTree({"pitstop.toml": '[build]\nbuild_command = "x\n'})
    with pytest.raises(DetectError) as err:
        load_config(tree)
    assert err.value.message.startswith("pitstop.toml:2:")


def test_pitstop_toml_is_read_from_the_tree_when_no_config_is_given() -> None:
    from runner.detect import plan_for

    tree = MemoryTree({"package.json": APP, "pitstop.toml": '[build]\noutput_dir = "public"\n'})
    assert plan_for(tree).output_dir == "public"


def test_config_value_of_the_wrong_type() -> None:
    with pytest.raises(DetectError, match="must be a string"):
        plan({"package.json": APP}, config={"build": {"build_command": ["npm", "run"]}})


def test_unknown_package_manager_in_config() -> None:
    with pytest.raises(DetectError, match="package_manager"):
        plan({"package.json": APP}, config={"build": {"package_manager": "cargo"}})
