"""Which old images `pitstop image prune` removes: pure selection over listed images."""

from __future__ import annotations

from runner.stale_images import ImageInfo, stale_images

BASE = ImageInfo("pitstop-base:bookworm-new", "sha256:base", ("l-base",))
OLD_BASE = ImageInfo("pitstop-base:bookworm-old", "sha256:oldbase", ("l-oldbase",))
BUILD = ImageInfo("pitstop-build:new", "sha256:build", ("l-base", "l-node"))
OLD_BUILD = ImageInfo("pitstop-build:old", "sha256:oldbuild", ("l-oldbase", "l-oldnode"))
DEPS = ImageInfo("pitstop-deps:aa", "sha256:deps", ("l-base", "l-node", "l-deps"))
OLD_DEPS = ImageInfo("pitstop-deps:bb", "sha256:olddeps", ("l-oldbase", "l-oldnode", "l-d"))
OTHER = ImageInfo("debian:bookworm", "sha256:debian", ("l-debian",))


def tags(result) -> list[str]:
    return [s.image.tag for s in result]


def test_old_build_images_their_deps_and_old_bases_go_children_first() -> None:
    images = [OLD_BASE, BASE, OLD_BUILD, BUILD, OLD_DEPS, DEPS, OTHER]
    result = stale_images(images, current_build=BUILD, current_base=BASE.tag, used_ids=set())
    assert tags(result) == ["pitstop-deps:bb", "pitstop-build:old", "pitstop-base:bookworm-old"]
    assert not any(s.kept for s in result)
    assert "older build image" in result[0].reason


def test_an_image_a_container_was_made_from_is_kept_with_what_it_is_built_on() -> None:
    result = stale_images(
        [OLD_BASE, OLD_BUILD, OLD_DEPS],
        current_build=BUILD,
        current_base=BASE.tag,
        used_ids={OLD_DEPS.id},
    )
    assert [(s.image.tag, s.kept) for s in result] == [
        ("pitstop-deps:bb", "a container was made from it"),
        ("pitstop-build:old", "an image that is kept is built on it"),
        ("pitstop-base:bookworm-old", "an image that is kept is built on it"),
    ]
    alone = stale_images([OLD_BUILD], current_build=BUILD, current_base=None, used_ids=set())
    assert alone[0].kept is None


def test_the_base_the_current_image_is_built_on_is_kept_whatever_its_tag() -> None:
    # built FROM a base whose tag is not this pitstop's recipe tag (e.g. an older recipe)
    result = stale_images([BASE, BUILD], current_build=BUILD, current_base=None, used_ids=set())
    assert result == []


def test_a_second_tag_of_the_current_image_is_not_stale() -> None:
    alias = ImageInfo("pitstop-build:alias", BUILD.id, BUILD.layers)
    assert stale_images([alias], current_build=BUILD, current_base=None, used_ids=set()) == []
