"""A root build script that only builds another folder: that folder's framework and output."""

from __future__ import annotations

import pytest

from runner.detect.delegate import delegated_dir
from tests.detect.helpers import pkg, plan

YARN_LOCK = {"yarn.lock": "# yarn lockfile v1\n"}
DOCUSAURUS = pkg(build="docusaurus build", dependencies={"@docusaurus/core": "^3"})
VITE_BUILD = pkg(build="vite build", devDependencies={"vite": "^6"})

# (root build script, files, framework id, output, first cache dir)
CASES = [
    (
        "yarn --cwd website build",
        {"website/package.json": DOCUSAURUS},
        ("docusaurus", "website/build", "website/node_modules/.cache"),
    ),
    (
        "cd docs && npm run build",
        {
            "docs/package.json": VITE_BUILD,
            "docs/vite.config.ts": "export default { build: { outDir: 'out' } }",
        },
        ("vite", "docs/out", "docs/node_modules/.vite"),
    ),
    (
        "pnpm -C site build",
        {"site/package.json": VITE_BUILD},
        ("vite", "site/dist", "site/node_modules/.vite"),
    ),
    (
        "npm --prefix=site run build",
        {"site/package.json": VITE_BUILD},
        ("vite", "site/dist", "site/node_modules/.vite"),
    ),
    # the root's own framework is not the site when the script builds elsewhere
    (
        "yarn --cwd ./app build",
        {
            "app/package.json": VITE_BUILD,
            "app/vite.config.ts": "export default { build: { outDir: 'build' } }",
        },
        ("vite", "app/build", "app/node_modules/.vite"),
    ),
]


@pytest.mark.parametrize(("script", "files", "want"), CASES)
def test_delegated_build(script: str, files: dict[str, str], want: tuple) -> None:
    fid, output, cache = want
    root_pkg = pkg(
        workspaces=["website", "docs", "site", "app"],
        build=script,
        devDependencies={"vite": "^6"},
    )
    p = plan({"package.json": root_pkg, **YARN_LOCK, **files})
    assert p.framework is not None and p.framework.id == fid
    assert p.output_dir == output
    assert p.cache_dirs[0] == cache
    assert p.build_command == "yarn build"


def test_not_delegated_when_the_script_does_more() -> None:
    root_pkg = pkg(build="yarn --cwd website build && cp -r website/build public")
    p = plan({"package.json": root_pkg, **YARN_LOCK, "website/package.json": DOCUSAURUS})
    assert p.framework is None and p.output_dir == "dist"


def test_folder_without_a_framework_keeps_the_root_decision() -> None:
    root_pkg = pkg(build="yarn --cwd lib build", devDependencies={"vite": "^6"})
    p = plan({"package.json": root_pkg, **YARN_LOCK, "lib/package.json": pkg(build="tsc")})
    assert p.framework is not None and p.framework.id == "vite" and p.output_dir == "dist"


@pytest.mark.parametrize(
    ("script", "folder"),
    [
        ("yarn --cwd website build", "website"),
        ("yarn build --cwd website", "website"),
        ("cd docs && pnpm run build", "docs"),
        ("pnpm --dir=docs build", "docs"),
        ("yarn --cwd website build:fast", None),
        ("cd .. && npm run build", None),
        ("cd docs && vitepress build", None),
        ("npm run build", None),
        ("vite build", None),
    ],
)
def test_delegated_dir(script: str, folder: str | None) -> None:
    assert delegated_dir(script) == folder
