"""Cache keys change exactly when an input that can change the result changes."""

from __future__ import annotations

from dataclasses import replace

import pytest

from runner.cache_keys import (
    changed_paths,
    differences,
    install_key,
    output_key,
)
from runner.models import PackageManager, Plan, Runtime

PLAN = Plan(
    root="apps/web",
    workspace_root="",
    package_manager=PackageManager("pnpm", "9.15.0", "packageManager"),
    runtimes=(Runtime("node", "24.22.3", "default"),),
    framework=None,
    install_command="pnpm install --frozen-lockfile",
    build_command="pnpm run build",
    output_dir="dist",
)
FILES = {
    "package.json": "a1",
    "pnpm-lock.yaml": "b1",
    "pnpm-workspace.yaml": "c1",
    "apps/web/package.json": "d1",
    "apps/web/src/main.ts": "e1",
    "apps/admin/package.json": "f1",
    "apps/admin/src/main.ts": "g1",
    "packages/ui/package.json": "h1",
    "packages/ui/index.ts": "i1",
    "patches/left-pad.patch": "j1",
    "README.md": "k1",
}


def ikey(plan: Plan = PLAN, files: dict[str, str] = FILES, image: str = "img:1") -> str:
    return install_key(plan, files, image=image, arch="x86_64").digest


def okey(
    plan: Plan = PLAN,
    files: dict[str, str] = FILES,
    env: dict[str, str] | None = None,
    members: tuple[str, ...] = ("packages/ui",),
) -> str:
    return output_key(
        plan, files, image="img:1", arch="x86_64", env=env or {}, members=members
    ).digest


@pytest.mark.parametrize(
    ("path", "install_changes", "output_changes"),
    [
        ("pnpm-lock.yaml", True, True),
        ("apps/admin/package.json", True, False),  # another app's manifest: install reads it
        ("patches/left-pad.patch", True, False),
        ("apps/web/src/main.ts", False, True),
        ("packages/ui/index.ts", False, True),  # a workspace package the app uses
        ("apps/admin/src/main.ts", False, False),  # another app's source
        ("README.md", False, True),  # the workspace root's own files
    ],
)
def test_which_keys_a_file_change_invalidates(
    path: str, install_changes: bool, output_changes: bool
) -> None:
    changed = {**FILES, path: "changed"}
    assert (ikey(files=changed) != ikey()) is install_changes
    assert (okey(files=changed) != okey()) is output_changes


def test_toolchain_and_commands_change_both_keys() -> None:
    other_node = replace(PLAN, runtimes=(Runtime("node", "22.11.0", ".nvmrc"),))
    other_pm = replace(PLAN, package_manager=PackageManager("pnpm", "9.14.0", "x"))
    other_install = replace(PLAN, install_command="pnpm install")
    for plan in (other_node, other_pm, other_install):
        assert ikey(plan) != ikey() and okey(plan) != okey()
    assert ikey(image="img:2") != ikey()


def test_the_build_command_changes_only_the_output_key() -> None:
    plan = replace(PLAN, build_command="pnpm run build:prod")
    assert ikey(plan) == ikey() and okey(plan) != okey()


def test_declared_env_changes_the_output_key_without_storing_its_value() -> None:
    key = output_key(PLAN, FILES, image="i", arch="a", env={"API_TOKEN": "s3cret"})
    assert key.digest != okey()
    assert "s3cret" not in str(key.components)
    assert okey(env={"API_TOKEN": "s3cret"}) != okey(env={"API_TOKEN": "other"})


def test_reasons_and_warnings_do_not_change_keys() -> None:
    plan = replace(PLAN, warnings=("w",), reasons=(("install", "because"),))
    assert okey(plan) == okey() and ikey(plan) == ikey()


def test_differences_name_what_changed() -> None:
    before = install_key(PLAN, FILES, image="i", arch="a").components
    plan = replace(PLAN, runtimes=(Runtime("node", "22.11.0", ".nvmrc"),))
    after = install_key(plan, {**FILES, "pnpm-lock.yaml": "b2"}, image="i", arch="a").components
    described = [d.describe() for d in differences(before, after)]
    assert described == ["pnpm-lock.yaml changed", "node 24.22.3 → 22.11.0"]


def test_env_differences_say_set_unset_changed() -> None:
    d = differences({"env:A": "1", "env:B": "1"}, {"env:B": "2", "env:C": "3"})
    assert [x.describe() for x in d] == ["env A unset", "env B changed", "env C set"]


def test_changed_paths() -> None:
    assert changed_paths({"a": "1", "b": "1"}, {"b": "2", "c": "1"}) == ["a", "b", "c"]
