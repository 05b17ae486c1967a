"""Node and Python version selection: sources, precedence, aliases and ranges."""

from __future__ import annotations

import pytest

from runner.detect import node_releases
from runner.detect.resolve import DEFAULT_PYTHON_VERSION, VersionUnavailable
from runner.errors import DetectError
from runner.versions import DEFAULT_NODE_VERSION
from tests.detect.helpers import newest_lts, newest_node, pkg, plan


def newest_any() -> str:
    """The newest published release of any line."""
    return max(node_releases.VERSIONS, key=lambda v: tuple(int(p) for p in v.split(".")))


VITE = pkg(build="vite build", devDependencies={"vite": "^6"})


def _node(files: dict[str, str], env: dict[str, str] | None = None, root: str = "", **kw):
    p = plan({"package.json": VITE, **files} if not root else files, root, env=env or {}, **kw)
    rt = p.runtime("node")
    assert rt is not None
    return rt


NODE_CASES = [
    # (files, env, version, source contains)
    ({}, {}, DEFAULT_NODE_VERSION, "pitstop default (current LTS)"),
    ({".nvmrc": "20.11.1\n"}, {}, "20.11.1", ".nvmrc"),
    ({".nvmrc": "v18.19.0"}, {}, "18.19.0", ".nvmrc"),
    ({".nvmrc": "20"}, {}, newest_node(20), ".nvmrc"),
    ({".nvmrc": "lts/iron"}, {}, newest_node(20), "lts/iron"),
    ({".nvmrc": "lts/hydrogen # pinned\n"}, {}, newest_node(18), "lts/hydrogen"),
    ({".nvmrc": "# comment\n\nlts/jod\n"}, {}, newest_node(22), ".nvmrc"),
    (
        {".nvmrc": "node"},
        {},
        max(node_releases.VERSIONS, key=lambda v: tuple(map(int, v.split(".")))),
        "newest",
    ),
    ({".node-version": "22.12.0"}, {}, "22.12.0", ".node-version"),
    ({".tool-versions": "python 3.12.1\nnodejs 20.10.0\n"}, {}, "20.10.0", ".tool-versions"),
    ({".tool-versions": "node 18.20.0 16.20.0"}, {}, "18.20.0", ".tool-versions"),
    # NODE_VERSION beats the files; .nvmrc beats .tool-versions and engines
    ({".nvmrc": "18.19.0"}, {"NODE_VERSION": "22.11.0"}, "22.11.0", "NODE_VERSION"),
    ({".nvmrc": "18.19.0", ".tool-versions": "nodejs 20.10.0"}, {}, "18.19.0", ".nvmrc"),
    (
        {
            ".tool-versions": "nodejs 20.10.0",
            "package.json": pkg(build="vite build", engines={"node": "18"}),
        },
        {},
        "20.10.0",
        ".tool-versions",
    ),
    # engines.node ranges resolve to the newest matching release
    (
        {"package.json": pkg(build="x", engines={"node": ">=18 <21"})},
        {},
        newest_node(20),
        "engines.node",
    ),
    (
        {"package.json": pkg(build="x", engines={"node": "^20.11"})},
        {},
        newest_node(20),
        "engines.node",
    ),
    (
        {"package.json": pkg(build="x", engines={"node": "18.x"})},
        {},
        newest_node(18),
        "engines.node",
    ),
    (
        {"package.json": pkg(build="x", engines={"node": "^14 || ^16"})},
        {},
        newest_node(16),
        "engines.node",
    ),
    # an open range takes the newest release it allows (a warning names the newest LTS)
    ({"package.json": pkg(build="x", engines={"node": ">=18"})}, {}, newest_any(), "engines"),
    (
        {"package.json": pkg(build="x", engines={"node": ">=20.16.0 || >=22.3.0"})},
        {},
        newest_any(),
        "engines.node",
    ),
    ({".nvmrc": ">=20"}, {}, newest_any(), ".nvmrc"),
    # a range with no LTS release in it still resolves
    ({"package.json": pkg(build="x", engines={"node": "^23"})}, {}, newest_node(23), "engines"),
]


