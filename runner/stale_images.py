"""Which of pitstop's images nothing can use any more: the rule behind ``pitstop image prune``.

A new pitstop (a changed Dockerfile, Node or package pin) builds a new ``pitstop-build`` image
and leaves the old one behind, with every ``pitstop-deps`` image committed on top of it:
their keys name the old image, so no build can hit them again, and they hold the old image's
layers on disk. Pure: the engine adapter lists images and containers, this module decides.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from runner.cache import DEPS_REPOSITORY
from runner.image import REPOSITORY as BUILD_REPOSITORY
from runner.image.bootstrap import BASE_REPOSITORY

#: removal order: children before the images they are built on
ORDER = (DEPS_REPOSITORY, BUILD_REPOSITORY, BASE_REPOSITORY)


@dataclass(frozen=True)
class ImageInfo:
    """One tag of one image on the engine."""

    tag: str
    id: str
    layers: tuple[str, ...]  # RootFS layer digests, base first

    @property
    def repository(self) -> str:
        return self.tag.partition(":")[0]


@dataclass(frozen=True)
class Stale:
    image: ImageInfo
    reason: str  # why nothing can use it
    kept: str | None = None  # why it must stay anyway


def _built_on(image: ImageInfo, parent: ImageInfo) -> bool:
    return image.layers[: len(parent.layers)] == parent.layers


def stale_images(
    images: Iterable[ImageInfo],
    *,
    current_build: ImageInfo,
    current_base: str | None,
    used_ids: set[str],
) -> list[Stale]:
    """pitstop's images that no build of this pitstop can use, children first.

    ``current_build`` is the build image this pitstop uses; ``current_base`` the tag of the
    base it is built from (None when built from a Debian image pitstop did not make).
    """
    out: list[Stale] = []
    for image in images:
        repository = image.repository
        if image.id == current_build.id:
            continue
        if repository == BUILD_REPOSITORY:
            reason = "an older build image"
        elif repository == DEPS_REPOSITORY:
            if _built_on(image, current_build):
                continue
            reason = "installed dependencies on an older build image"
        elif repository == BASE_REPOSITORY:
            if image.tag == current_base or _built_on(current_build, image):
                continue
            reason = "an older base image recipe"
        else:
            continue
        out.append(Stale(image, reason))
    out.sort(key=lambda s: (ORDER.index(s.image.repository), s.image.tag))
    # children come first, so a kept child is known before the images it is built on
    kept: list[ImageInfo] = []
    for i, item in enumerate(out):
        if item.image.id in used_ids:
            why = "a container was made from it"
        elif any(_built_on(child, item.image) for child in kept):
            why = "an image that is kept is built on it"
        else:
            continue
        out[i] = Stale(item.image, item.reason, why)
        kept.append(item.image)
    return out
