"""`pitstop image prune` on the real engine: old build images and the dependency images made
on them go, children first; anything a container was made from stays; the current image and
its dependency images stay.

It prunes every stale pitstop image on the engine it runs against (that is its job), so run
it against a test engine."""

from __future__ import annotations

import contextlib
import io
import json
import tarfile

import pytest

from runner.cache import BuildCache
from runner.image import LABEL

pytestmark = pytest.mark.docker

OLD = "pitstop-build:0ld0ld0ld0ld0ld0"
OLD_DEPS = "pitstop-deps:0ld0ld0ld0ld0ld0"
CURRENT_DEPS = "pitstop-deps:cu44e47cu44e47cu"


def _tiny_rootfs() -> bytes:
    data = io.BytesIO()
    with tarfile.open(fileobj=data, mode="w") as tar:
        info = tarfile.TarInfo("old-pitstop")
        payload = b"an image made by an older pitstop\n"
        info.size = len(payload)
        tar.addfile(info, io.BytesIO(payload))
    return data.getvalue()


def _commit(client, image: str, tag: str) -> None:
    container = client.containers.create(image, command=["true"], labels={LABEL: "1"})
    try:
        repository, _, version = tag.partition(":")
        container.commit(repository, version, conf={"Labels": {LABEL: "1"}})
    finally:
        container.remove(force=True)


@pytest.fixture
def old_images(docker_client, build_image: str):
    """An 'older' build image (unrelated layers), a deps image on it, a deps image on the
    current build image; all removed afterwards whatever the test did."""
    repository, _, version = OLD.partition(":")
    docker_client.api.import_image_from_data(
        _tiny_rootfs(), repository=repository, tag=version, changes=[f"LABEL {LABEL}=1"]
    )
    _commit(docker_client, OLD, OLD_DEPS)
    _commit(docker_client, build_image, CURRENT_DEPS)
    yield
    for tag in (OLD_DEPS, OLD, CURRENT_DEPS):
        with contextlib.suppress(Exception):
            docker_client.images.remove(tag, force=True)


def _tags(client) -> set[str]:
    return {t for image in client.images.list() for t in image.tags}


def test_prune_removes_old_images_and_keeps_what_is_used(
    pitstop, docker_client, build_image: str, old_images, isolated_state
) -> None:
    cache = BuildCache(isolated_state / "cache" / "build-cache")
    cache.record_deps("0ld" * 20, OLD_DEPS, 1234, "acme/app")
    user = docker_client.containers.create(OLD_DEPS, command=["true"], labels={LABEL: "1"})
    try:
        dry = pitstop("image", "prune", "--dry-run", "--json")
        assert dry.returncode == 0, dry.stderr
        report = json.loads(dry.stdout)
        stale = {s["tag"]: s for s in report["stale"]}
        assert report["current"] == build_image
        assert stale[OLD_DEPS]["kept"] == "a container was made from it"
        assert stale[OLD]["kept"] == "an image that is kept is built on it"
        assert CURRENT_DEPS not in stale and build_image not in stale
        assert {OLD, OLD_DEPS} <= _tags(docker_client)  # a dry run removes nothing

        kept = pitstop("image", "prune", "--json")
        assert kept.returncode == 0, kept.stderr
        report = json.loads(kept.stdout)
        assert OLD_DEPS in report["kept"]
        assert set(report["kept"]) == {OLD, OLD_DEPS} and report["removed"] == []
        assert {OLD, OLD_DEPS} <= _tags(docker_client)
    finally:
        user.remove(force=True)

    done = pitstop("image", "prune")
    assert done.returncode == 0, done.stderr
    assert f"removed: {OLD_DEPS}" in done.stdout
    assert f"removed: {OLD}" in done.stdout
    assert "freed" in done.stdout
    tags = _tags(docker_client)
    assert OLD not in tags and OLD_DEPS not in tags
    assert build_image in tags and CURRENT_DEPS in tags
    assert not [e for e in cache.entries() if e.name == OLD_DEPS]  # its index entry went too

    again = pitstop("image", "prune")
    assert again.returncode == 0 and "nothing to prune" in again.stdout