@pytest.mark.parametrize(("files", "env", "version", "source"), NODE_CASES)
def test_node_version(
    files: dict[str, str], env: dict[str, str], version: str, source: str
) -> None:
    rt = _node(files, env)
    assert rt.version == version
    assert source in rt.source


def test_lts_star_is_newest_lts_line_with_an_available_lts_release() -> None:
    # Every LTS line whose first LTS release is published counts; the newest such line wins.
    lines = [
        (major, first)
        for major, first in node_releases.LTS_LINES.values()
        if first in node_releases.VERSIONS
        or any(
            v.split(".")[0] == str(major)
            and tuple(map(int, v.split("."))) >= tuple(map(int, first.split(".")))
            for v in node_releases.VERSIONS
        )
    ]
    major = max(lines)[0]
    assert _node({".nvmrc": "lts/*"}).version == newest_node(major)


def test_lts_minus_one_is_the_previous_line() -> None:
    star = _node({".nvmrc": "lts/*"}).version
    prev = _node({".nvmrc": "lts/-1"}).version
    assert int(prev.split(".")[0]) == int(star.split(".")[0]) - 2


def test_nvmrc_in_the_repository_root_applies_to_an_app_in_a_subfolder() -> None:
    files = {".nvmrc": "20.11.1", "apps/web/package.json": VITE}
    assert _node(files, root="apps/web").version == "20.11.1"


def test_nvmrc_and_node_version_disagreeing_warns() -> None:
    p = plan({"package.json": VITE, ".nvmrc": "20.11.1", ".node-version": "22.1.0"})
    assert p.runtime("node").version == "20.11.1"
    assert any(".nvmrc" in w and ".node-version" in w for w in p.warnings)


def test_exact_version_missing_from_the_registry_list_is_kept_with_a_warning() -> None:
    p = plan({"package.json": VITE, ".nvmrc": "20.3.2"})
    assert "20.3.2" not in node_releases.VERSIONS
    assert p.runtime("node").version == "20.3.2"
    assert any("20.3.2" in w and "npm registry" in w for w in p.warnings)


def test_config_node_version_beats_files_but_not_the_environment() -> None:
    files = {"package.json": VITE, ".nvmrc": "18.19.0"}
    cfg = {"build": {"node_version": "22.11.0"}}
    assert plan(files, config=cfg).runtime("node").version == "22.11.0"
    env = {"NODE_VERSION": "20.11.1"}
    assert plan(files, config=cfg, env=env).runtime("node").version == "20.11.1"


@pytest.mark.parametrize(
    ("files", "needle"),
    [
        ({"package.json": pkg(build="x", engines={"node": ">=99"})}, ">=99"),
        ({".nvmrc": "lts/unobtainium"}, "lts/unobtainium"),
        ({".nvmrc": "lts/-99"}, "lts/-99"),
    ],
)
def test_unavailable_node_version(files: dict[str, str], needle: str) -> None:
    with pytest.raises(VersionUnavailable) as err:
        plan({"package.json": VITE, **files})
    assert err.value.code == "node_version_unavailable"
    assert err.value.phase == "install"
    assert needle in err.value.message and "available" in err.value.message


def test_lts_line_without_a_published_lts_release_is_unavailable() -> None:
    name, (major, first) = max(node_releases.LTS_LINES.items(), key=lambda i: i[1][0])
    if first in node_releases.VERSIONS:
        pytest.skip("the newest LTS line already has a published LTS release")
    with pytest.raises(VersionUnavailable) as err:
        plan({"package.json": VITE, ".nvmrc": f"lts/{name}"})
    assert f"{major}.x" in err.value.message


def test_garbage_node_request_is_a_detect_error_naming_the_file() -> None:
    with pytest.raises(DetectError) as err:
        plan({"package.json": VITE, ".nvmrc": "banana!"})
    assert ".nvmrc" in err.value.message


# ---- Python ----------------------------------------------------------------------------

