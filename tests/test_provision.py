"""provisioning_for: which toolchains a plan needs beyond the build image, and how."""

from __future__ import annotations

import re
import shlex
import subprocess
from pathlib import Path

import pytest

from runner.models import PackageManager, Plan, Runtime
from runner.provision import (
    IMAGE_PATH,
    MIRROR_VARIABLE,
    MISMATCH_EXIT,
    TOOLCHAIN_MOUNT,
    TOOLCHAIN_VOLUME,
    TOOLCHAINS,
    UNAVAILABLE_EXIT,
    failure_code,
    provisioning_for,
)

IMAGE_NODE, IMAGE_NPM = "24.22.3", "11.21.2"
ROOT = Path(__file__).resolve().parents[1]


def plan(
    pm: str = "npm",
    pm_version: str | None = None,
    node: str | None = IMAGE_NODE,
    python: str | None = None,
) -> Plan:
    runtimes = []
    if node:
        runtimes.append(Runtime("node", node, ".nvmrc"))
    if python:
        runtimes.append(Runtime("python", python, "runtime.txt"))
    return Plan(
        root="",
        workspace_root="",
        package_manager=PackageManager(pm, pm_version, "packageManager in package.json"),
        runtimes=tuple(runtimes),
        framework=None,
        install_command="install",
        build_command="build",
        output_dir="dist",
    )


def provision(p: Plan, env: dict[str, str] | None = None):
    return provisioning_for(p, image_node=IMAGE_NODE, image_npm=IMAGE_NPM, env=env or {})


def calls(script: str | None) -> list[list[str]]:
    """The per-tool lines of a script (after the prelude of functions), split like bash."""
    assert script is not None
    body = script.split("\n_bun() {", 1)[1].split("\n", 1)[1]
    return [shlex.split(line) for line in body.splitlines() if line.strip()]


@pytest.mark.parametrize(
    "p",
    [
        plan(),
        plan(pm="npm", pm_version=IMAGE_NPM),
        plan(pm="pip", node=None, python="3.11"),
        plan(pm="pip", node=None, python="3.11.4"),
        plan(pm="none", node=None),
    ],
    ids=["npm-default", "npm-image-version", "python-image", "python-same-minor", "nothing"],
)
def test_what_the_image_has_needs_nothing(p: Plan) -> None:
    prov = provision(p)
    assert prov.script is None and not prov.path and not prov.env and not prov.volumes
    assert prov.container_env() == {}


@pytest.mark.parametrize(
    ("p", "expected"),
    [
        (
            plan(pm="pnpm", pm_version="9.15.9"),
            [["_pnpm", "9.15.9", "packageManager in package.json"]],
        ),
        (
            plan(pm="yarn", pm_version="1.22.22"),
            [["_yarn", "1.22.22", "packageManager in package.json"]],
        ),
        (
            plan(pm="yarn", pm_version="4.18.1"),
            [["_yarn", "4.18.1", "packageManager in package.json"]],
        ),
        (plan(pm="bun", pm_version="1.4.5"), [["_bun", "1.4.5", "packageManager in package.json"]]),
        (
            plan(pm="npm", pm_version="10.9.2"),
            [["_npm", "10.9.2", "packageManager in package.json"]],
        ),
        (plan(node="22.12.0"), [["_node", "22.12.0", ".nvmrc"]]),
        (
            plan(pm="pnpm", pm_version="8.15.9", node="20.18.0"),
            [["_pnpm", "8.15.9", "packageManager in package.json"], ["_node", "20.18.0", ".nvmrc"]],
        ),
    ],
    ids=["pnpm", "yarn1", "berry", "bun", "npm-pinned", "node", "pnpm-and-node"],
)
def test_each_tool_gets_its_install_call_with_version_and_source(p: Plan, expected) -> None:
    prov = provision(p)
    assert calls(prov.script) == expected
    assert prov.volumes == {TOOLCHAIN_VOLUME: TOOLCHAIN_MOUNT}
    assert prov.path == tuple(f"{TOOLCHAINS}/{c[0][1:]}/{c[1]}/.bin" for c in expected)
    assert prov.container_env()["PATH"] == ":".join((*prov.path, IMAGE_PATH))


def test_other_node_is_first_on_path_behind_its_package_manager_and_fixes_node_gyp() -> None:
    prov = provision(plan(pm="yarn", pm_version="1.22.22", node="20.18.0"))
    assert prov.path == (f"{TOOLCHAINS}/yarn/1.22.22/.bin", f"{TOOLCHAINS}/node/20.18.0/.bin")
    assert prov.env["NODE_VERSION"] == "20.18.0"
    # Native addons must build against the provisioned Node's headers, not the image's.
    assert prov.env["npm_package_config_node_gyp_nodedir"] == f"{TOOLCHAINS}/node/20.18.0"
    assert [t for t, _ in prov.tools] == ["yarn", "node"]


