"""Every example in examples/ built for real through the CLI, and its output checked.

Each example is one package manager or framework; the toolchains a plan needs beyond the build
image (another Node, pnpm, yarn, bun) are provisioned into the shared toolchain volume.
"""

from __future__ import annotations

import hashlib
import os
import platform
import re
import tarfile
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from runner.models import PackageManager, Plan, Runtime
from runner.provision import (
    MIRROR_VARIABLE,
    TOOLCHAIN_MOUNT,
    TOOLCHAINS,
    failure_code,
    provisioning_for,
)

from .conftest import events

pytestmark = [pytest.mark.docker, pytest.mark.slow]


@dataclass(frozen=True)
class Example:
    name: str
    file: str  # a file in the output directory
    text: str  # text the file must contain
    root: str | None = None
    built_with: tuple[str, ...] = ()  # lines dist/built-with.txt must start with
    provisioned: tuple[str, ...] = ()  # tools the provision step must name


EXAMPLES = (
    Example("vite-npm", "index.html", "Hello from a pitstop build"),
    Example(
        "yarn-classic",
        "index.html",
        "Hello from Vite + Yarn 1",
        built_with=("node v24.", "yarn/1.22.22 "),
        provisioned=("yarn 1.22.22",),
    ),
    Example(
        "yarn-berry",
        "index.html",
        "Hello from Vite + Yarn 4",
        built_with=("node v24.", "yarn/4.18.1 "),
        provisioned=("yarn 4.18.1",),
    ),
    Example(
        "pnpm",
        "index.html",
        "Hello from Vite + pnpm 9",
        built_with=("node v24.", "pnpm/9.15.9 "),
        provisioned=("pnpm 9.15.9",),
    ),
    Example(
        "bun",
        "index.html",
        "Hello from Vite + bun",
        built_with=("node v24.", "bun/1.4.5 "),
        provisioned=("bun 1.4.5",),
    ),
    Example(
        "node22-nvmrc",
        "index.html",
        "Hello from Vite on Node 22",
        built_with=("node v22.", "npm/11."),
        provisioned=("node 22.",),
    ),
    Example("nextjs-static", "index.html", "Hello from Next.js, exported by pitstop"),
    Example("astro", "index.html", "Hello from Astro, built by pitstop"),
    Example("sveltekit", "index.html", "Hello from SvelteKit, prerendered by pitstop"),
    Example("eleventy", "index.html", "Hello from Eleventy, built by pitstop"),
    Example("workers", "index.js", "Hello from a Worker bundled by pitstop"),
    Example("mkdocs", "index.html", "Hello from MkDocs, built by pitstop"),
    Example("turbo-monorepo", "index.html", "built by @repo/ui", root="apps/web"),
    Example(
        "pnpm-workspace",
        "assets",
        "via a workspace package",
        root="apps/web",
        provisioned=("pnpm 10.34.9",),
    ),
)


def _read(path: Path) -> str:
    """A file's text, or every file's text under a directory."""
    if path.is_dir():
        return "\n".join(p.read_text(errors="replace") for p in sorted(path.rglob("*.js")))
    return path.read_text(errors="replace")


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.name for e in EXAMPLES])
def test_example_builds_and_its_output_is_real(
    example: Example, make_repo, pitstop, tmp_path: Path
) -> None:
    repo = make_repo(example.name)
    out = tmp_path / "out"
    args = ["build", str(repo), "--out", str(out), "--json"]
    if example.root:
        args += ["--root", example.root]
    started = time.monotonic()
    result = pitstop(*args, timeout=900)
    took = time.monotonic() - started
    evs = events(result.stdout)
    logs = [e["text"] for e in evs if e.get("type") == "log"]
    tail = "\n".join(logs[-60:]) + result.stderr[-2000:]
    assert result.returncode == 0, f"{example.name} failed after {took:.0f}s:\n{tail}"
    assert evs[-1]["status"] == "succeeded"
    assert example.text in _read(out / example.file), tail
    if example.built_with:
        stamp = (out / "built-with.txt").read_text().splitlines()
        for line, prefix in zip(stamp, example.built_with, strict=True):
            assert line.startswith(prefix), stamp
    said = [t for t in logs if t.startswith("pitstop: ") and " from " in t]
    for tool in example.provisioned:
        assert any(t.startswith(f"pitstop: {tool}") for t in said), said
    if not example.provisioned:
        assert not any(e.get("step") == "provision" for e in evs if e.get("type") == "log")


# -- the provision script on its own ----------------------------------------------------------


@pytest.fixture
def toolchain_volume(docker_client) -> Iterator[str]:
    """A fresh toolchain volume, so nothing is cached from earlier builds."""
    name = f"pitstop-test-toolchains-{uuid.uuid4().hex[:12]}"
    docker_client.volumes.create(name, labels={"dev.pitstop.test": "1"})  # type: ignore[attr-defined]
    yield name
    docker_client.volumes.get(name).remove(force=True)  # type: ignore[attr-defined]