MKDOCS = {"mkdocs.yml": "site_name: Docs\n", "requirements.txt": "mkdocs==1.6.1\n"}

RTD = 'version: 2\nbuild:\n  os: ubuntu-22.04\n  tools:\n    nodejs: "20"\n    python: "3.12"\n'

PY_CASES = [
    ({}, {}, DEFAULT_PYTHON_VERSION, "pitstop default"),
    ({"runtime.txt": "python-3.11.4\n"}, {}, "3.11.4", "runtime.txt"),
    ({"runtime.txt": "3.12"}, {}, "3.12", "runtime.txt"),
    ({".python-version": "3.12.2\n"}, {}, "3.12.2", ".python-version"),
    ({".python-version": "3.10", "runtime.txt": "python-3.12.1"}, {}, "3.10", ".python-version"),
    ({"runtime.txt": "python-3.12.1"}, {"PYTHON_VERSION": "3.13"}, "3.13", "PYTHON_VERSION"),
    ({".tool-versions": "python 3.12.4"}, {}, "3.12.4", ".tool-versions"),
    (
        {"pyproject.toml": '[project]\nname = "d"\nrequires-python = ">=3.9"\n'},
        {},
        DEFAULT_PYTHON_VERSION,
        "requires-python",
    ),
    (
        {"pyproject.toml": '[project]\nname = "d"\nrequires-python = ">=3.12,<3.14"\n'},
        {},
        "3.13",
        "requires-python",
    ),
    (
        {"pyproject.toml": '[project]\nname = "d"\nrequires-python = "~=3.12.0"\n'},
        {},
        "3.12",
        "requires-python",
    ),
    (
        {"pyproject.toml": '[tool.poetry.dependencies]\npython = "^3.12"\n'},
        {},
        "3.14",
        "tool.poetry",
    ),
    # Read the Docs' build.tools.python: after the version files, before requires-python
    (
        {
            ".readthedocs.yaml": RTD,
            "pyproject.toml": '[project]\nname = "d"\nrequires-python = ">=3.9"\n',
        },
        {},
        "3.12",
        "build.tools.python in .readthedocs.yaml",
    ),
    ({".readthedocs.yml": RTD, "runtime.txt": "3.10"}, {}, "3.10", "runtime.txt"),
    (
        {".readthedocs.yaml": "version: 2\nbuild:\n  tools:\n    python: mambaforge-22.9\n"},
        {},
        DEFAULT_PYTHON_VERSION,
        "pitstop default",
    ),
]


@pytest.mark.parametrize(("files", "env", "version", "source"), PY_CASES)
def test_python_version(
    files: dict[str, str], env: dict[str, str], version: str, source: str
) -> None:
    p = plan({**MKDOCS, **files}, env=env)
    rt = p.runtime("python")
    assert rt is not None and rt.version == version
    assert source in rt.source
    assert p.runtime("node") is None


def test_python_requires_nothing_available() -> None:
    files = {**MKDOCS, "pyproject.toml": '[project]\nname = "d"\nrequires-python = ">=4"\n'}
    with pytest.raises(VersionUnavailable) as err:
        plan(files)
    assert err.value.code == "python_version_unavailable"
    assert "pyproject.toml" in err.value.message


@pytest.mark.parametrize("bad", ["python-three", "latest", "3"])
def test_bad_runtime_txt(bad: str) -> None:
    with pytest.raises(DetectError) as err:
        plan({**MKDOCS, "runtime.txt": bad})
    assert "runtime.txt" in err.value.message


def test_an_open_range_past_the_lts_lines_warns_and_names_the_lts() -> None:
    from runner.detect import plan_for
    from runner.detect.tree import MemoryTree

    tree = MemoryTree({"package.json": pkg(build="x", engines={"node": ">=18"})})
    plan = plan_for(tree, "")
    assert plan.runtime("node").version == newest_any()
    if newest_any() != newest_lts():
        assert any("not an LTS release" in w and newest_lts() in w for w in plan.warnings)
