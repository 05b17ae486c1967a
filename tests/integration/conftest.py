"""Fixtures for integration tests: real git repositories and the real Docker engine."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
PITSTOP = [sys.executable, "-m", "cli.app"]


def git(cwd: Path, *args: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(
        GIT_AUTHOR_NAME="t",
        GIT_AUTHOR_EMAIL="t@example.com",
        GIT_COMMITTER_NAME="t",
        GIT_COMMITTER_EMAIL="t@example.com",
    )
    return subprocess.run(
        ["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True
    ).stdout.strip()


@pytest.fixture
def make_repo(tmp_path: Path) -> Callable[..., Path]:
    """A committed git repository from an example folder and/or extra files."""

    def make(
        example: str | None = None, files: dict[str, str] | None = None, name: str = "repo"
    ) -> Path:
        repo = tmp_path / name
        if example:
            shutil.copytree(EXAMPLES / example, repo, ignore=shutil.ignore_patterns("node_modules"))
        repo.mkdir(exist_ok=True)
        for rel, text in (files or {}).items():
            (repo / rel).parent.mkdir(parents=True, exist_ok=True)
            (repo / rel).write_text(text)
        git(repo, "init", "-q", "-b", "main")
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", "initial")
        return repo

    return make


@pytest.fixture(scope="session")
def docker_client() -> Iterator[object]:
    """The real engine; a clear failure (not a skip) when none answers."""
    from runner.engine import DockerEngine
    from runner.errors import EnvironmentProblem

    try:
        engine = DockerEngine.connect()
    except EnvironmentProblem as exc:
        pytest.fail(f"{exc.message}: {exc.hint} (or deselect with -m 'not docker')")
    yield engine.client


@pytest.fixture(scope="session")
def build_image(docker_client: object, tmp_path_factory: pytest.TempPathFactory) -> str:
    """Build (or find) the build image once per test run; downloads cached across runs."""
    from runner.image import ensure_image
    from runner.paths import Paths

    downloads = Path(os.environ.get("PITSTOP_TEST_DOWNLOADS", Paths.default().downloads))
    if "PITSTOP_HOME" in os.environ and "PITSTOP_TEST_DOWNLOADS" not in os.environ:
        downloads = ROOT / ".state" / "downloads"
    return ensure_image(docker_client, downloads=downloads)


@pytest.fixture
def pitstop(
    isolated_state: Path, build_image: str
) -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run the real CLI in a subprocess with this test's state dir."""

    def run(
        *args: str, cwd: Path | None = None, timeout: float = 600
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*PITSTOP, *args],
            cwd=cwd or ROOT,
            env=cli_env(isolated_state),
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    return run


def cli_env(home: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(PITSTOP_HOME=str(home), NO_COLOR="1", COLUMNS="120", PYTHONPATH=str(ROOT))
    return env


def stored(home: Path, build_id: int):
    """A build's record and stored log lines, from the history under ``home``."""
    from runner.store import Store

    with Store(home / "data" / "history.sqlite3") as store:
        return store.get_build(build_id), store.read_lines(build_id)


def events(stdout: str) -> list[dict]:
    return [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]


def pitstop_containers(client: object, build_id: int | None = None) -> list[object]:
    """This test's pitstop containers (of its own history database), optionally of one build."""
    from runner.engine import LABEL_STORE, store_label
    from runner.paths import Paths

    label = f"{LABEL_STORE}={store_label(Paths.default().database)}"
    found = client.containers.list(all=True, filters={"label": label})  # type: ignore[attr-defined]
    if build_id is None:
        return found
    return [c for c in found if c.labels.get("dev.pitstop.build") == str(build_id)]