def test_node_the_image_npm_cannot_run_gets_a_compatible_npm() -> None:
    # npm 11 needs node ^20.17 || >=22.9, so node 18 gets the newest npm 10.
    prov = provision(plan(node="18.20.8"))
    found = calls(prov.script)
    assert [c[0] for c in found] == ["_npm", "_node"]
    assert found[0][1].startswith("10.")
    assert "does not support node 18.20.8" in found[0][2]


def test_node_the_image_npm_runs_uses_the_image_npm() -> None:
    prov = provision(plan(node="22.12.0"))
    assert [c[0] for c in calls(prov.script)] == ["_node"]


def test_package_manager_without_a_version_gets_the_newest_release() -> None:
    prov = provision(plan(pm="pnpm", pm_version=None))
    ((call, version, _),) = calls(prov.script)
    assert call == "_pnpm" and re.fullmatch(r"\d+\.\d+\.\d+", version)


def test_mirror_is_passed_only_when_node_is_provisioned() -> None:
    env = {MIRROR_VARIABLE: "https://mirror.example/node/dist/"}
    assert provision(plan(node="22.12.0"), env).env[MIRROR_VARIABLE] == (
        "https://mirror.example/node/dist"
    )
    assert MIRROR_VARIABLE not in provision(plan(pm="pnpm", pm_version="9.15.9"), env).env
    assert MIRROR_VARIABLE not in provision(plan(node="22.12.0")).env


def test_python_the_image_lacks_fails_with_its_code_and_source() -> None:
    prov = provision(plan(pm="pip", node=None, python="3.12"))
    ((call, *args),) = calls(prov.script)
    assert call == "_unavailable" and args[:3] == ["python", "3.12", "runtime.txt"]
    assert "3.11" in args[4]
    assert prov.volumes == {}  # nothing to cache


def test_sources_with_shell_characters_are_quoted() -> None:
    p = plan(node="22.12.0")
    p = Plan(**{**p.__dict__, "runtimes": (Runtime("node", "22.12.0", "it's $(rm -rf /)"),)})
    assert calls(provision(p).script) == [["_node", "22.12.0", "it's $(rm -rf /)"]]


@pytest.mark.parametrize(
    ("exit_code", "code"),
    [(UNAVAILABLE_EXIT["node"], "node_version_unavailable")]
    + [(UNAVAILABLE_EXIT[t], f"{t}_version_unavailable") for t in ("npm", "pnpm", "yarn", "bun")]
    + [(UNAVAILABLE_EXIT["python"], "python_version_unavailable"), (1, None), (None, None)]
    + [(MISMATCH_EXIT, "integrity_error")],
)
def test_failure_codes(exit_code: int | None, code: str | None) -> None:
    known = failure_code(exit_code)
    assert (known[0] if known else None) == code
    assert known is None or known[1]  # always says what to do


def test_script_is_valid_bash() -> None:
    script = provision(plan(pm="yarn", pm_version="4.18.1", node="20.18.0")).script
    assert script is not None
    subprocess.run(["bash", "-n"], input=script, text=True, check=True)


def test_image_path_is_the_dockerfiles() -> None:
    dockerfile = (ROOT / "runner" / "image" / "Dockerfile").read_text()
    assert f"PATH={IMAGE_PATH} " in dockerfile.replace("\\\n", " ")


def test_the_package_manager_hash_goes_to_its_download() -> None:
    p = plan("pnpm", "9.15.9")
    pm = PackageManager("pnpm", "9.15.9", "packageManager in package.json", "sha512.abc")
    p = Plan(**{**p.__dict__, "package_manager": pm})
    script = provision(p).script
    assert "EXPECT=sha512.abc _pnpm 9.15.9 'packageManager in package.json'" in script


def test_the_image_npm_is_checked_against_the_hash_without_a_download() -> None:
    import base64

    from runner.versions import PINNED_INTEGRITY

    pinned = PINNED_INTEGRITY[f"npm@{IMAGE_NPM}"].removeprefix("sha512-")
    good = "sha512." + base64.b64decode(pinned).hex()
    for integrity in (good, "sha256." + "0" * 64):
        pm = PackageManager("npm", IMAGE_NPM, "packageManager in package.json", integrity)
        p = Plan(**{**plan().__dict__, "package_manager": pm})
        assert provision(p).script is None, integrity  # matches, or not answerable
    bad = PackageManager("npm", IMAGE_NPM, "packageManager in package.json", "sha512." + "0" * 128)
    script = provision(Plan(**{**plan().__dict__, "package_manager": bad})).script
    assert calls(script)[0][0] == "_mismatch"
    assert "does not match the sha512 in packageManager" in calls(script)[0][1]
