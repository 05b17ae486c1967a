"""pitstop's build image: defined by ``runner/image/Dockerfile``, tagged by content hash.

``ensure_image`` makes whatever is missing: the base (a local Debian bookworm image, or one
made with debootstrap), the Node, npm and corepack tarballs (from the npm registry, verified),
and finally the image itself, tagged ``pitstop-build:<hash>`` only once the build succeeded.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from runner.errors import EnvironmentProblem
from runner.image import bootstrap
from runner.image.node_dist import Artifact, NodeDist, node_package
from runner.versions import COREPACK_VERSION, DEFAULT_NODE_VERSION, NPM_VERSION, PINNED_INTEGRITY

if TYPE_CHECKING:
    import docker

__all__ = ["DOCKERFILE", "LABEL", "REPOSITORY", "ensure_image", "image_status", "image_tag"]

REPOSITORY = "pitstop-build"
LABEL = bootstrap.LABEL
DOCKERFILE = Path(__file__).with_name("Dockerfile")
#: Build-context file name -> (registry package, version); the Dockerfile COPYs these names.
Progress = Callable[[str, str], None]
_PROXY_ARGS = ("HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy")


def _noop(task: str, message: str) -> None:
    return None


def context_packages(node_version: str = DEFAULT_NODE_VERSION) -> dict[str, tuple[str, str]]:
    """What goes into the build context, by file name: (registry package, version)."""
    return {
        "node.tgz": (node_package(), node_version),
        "npm.tgz": ("npm", NPM_VERSION),
        "corepack.tgz": ("corepack", COREPACK_VERSION),
    }


def image_tag(
    *,
    dockerfile: bytes,
    base: str,
    node_version: str,
    files: Mapping[str, str],
    build_args: Mapping[str, str] | None = None,
) -> str:
    """``pitstop-build:<hash>`` of the Dockerfile, the base identity, the Node version, the
    digest of every other context file (``files``: name -> digest) and the build args."""
    document = {
        "dockerfile": hashlib.sha256(dockerfile).hexdigest(),
        "base": base,
        "node": node_version,
        "files": dict(sorted(files.items())),
        "args": dict(sorted((build_args or {}).items())),
    }
    digest = hashlib.sha256(json.dumps(document, sort_keys=True).encode()).hexdigest()
    return f"{REPOSITORY}:{digest[:16]}"


def _build_args(base: bootstrap.Base, node_version: str) -> dict[str, str]:
    return {
        "BASE_IMAGE": base.ref,
        "PACKAGES": " ".join(bootstrap.PACKAGES),
        "NODE_VERSION": node_version,
    }


def _tag_for(base: bootstrap.Base, node_version: str, artifacts: Mapping[str, Artifact]) -> str:
    return image_tag(
        dockerfile=DOCKERFILE.read_bytes(),
        base=base.identity,
        node_version=node_version,
        files={name: artifact.integrity for name, artifact in artifacts.items()},
        build_args=_build_args(base, node_version),
    )


def pinned_tag(base: bootstrap.Base, node_version: str = DEFAULT_NODE_VERSION) -> str | None:
    """The tag computed from pinned integrities alone (no downloads), or None if any of the
    context packages is not pinned."""
    files = {}
    for name, (package, version) in context_packages(node_version).items():
        integrity = PINNED_INTEGRITY.get(f"{package}@{version}")
        if integrity is None:
            return None
        files[name] = integrity
    return image_tag(
        dockerfile=DOCKERFILE.read_bytes(),
        base=base.identity,
        node_version=node_version,
        files=files,
        build_args=_build_args(base, node_version),
    )


def _check_pins(artifacts: Mapping[str, Artifact]) -> None:
    for artifact in artifacts.values():
        pinned = PINNED_INTEGRITY.get(artifact.spec)
        if pinned is not None and pinned != artifact.integrity:
            raise EnvironmentProblem(
                f"{artifact.spec} from the registry does not match the integrity pinned in "
                "runner/versions.py",
                "the registry (or a mirror) serves a different tarball: check "
                "npm_config_registry, or update the pin deliberately",
            )


@contextlib.contextmanager
def _locked(downloads: Path, progress: Progress) -> Iterator[None]:
    """One image builder per machine user at a time (others wait, then find it built)."""
    downloads.mkdir(parents=True, exist_ok=True)
    with open(downloads / ".image.lock", "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            progress("image", "waiting for another pitstop process to finish the image")
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _image_present(client: docker.DockerClient, tag: str) -> bool:
    import docker.errors

    try:
        client.images.get(tag)
    except docker.errors.ImageNotFound:
        return False
    return True


def _link_or_copy(source: Path, target: Path) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


def _build(
    client: docker.DockerClient,
    *,
    tag: str,
    base: bootstrap.Base,
    node_version: str,
    artifacts: Mapping[str, Artifact],
    workdir: Path,
    progress: Progress,
    nocache: bool,
) -> None:
    import docker.errors

    workdir.mkdir(parents=True, exist_ok=True)
    context = Path(tempfile.mkdtemp(prefix="context-", dir=workdir))
    try:
        shutil.copyfile(DOCKERFILE, context / "Dockerfile")
        for name, artifact in artifacts.items():
            _link_or_copy(artifact.path, context / name)
        args = _build_args(base, node_version)
        args.update({key: os.environ[key] for key in _PROXY_ARGS if os.environ.get(key)})
        image_id = None
        errors: list[str] = []
        stream = client.api.build(
            path=str(context),
            rm=True,
            forcerm=True,
            nocache=nocache,
            decode=True,
            buildargs=args,
            labels={
                LABEL: "1",
                "dev.pitstop.node": node_version,
                "dev.pitstop.base": base.ref,
            },
        )
        try:
            for chunk in stream:
                for line in str(chunk.get("stream", "")).splitlines():
                    if line.strip():
                        progress("image", line)
                if "error" in chunk:
                    errors.append(str(chunk["error"]).strip())
                    progress("image", errors[-1])
                aux = chunk.get("aux")
                if isinstance(aux, dict) and aux.get("ID"):
                    image_id = aux["ID"]
        except docker.errors.APIError as exc:
            errors.append(str(exc))
        if errors or not image_id:
            raise EnvironmentProblem(
                "the build image failed to build: " + (errors[-1] if errors else "no image id"),
                "see the build output above; `pitstop image build --force` retries from scratch",
            )
        repository, _, version = tag.partition(":")
        client.api.tag(image_id, repository, version)
    finally:
        shutil.rmtree(context, ignore_errors=True)


def _sweep_temp(workdir: Path) -> None:
    """Remove temp dirs left by an interrupted run (we hold the lock: nobody uses them)."""
    if workdir.is_dir():
        for stale in workdir.iterdir():
            if stale.name.startswith(("rootfs-", "context-")):
                shutil.rmtree(stale, ignore_errors=True)


def ensure_image(
    client: docker.DockerClient,
    *,
    downloads: Path,
    progress: Progress = _noop,
    force: bool = False,
    node_version: str = DEFAULT_NODE_VERSION,
) -> str:
    """The tag of an up-to-date build image, building the base, downloads and image that
    are missing. ``force`` rebuilds the image without the layer cache."""
    if not force:
        base = bootstrap.find_base(client, try_pull=False)
        tag = pinned_tag(base, node_version) if base else None
        if tag and _image_present(client, tag):
            progress("image", f"{tag} is up to date")
            return tag
    with _locked(downloads, progress):
        workdir = downloads / "image-tmp"
        _sweep_temp(workdir)
        dist = NodeDist(downloads, progress=progress)
        artifacts = {
            name: dist.get(package, version)
            for name, (package, version) in context_packages(node_version).items()
        }
        _check_pins(artifacts)
        resolved_node = artifacts["node.tgz"].version
        base = bootstrap.ensure_base(client, workdir, progress)
        tag = _tag_for(base, resolved_node, artifacts)
        if not force and _image_present(client, tag):
            progress("image", f"{tag} is up to date")
            return tag
        progress("image", f"building {tag} from {base.ref}")
        _build(
            client,
            tag=tag,
            base=base,
            node_version=resolved_node,
            artifacts=artifacts,
            workdir=workdir,
            progress=progress,
            nocache=force,
        )
        progress("image", f"{tag} ready")
        return tag


def image_status(
    client: docker.DockerClient,
    *,
    downloads: Path | None = None,
    node_version: str = DEFAULT_NODE_VERSION,
) -> dict[str, object]:
    """What ``ensure_image`` would use and what is already there; never builds or downloads.

    ``tag`` is None while the base or the tarballs are missing (the hash needs them).
    """
    import docker.errors

    if downloads is None:
        from runner.paths import Paths

        downloads = Paths.default().downloads
    dist = NodeDist(downloads)
    artifacts: dict[str, Artifact] = {}
    for name, (package, version) in context_packages(node_version).items():
        hit = dist.cached(package, version)
        if hit is not None:
            artifacts[name] = hit
    base = bootstrap.find_base(client, try_pull=False)
    complete = base is not None and len(artifacts) == len(context_packages(node_version))
    tag = _tag_for(base, node_version, artifacts) if complete and base else None
    if tag is None and base is not None:
        tag = pinned_tag(base, node_version)
    size = None
    if tag:
        try:
            size = client.images.get(tag).attrs.get("Size")
        except docker.errors.ImageNotFound:
            size = None
    others = sorted(
        t
        for image in client.images.list(filters={"label": f"{LABEL}=1"})
        for t in image.tags
        if t.startswith(REPOSITORY + ":")
    )
    return {
        "tag": tag,
        "present": size is not None,
        "size": size,
        "node_version": node_version,
        "base": base.ref if base else bootstrap.base_tag(),
        "base_present": base is not None,
        "base_source": base.source if base else None,
        "downloads_cached": sorted(a.spec for a in artifacts.values()),
        "images": others,
    }
