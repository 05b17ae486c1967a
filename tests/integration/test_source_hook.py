"""runner.source's helpers for the pre-push hook, against real git repositories."""

from __future__ import annotations

from pathlib import Path

import pytest

from runner import source
from runner.errors import SourceError
from tests.integration.conftest import git


@pytest.fixture
def repo(make_repo) -> Path:
    return make_repo(files={"apps/web/a.txt": "1", "apps/docs/b.txt": "2", "README.md": "r"})


def test_hooks_dir_default_subdir_and_hooks_path(repo: Path, tmp_path: Path) -> None:
    assert source.hooks_dir(repo) == (repo / ".git" / "hooks").resolve()
    assert source.hooks_dir(repo / "apps" / "web") == (repo / ".git" / "hooks").resolve()
    shared = tmp_path / "shared-hooks"
    git(repo, "config", "core.hooksPath", str(shared))
    assert source.hooks_dir(repo / "apps") == shared
    git(repo, "config", "core.hooksPath", "tools/hooks")
    assert source.hooks_dir(repo / "apps") == (repo / "tools" / "hooks").resolve()
    assert source.config_value(repo, "core.hooksPath") == "tools/hooks"


def test_hooks_dir_of_a_linked_worktree(repo: Path, tmp_path: Path) -> None:
    wt = tmp_path / "wt"
    git(repo, "worktree", "add", "-q", "-b", "side", str(wt))
    assert source.hooks_dir(wt) == (repo / ".git" / "hooks").resolve()
    assert source.toplevel(wt) == wt.resolve()


def test_hooks_dir_outside_a_repository(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    with pytest.raises(SourceError, match="hooks directory"):
        source.hooks_dir(plain)
    assert source.toplevel(plain) is None
    assert source.config_value(plain, "core.hooksPath") is None


def test_toplevel_and_config(repo: Path) -> None:
    assert source.toplevel(repo / "apps" / "docs") == repo.resolve()
    assert source.config_value(repo, "pitstop.nothing") is None
    git(repo, "config", "pitstop.answer", "42")
    assert source.config_value(repo, "pitstop.answer") == "42"


def test_commit_id_and_message(repo: Path) -> None:
    head = git(repo, "rev-parse", "HEAD")
    git(repo, "tag", "-a", "-m", "release", "v1")
    tag_object = git(repo, "rev-parse", "v1")
    assert tag_object != head
    assert source.commit_id(repo, tag_object) == head  # annotated tags are peeled
    assert source.commit_id(repo, "main") == head
    assert source.commit_id(repo, "f" * 40) is None
    assert source.commit_id(repo, "--all") is None
    assert source.commit_id(repo, "") is None
    tree = git(repo, "rev-parse", "HEAD^{tree}")
    assert source.commit_id(repo, tree) is None
    git(repo, "commit", "-q", "--allow-empty", "-m", "subject [skip ci]", "-m", "body line")
    message = source.commit_message(repo, git(repo, "rev-parse", "HEAD"))
    assert message.startswith("subject [skip ci]\n\nbody line")


def test_changed_paths(repo: Path) -> None:
    base = git(repo, "rev-parse", "HEAD")
    (repo / "apps" / "docs" / "b.txt").write_text("3")
    (repo / "apps" / "new.txt").write_text("n")
    git(repo, "mv", "README.md", "READ.md")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "change")
    head = git(repo, "rev-parse", "HEAD")
    assert sorted(source.changed_paths(repo, base, head) or []) == [
        "READ.md",
        "README.md",
        "apps/docs/b.txt",
        "apps/new.txt",
    ]
    assert source.changed_paths(repo, head, head) == []
    assert source.changed_paths(repo, "e" * 40, head) is None  # the remote's commit is not here
