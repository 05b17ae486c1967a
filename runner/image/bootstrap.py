"""The base image: a local Debian bookworm image, a pulled one, or one made with debootstrap.

No container registry is needed: ``debootstrap`` builds a bookworm root filesystem from a
Debian mirror (with every package the build image needs) and the engine imports it.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from runner.errors import EnvironmentProblem

if TYPE_CHECKING:
    import docker

SUITE = "bookworm"
DEFAULT_MIRROR = "http://deb.debian.org/debian"
KEYRING = Path("/usr/share/keyrings/debian-archive-keyring.gpg")
LABEL = "dev.pitstop.managed"
BASE_REPOSITORY = "pitstop-base"
#: Local images used as the base when present, best first.
DEBIAN_IMAGES = ("debian:bookworm-slim", "debian:bookworm")
#: Bump when the recipe below changes in a way the package list does not show.
RECIPE_VERSION = "1"
#: Everything the build image needs from Debian; installed by debootstrap (no network in
#: the image build) or, on a stock Debian base, by apt-get in the Dockerfile.
PACKAGES = (
    "bash",
    "build-essential",
    "ca-certificates",
    "curl",
    "git",
    "openssh-client",
    "pkg-config",
    "procps",
    "python3",
    "python3-pip",
    "python3-venv",
    "unzip",
    "xz-utils",
    "zip",
)
ENV_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
HINT_SETUP = "run scripts/ensure-docker.sh (as root), or: apt-get install debootstrap"

Progress = Callable[[str, str], None]


@dataclass(frozen=True)
class Base:
    """The chosen base image: ``ref`` to build FROM and ``identity`` for the image hash."""

    ref: str
    identity: str
    source: str  # "local", "pulled" or "debootstrap"


def debian_arch(machine: str | None = None) -> str:
    machine = (machine or platform.machine()).lower()
    return {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}.get(
        machine, machine
    )


def base_tag(packages: tuple[str, ...] | None = None, arch: str | None = None) -> str:
    """``pitstop-base:bookworm-<hash>``: content-addressed by suite, arch and packages."""
    packages = PACKAGES if packages is None else packages
    recipe = {
        "recipe": RECIPE_VERSION,
        "suite": SUITE,
        "variant": "minbase",
        "arch": arch or debian_arch(),
        "packages": sorted(packages),
    }
    digest = hashlib.sha256(json.dumps(recipe, sort_keys=True).encode()).hexdigest()[:12]
    return f"{BASE_REPOSITORY}:{SUITE}-{digest}"


_ONE_LINE = re.compile(r"^\s*deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)")


def mirror_from_sources(texts: list[str], suite: str = SUITE) -> str | None:
    """The first Debian mirror serving ``suite`` in apt sources (one-line or deb822)."""
    for text in texts:
        for line in text.splitlines():
            match = _ONE_LINE.match(line)
            if match and match[2] == suite and match[1].startswith("http"):
                return match[1].rstrip("/")
        for stanza in re.split(r"\n\s*\n", text):
            fields: dict[str, str] = {}
            for line in stanza.splitlines():
                if ":" in line and not line.lstrip().startswith("#"):
                    key, _, value = line.partition(":")
                    fields[key.strip().lower()] = value.strip()
            types = fields.get("types", "").split()
            suites = fields.get("suites", "").split()
            if "deb" in types and suite in suites:
                for uri in fields.get("uris", "").split():
                    if uri.startswith("http"):
                        return uri.rstrip("/")
    return None


def host_mirror(root: Path = Path("/etc/apt")) -> str:
    """The Debian mirror to bootstrap from: ``PITSTOP_DEBIAN_MIRROR``, the host's apt
    sources for bookworm, or deb.debian.org."""
    override = os.environ.get("PITSTOP_DEBIAN_MIRROR", "").strip()
    if override:
        return override.rstrip("/")
    files = [root / "sources.list", *sorted((root / "sources.list.d").glob("*"))]
    texts = []
    for path in files:
        if path.suffix in (".list", ".sources") and path.is_file():
            try:
                texts.append(path.read_text(errors="replace"))
            except OSError:
                continue
    return mirror_from_sources(texts) or DEFAULT_MIRROR


def find_base(client: docker.DockerClient, *, try_pull: bool = True) -> Base | None:
    """A usable base already on the engine (or pullable), else None."""
    import docker.errors

    for ref in DEBIAN_IMAGES:
        try:
            return Base(ref, client.images.get(ref).id, "local")
        except docker.errors.ImageNotFound:
            continue
    tag = base_tag()
    try:
        client.images.get(tag)
        return Base(tag, tag, "debootstrap")
    except docker.errors.ImageNotFound:
        pass
    if try_pull:
        repository, _, version = DEBIAN_IMAGES[0].partition(":")
        try:
            image = client.images.pull(repository, tag=version)
            return Base(DEBIAN_IMAGES[0], image.id, "pulled")
        except docker.errors.APIError:
            return None
    return None


def _run_debootstrap(rootfs: Path, mirror: str, progress: Progress) -> None:
    command = [
        "debootstrap",
        "--variant=minbase",
        f"--arch={debian_arch()}",
        f"--keyring={KEYRING}",
        "--include=" + ",".join(PACKAGES),
        SUITE,
        str(rootfs),
        mirror,
    ]
    progress("base", "debootstrap: " + " ".join(command))
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive", "LC_ALL": "C"}
    tail: list[str] = []
    with subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        text=True,
        errors="replace",
        env=env,
    ) as proc:
        assert proc.stdout is not None
        for line in proc.stdout:
            line = line.rstrip()
            tail = [*tail[-19:], line]
            progress("base", "debootstrap: " + line)
    if proc.returncode != 0:
        log = rootfs / "debootstrap" / "debootstrap.log"
        if log.is_file():
            tail += log.read_text(errors="replace").splitlines()[-10:]
        raise EnvironmentProblem(
            f"debootstrap failed (exit {proc.returncode}):\n" + "\n".join(tail[-15:]),
            f"check that {mirror} is reachable (PITSTOP_DEBIAN_MIRROR picks another mirror)",
        )


def _finish_rootfs(rootfs: Path, mirror: str) -> None:
    """Apt sources (with updates and security), no caches, no host identity."""
    security = "http://deb.debian.org/debian-security"
    (rootfs / "etc/apt/sources.list").write_text(
        f"deb {mirror} {SUITE} main\n"
        f"deb {mirror} {SUITE}-updates main\n"
        f"deb {security} {SUITE}-security main\n"
    )
    for pattern in ("var/cache/apt/archives/*.deb", "var/lib/apt/lists/*", "var/log/*.log"):
        for path in rootfs.glob(pattern):
            if path.is_file():
                path.unlink()
    for name in ("etc/resolv.conf", "etc/hostname"):
        target = rootfs / name
        if target.is_file() or target.is_symlink():
            target.unlink()
            target.touch()


def _tar_stream(rootfs: Path) -> Iterator[bytes]:
    proc = subprocess.Popen(
        ["tar", "-C", str(rootfs), "--numeric-owner", "-cf", "-", "."],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None
    while chunk := proc.stdout.read(1 << 20):
        yield chunk
    stderr = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if proc.wait() != 0:
        raise EnvironmentProblem(f"could not pack the base root filesystem: {stderr[-500:]}")


def check_bootstrap_tools() -> None:
    """Raise with a setup hint unless debootstrap can run here."""
    if shutil.which("debootstrap") is None:
        raise EnvironmentProblem(
            "debootstrap is not installed, and no Debian base image is available", HINT_SETUP
        )
    if os.geteuid() != 0:
        raise EnvironmentProblem(
            "building the base image with debootstrap needs root",
            "run `pitstop image build` once as root (sudo), or load a debian:bookworm image",
        )
    if not KEYRING.is_file():
        raise EnvironmentProblem(
            f"the Debian archive keyring {KEYRING} is missing",
            "apt-get install debian-archive-keyring",
        )


def _check_import(result: object, tag: str) -> None:
    """The import endpoint reports failure in its JSON body, not its status code."""
    for line in str(result).splitlines():
        try:
            message = json.loads(line)
        except ValueError:
            continue
        if isinstance(message, dict) and message.get("error"):
            raise EnvironmentProblem(
                f"the engine could not import {tag}: {message['error']}",
                "check the engine's disk space and log",
            )


def build_base(client: docker.DockerClient, workdir: Path, progress: Progress) -> Base:
    """debootstrap a bookworm root filesystem under ``workdir`` and import it as the base."""
    check_bootstrap_tools()
    tag = base_tag()
    mirror = host_mirror()
    workdir.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="rootfs-", dir=workdir))
    try:
        rootfs = tmp / "rootfs"
        _run_debootstrap(rootfs, mirror, progress)
        _finish_rootfs(rootfs, mirror)
        progress("base", f"importing root filesystem as {tag}")
        repository, _, version = tag.partition(":")
        saved_timeout = client.api.timeout  # the engine's importing can outlast a short one
        client.api.timeout = None
        try:
            result = client.api.import_image(
                src=_tar_stream(rootfs),
                repository=repository,
                tag=version,
                changes=[
                    f"LABEL {LABEL}=1",
                    f"ENV PATH={ENV_PATH} LANG=C.UTF-8",
                    'CMD ["/bin/bash"]',
                ],
                stream_src=True,
            )
        finally:
            client.api.timeout = saved_timeout
        _check_import(result, tag)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    progress("base", f"base image {tag} ready")
    return Base(tag, tag, "debootstrap")


def ensure_base(client: docker.DockerClient, workdir: Path, progress: Progress) -> Base:
    """The base to build FROM, making one with debootstrap when none is available."""
    found = find_base(client)
    if found is not None:
        progress("base", f"using {found.source} base {found.ref}")
        return found
    return build_base(client, workdir, progress)