@pytest.fixture
def run_script(docker_client, build_image: str) -> Iterator[Callable[..., tuple[int, str]]]:
    """Run a provision script in a build container: (exit code, output)."""
    from runner.container_env import CA_PATH, container_environment, host_ca_bundle
    from runner.engine import ContainerSpec, DockerEngine

    engine = DockerEngine(docker_client)  # type: ignore[arg-type]
    started = []
    ids = iter(range(900_000, 1_000_000))  # container names hold the build id: keep them apart

    def run(script: str, volumes: dict[str, str], env: dict[str, str] | None = None):
        ca = host_ca_bundle(os.environ)
        environment = container_environment(os.environ, with_ca=ca is not None, extra=env)
        spec = ContainerSpec(
            image=build_image, build_id=next(ids), env=environment.env, volumes=volumes
        )
        container = engine.start(spec)
        started.append(container)
        if ca is not None:
            container.put_file(CA_PATH, ca.read_bytes(), base="/etc")
        container.put_file("/tmp/provision.sh", script.encode(), base="/tmp")
        lines: list[str] = []
        result = container.run(
            "bash /tmp/provision.sh",
            workdir="/workspace",
            on_output=lambda _stream, text, _ts: lines.append(text),
            deadline=time.monotonic() + 300,
        )
        container.remove()
        return result.exit_code, "\n".join(lines)

    yield run
    for container in started:
        container.remove()


def _node_plan(version: str, source: str = ".nvmrc") -> Plan:
    return Plan(
        root="",
        workspace_root="",
        package_manager=PackageManager("npm", None, "package-lock.json"),
        runtimes=(Runtime("node", version, source),),
        framework=None,
        install_command="npm ci",
        build_command="npm run build",
        output_dir="dist",
    )


def test_a_node_version_the_registry_lacks_names_what_was_asked_where_and_what_exists(
    run_script, toolchain_volume: str
) -> None:
    prov = provisioning_for(_node_plan("99.1.0"))
    assert prov.script is not None
    code, output = run_script(prov.script, {toolchain_volume: TOOLCHAIN_MOUNT})
    assert failure_code(code)[0] == "node_version_unavailable", output
    line = next(t for t in output.splitlines() if t.startswith("pitstop: node 99.1.0"))
    assert re.fullmatch(
        r"pitstop: node 99\.1\.0 \(from \.nvmrc\) is not available from \S+ node-linux-\w+; "
        r"available: \d+\.\d+\.\d+(, \d+\.\d+\.\d+)*",
        line,
    ), line


def _mirror(tmp_path: Path, arch: str) -> Path:
    """An official-layout mirror: 99.0.0 good, 99.0.1 with a wrong checksum, no 99.0.2."""
    mirror = tmp_path / "mirror"
    for version, good in (("99.0.0", True), ("99.0.1", False)):
        folder = mirror / f"v{version}"
        folder.mkdir(parents=True)
        name = f"node-v{version}-linux-{arch}"
        tree = tmp_path / "trees" / name / "bin"
        tree.mkdir(parents=True)
        (tree / "node").write_text(f"#!/bin/sh\necho v{version}\n")
        (tree / "node").chmod(0o755)
        tarball = folder / f"{name}.tar.xz"
        with tarfile.open(tarball, "w:xz") as tar:
            tar.add(tree.parent, arcname=name)
        digest = hashlib.sha256(tarball.read_bytes() if good else b"other").hexdigest()
        (folder / "SHASUMS256.txt").write_text(f"{digest}  {name}.tar.xz\n")
    mirror.chmod(0o755)
    return mirror


