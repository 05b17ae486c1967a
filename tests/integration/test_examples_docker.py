"""Every example in examples/ built for real through the CLI, and its output checked.

Each example is one package manager or framework; the toolchains a plan needs beyond the build
image (another Node, pnpm, yarn, bun) are provisioned into the shared toolchain volume.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from .conftest import events

pytestmark = [pytest.mark.docker, pytest.mark.slow]


@dataclass(frozen=True)
class Example:
    name: str
    file: str  # a file in the output directory
    text: str  # text the file must contain
    root: str | None = None
    built_with: tuple[str, ...] = ()  # lines dist/built-with.txt must start with
    provisioned: tuple[str, ...] = ()  # tools the provision step must name


EXAMPLES = (
    Example("vite-npm", "index.html", "Hello from a pitstop build"),
    Example(
        "yarn-classic",
        "index.html",
        "Hello from Vite + Yarn 1",
        built_with=("node v24.", "yarn/1.22.22 "),
        provisioned=("yarn 1.22.22",),
    ),
    Example(
        "yarn-berry",
        "index.html",
        "Hello from Vite + Yarn 4",
        built_with=("node v24.", "yarn/4.18.1 "),
        provisioned=("yarn 4.18.1",),
    ),
    Example(
        "pnpm",
        "index.html",
        "Hello from Vite + pnpm 9",
        built_with=("node v24.", "pnpm/9.15.9 "),
        provisioned=("pnpm 9.15.9",),
    ),
    Example(
        "bun",
        "index.html",
        "Hello from Vite + bun",
        built_with=("node v24.", "bun/1.4.5 "),
        provisioned=("bun 1.4.5",),
    ),
    Example(
        "node22-nvmrc",
        "index.html",
        "Hello from Vite on Node 22",
        built_with=("node v22.", "npm/11."),
        provisioned=("node 22.",),
    ),
    Example("nextjs-static", "index.html", "Hello from Next.js, exported by pitstop"),
    Example("astro", "index.html", "Hello from Astro, built by pitstop"),
    Example("sveltekit", "index.html", "Hello from SvelteKit, prerendered by pitstop"),
    Example("eleventy", "index.html", "Hello from Eleventy, built by pitstop"),
    Example("workers", "index.js", "Hello from a Worker bundled by pitstop"),
    Example("mkdocs", "index.html", "Hello from MkDocs, built by pitstop"),
    Example(
        "pnpm-workspace",
        "assets",
        "via a workspace package",
        root="apps/web",
        provisioned=("pnpm 10.34.9",),
    ),
)


def _read(path: Path) -> str:
    """A file's text, or every file's text under a directory."""
    if path.is_dir():
        return "\n".join(p.read_text(errors="replace") for p in sorted(path.rglob("*.js")))
    return path.read_text(errors="replace")


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.name for e in EXAMPLES])
def test_example_builds_and_its_output_is_real(
    example: Example, make_repo, pitstop, tmp_path: Path
) -> None:
    repo = make_repo(example.name)
    out = tmp_path / "out"
    args = ["build", str(repo), "--out", str(out), "--json"]
    if example.root:
        args += ["--root", example.root]
    started = time.monotonic()
    result = pitstop(*args, timeout=900)
    took = time.monotonic() - started
    evs = events(result.stdout)
    logs = [e["text"] for e in evs if e.get("type") == "log"]
    tail = "\n".join(logs[-60:]) + result.stderr[-2000:]
    assert result.returncode == 0, f"{example.name} failed after {took:.0f}s:\n{tail}"
    assert evs[-1]["status"] == "succeeded"
    assert example.text in _read(out / example.file), tail
    if example.built_with:
        stamp = (out / "built-with.txt").read_text().splitlines()
        for line, prefix in zip(stamp, example.built_with, strict=True):
            assert line.startswith(prefix), stamp
    said = [t for t in logs if t.startswith("pitstop: ") and " from " in t]
    for tool in example.provisioned:
        assert any(t.startswith(f"pitstop: {tool}") for t in said), said
    if not example.provisioned:
        assert not any(e.get("step") == "provision" for e in evs if e.get("type") == "log")
