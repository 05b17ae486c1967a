"""Version settings a project keeps for its hosted build (netlify.toml environment)."""

from __future__ import annotations

import pytest

from tests.detect.helpers import newest_node, pkg, plan

VITE = pkg(build="vite build", devDependencies={"vite": "^6"})
MKDOCS = {"mkdocs.yml": "site_name: Docs\n", "requirements.txt": "mkdocs==1.6.1\n"}
BUILD_ENV = '[build.environment]\nNODE_VERSION = "20"\nPYTHON_VERSION = "3.12"\n'

# (files, app root, env, runtime, version, source contains)
CASES = [
    # [build.environment] counts like NODE_VERSION: before .nvmrc and engines
    (
        {"package.json": VITE, "netlify.toml": BUILD_ENV, ".nvmrc": "22"},
        "",
        {},
        "node",
        newest_node(20),
        "NODE_VERSION in netlify.toml",
    ),
    # the production context overrides [build.environment]
    (
        {
            "package.json": VITE,
            "netlify.toml": BUILD_ENV + '[context.production.environment]\nNODE_VERSION = "22"\n',
        },
        "",
        {},
        "node",
        newest_node(22),
        "NODE_VERSION in netlify.toml",
    ),
    # a number is a version too
    (
        {"package.json": VITE, "netlify.toml": "[build.environment]\nNODE_VERSION = 18\n"},
        "",
        {},
        "node",
        newest_node(18),
        "netlify.toml",
    ),
    # the real environment beats the file
    (
        {"package.json": VITE, "netlify.toml": BUILD_ENV},
        "",
        {"NODE_VERSION": "22.11.0"},
        "node",
        "22.11.0",
        "NODE_VERSION",
    ),
    # found in a parent of the app root (the base directory of a monorepo)
    (
        {"netlify.toml": BUILD_ENV, "site/package.json": VITE},
        "site",
        {},
        "node",
        newest_node(20),
        "NODE_VERSION in netlify.toml",
    ),
    # without a version variable the files decide
    (
        {"package.json": VITE, "netlify.toml": '[build]\npublish = "dist"\n', ".nvmrc": "22"},
        "",
        {},
        "node",
        newest_node(22),
        ".nvmrc",
    ),
    # PYTHON_VERSION there beats runtime.txt
    (
        {**MKDOCS, "netlify.toml": BUILD_ENV, "runtime.txt": "3.8"},
        "",
        {},
        "python",
        "3.12",
        "PYTHON_VERSION in netlify.toml",
    ),
    (
        {
            "hugo.toml": 'baseURL = "/"\n',
            "netlify.toml": '[build.environment]\nHUGO_VERSION = "0.139.0"\n',
        },
        "",
        {},
        "hugo",
        "0.139.0",
        "HUGO_VERSION in netlify.toml",
    ),
]


@pytest.mark.parametrize(("files", "root", "env", "runtime", "version", "source"), CASES)
def test_hosted_versions(
    files: dict[str, str], root: str, env: dict[str, str], runtime: str, version: str, source: str
) -> None:
    rt = plan(files, root, env=env).runtime(runtime)
    assert rt is not None
    assert rt.version == version
    assert source in rt.source


def test_malformed_netlify_toml_is_a_warning() -> None:
    p = plan({"package.json": VITE, "netlify.toml": "[build\n", ".nvmrc": "22"})
    node = p.runtime("node")
    assert node is not None and node.version == newest_node(22)
    assert any("netlify.toml:1:" in w and "ignored" in w for w in p.warnings)