def test_node_from_a_mirror_is_checked_cached_and_safe_to_provision_concurrently(
    run_script, toolchain_volume: str, tmp_path: Path
) -> None:
    arch = "arm64" if platform.machine().lower() in ("aarch64", "arm64") else "x64"
    mirror = _mirror(tmp_path, arch)
    volumes = {toolchain_volume: TOOLCHAIN_MOUNT, str(mirror): "/mirror"}
    env = {MIRROR_VARIABLE: "file:///mirror"}

    def provision(version: str) -> tuple[int, str]:
        prov = provisioning_for(_node_plan(version), env=env)
        assert prov.script is not None and prov.env[MIRROR_VARIABLE] == "file:///mirror"
        script = prov.script + f'PATH={prov.path[0]}:$PATH; echo "runs $(node)"\n'
        return run_script(script, volumes, dict(prov.env))

    with ThreadPoolExecutor(3) as pool:
        results = list(pool.map(provision, ["99.0.0"] * 3))
    said = [out for code, out in results if code == 0]
    assert len(said) == 3, results
    assert all("runs v99.0.0" in out for out in said)
    assert sum("pitstop: node 99.0.0 from file:///mirror (downloaded" in o for o in said) == 1
    assert sum("pitstop: node 99.0.0 from file:///mirror (cached)" in o for o in said) == 2

    code, out = provision("99.0.1")
    assert code == 1 and "does not match its SHASUMS256.txt; refusing it" in out
    code, out = provision("99.0.2")
    assert failure_code(code)[0] == "node_version_unavailable"
    assert "pitstop: node 99.0.2 (from .nvmrc) is not available from file:///mirror" in out
    code, out = provision("99.0.0")
    assert code == 0 and "(cached)" in out
    # Refused and missing versions leave nothing behind, not even a temporary directory.
    listing = run_script(f"ls -A {TOOLCHAINS}/node", {toolchain_volume: TOOLCHAIN_MOUNT})[1]
    assert sorted(listing.split()) == [".lock-99.0.0", ".lock-99.0.1", ".lock-99.0.2", "99.0.0"]


@pytest.fixture
def own_volumes(docker_client, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Builds in this test get volumes of their own (nothing cached), removed afterwards."""
    prefix = f"pitstop-test-{uuid.uuid4().hex[:12]}"
    monkeypatch.setenv("PITSTOP_VOLUME_PREFIX", prefix)
    yield prefix
    for volume in docker_client.volumes.list():  # type: ignore[attr-defined]
        if volume.name.startswith(prefix + "-"):
            volume.remove(force=True)


def test_a_failed_provision_ends_the_build_in_install_with_the_version_code(
    make_repo, pitstop, own_volumes: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(MIRROR_VARIABLE, "file:///nowhere")
    repo = make_repo("node22-nvmrc")
    result = pitstop("build", str(repo), "--json")
    assert result.returncode == 1, result.stdout[-3000:]
    finished = events(result.stdout)[-1]
    assert finished["status"] == "failed" and finished["phase"] == "install"
    assert finished["diagnosis"]["code"] == "node_version_unavailable"
    assert re.match(
        r"node 22\.\d+\.\d+ \(from \.nvmrc \(22 → newest matching release\)\) is not available "
        r"from file:///nowhere",
        finished["error"],
    ), finished["error"]


#: What Corepack itself wrote (`corepack use pnpm@9.15.9`, and `corepack use yarn@4.9.1` with
#: COREPACK_NPM_REGISTRY set): the pnpm tarball's sha512, and Yarn 2+'s yarn.js's.
COREPACK_PNPM = "pnpm@9.15.9+sha512.68046141893c66fad01c079231128e9afb89ef87e2691d69e4d40eee228988295fd4682181bae55b58418c3a253bde65a505ec7c5f9403ece5cc3cd37dcf2531"  # noqa: E501
COREPACK_YARN = "yarn@4.9.1+sha512.4d6ab01b3f899acf40a54647f7fbabd7bb6ab70b8b2196e8a0cba3fb5e2fef2c9f659445c8959cc677353eeb643b9e4cca3b9e7448ad960dd84d5e111e07ce8c"  # noqa: E501


def _pm_plan(field: str) -> Plan:
    from runner.detect.pm import parse_pm_field

    name, version, digest, warnings = parse_pm_field(field, "package.json")
    assert name and version and digest and not warnings
    return Plan(
        root="",
        workspace_root="",
        package_manager=PackageManager(name, version, "packageManager in package.json", digest),
        runtimes=(Runtime("node", "24.22.3", "default"),),
        framework=None,
        install_command=f"{name} install",
        build_command=f"{name} run build",
        output_dir="dist",
    )


def test_package_managers_are_checked_against_the_corepack_hash(
    run_script, toolchain_volume: str
) -> None:
    from runner.provision import MISMATCH_EXIT

    volumes = {toolchain_volume: TOOLCHAIN_MOUNT}
    for field in (COREPACK_PNPM, COREPACK_YARN):
        prov = provisioning_for(_pm_plan(field))
        code, out = run_script(prov.script, volumes)
        tool, version = field.split("+")[0].split("@")
        assert code == 0, out
        assert f"pitstop: {tool} {version} matches the sha512 in packageManager" in out
    # a hash that is not the download's: refused, even from the toolchain cache
    wrong = COREPACK_PNPM[:-4] + "0000"
    code, out = run_script(provisioning_for(_pm_plan(wrong)).script, volumes)
    assert code == MISMATCH_EXIT, out
    assert failure_code(code)[0] == "integrity_error"
    assert "(cached)" in out
    assert "does not match the sha512 in packageManager in package.json" in out
    assert "the download has 68046141893c66fa" in out
