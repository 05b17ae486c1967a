"""The pre-push hook with real git: `pitstop hook install`, then a real `git push` to a local
bare remote. Tests that run a real build are docker-marked; the others point DOCKER_HOST at a
socket that does not exist, so a build that starts ends "machine not ready" (fail open)."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from runner.models import Status
from runner.store import Store
from tests.integration.conftest import EXAMPLES, PITSTOP, cli_env, git

NO_ENGINE = "unix:///nonexistent/pitstop-test-docker.sock"


@pytest.fixture
def env(isolated_state: Path) -> dict[str, str]:
    """The environment a developer's `git push` would have: no CI, no skip, no engine."""
    e = cli_env(isolated_state)
    for name in list(e):
        if name in ("CI", "PITSTOP_SKIP") or name.startswith(("PRE_COMMIT", "GIT_")):
            del e[name]
    e["DOCKER_HOST"] = NO_ENGINE
    e["GIT_AUTHOR_NAME"] = e["GIT_COMMITTER_NAME"] = "t"
    e["GIT_AUTHOR_EMAIL"] = e["GIT_COMMITTER_EMAIL"] = "t@example.com"
    return e


def real_engine(env: dict[str, str]) -> dict[str, str]:
    """``env`` with the test run's own Docker engine."""
    out = {k: v for k, v in env.items() if k != "DOCKER_HOST"}
    if os.environ.get("DOCKER_HOST"):
        out["DOCKER_HOST"] = os.environ["DOCKER_HOST"]
    return out


def cli(cwd: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*PITSTOP, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


def push(repo: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", "push", "origin", *args],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )


def remote_sha(remote: Path, branch: str) -> str | None:
    proc = subprocess.run(
        ["git", "rev-parse", "--verify", "--quiet", f"refs/heads/{branch}"],
        cwd=remote,
        capture_output=True,
        text=True,
    )
    return proc.stdout.strip() or None


def commit(repo: Path, message: str, files: dict[str, str] | None = None) -> str:
    for rel, text in (files or {}).items():
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_text(text)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--allow-empty", "-m", message)
    return git(repo, "rev-parse", "HEAD")


def builds() -> list:
    with Store.open_default() as store:
        return store.list_builds(limit=100)


def snapshot(folder: Path) -> dict[str, tuple[int, bytes]]:
    """Every entry under ``folder``: mode and bytes (a symlink's target)."""
    out = {}
    for path in sorted(folder.rglob("*")):
        st = path.lstat()
        if stat.S_ISLNK(st.st_mode):
            data = os.readlink(path).encode()
        elif stat.S_ISDIR(st.st_mode):
            data = b""
        else:
            data = path.read_bytes()
        out[str(path.relative_to(folder))] = (st.st_mode, data)
    return out


@pytest.fixture
def project(make_repo: Callable[..., Path], env: dict[str, str]) -> Callable[..., Path]:
    """A committed example with a bare ``origin`` next to it and the hook installed."""

    def make(example: str = "vite-npm", install: bool = True, **kw: object) -> Path:
        repo = make_repo(example, **kw)
        remote = repo.parent / "remote.git"
        subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
        git(repo, "remote", "add", "origin", str(remote))
        if install:
            proc = cli(repo, env, "hook", "install")
            assert proc.returncode == 0, proc.stderr
        return repo

    return make


# --------------------------------------------------------------------------- install


@pytest.mark.parametrize("existing", [None, "file", "symlink"])
@pytest.mark.parametrize("hooks_path", [None, "tools/hooks"])
def test_install_uninstall_round_trip(
    make_repo: Callable[..., Path],
    env: dict[str, str],
    existing: str | None,
    hooks_path: str | None,
) -> None:
    repo = make_repo(files={"README.md": "x"})
    hooks = repo / ".git" / "hooks"
    if hooks_path:
        git(repo, "config", "core.hooksPath", hooks_path)
        hooks = repo / hooks_path
        hooks.mkdir(parents=True)
        (hooks / "pre-commit").write_text("#!/bin/sh\nexit 0\n")
    if existing == "file":
        (hooks / "pre-push").write_text('#!/bin/sh\ngit lfs pre-push "$@"\n')
        (hooks / "pre-push").chmod(0o750)
    elif existing == "symlink":
        (hooks / "real-pre-push").write_text("#!/bin/sh\nexit 0\n")
        (hooks / "pre-push").symlink_to("real-pre-push")
    before = snapshot(hooks)

    proc = cli(repo, env, "hook", "install")
    assert proc.returncode == 0, proc.stderr
    script = hooks / "pre-push"
    assert "pitstop-managed" in script.read_text()
    assert os.access(script, os.X_OK)
    assert (
        (hooks / "pre-push.pitstop-chained").exists()
        or (hooks / "pre-push.pitstop-chained").is_symlink()
    ) == (existing is not None)
    installed = snapshot(hooks)
    assert cli(repo, env, "hook", "install").returncode == 0  # idempotent
    assert snapshot(hooks) == installed
    status = cli(repo, env, "hook", "status")
    assert f"installed: {script.resolve()}" in status.stdout
    assert ("chained:" in status.stdout) == (existing is not None)

    proc = cli(repo, env, "hook", "uninstall")
    assert proc.returncode == 0, proc.stderr
    assert snapshot(hooks) == before
    assert "not installed" in cli(repo, env, "hook", "uninstall").stdout
    assert snapshot(hooks) == before


def test_install_from_a_linked_worktree(make_repo: Callable[..., Path], env: dict) -> None:
    repo = make_repo(files={"README.md": "x"})
    wt = repo.parent / "wt"
    git(repo, "worktree", "add", "-q", "-b", "side", str(wt))
    assert cli(wt, env, "hook", "install").returncode == 0
    assert "pitstop-managed" in (repo / ".git" / "hooks" / "pre-push").read_text()


@pytest.mark.parametrize(
    ("files", "needle"),
    [
        ({".husky/pre-commit": "npm test\n"}, 'pitstop hook run "$@"'),
        ({"lefthook.yml": "pre-commit: {}\n"}, "use_stdin: true"),
    ],
)
def test_install_defers_to_hook_managers(
    make_repo: Callable[..., Path], env: dict, files: dict[str, str], needle: str
) -> None:
    repo = make_repo(files=files)
    before = snapshot(repo / ".git" / "hooks")
    proc = cli(repo, env, "hook", "install")
    assert proc.returncode == 2
    assert needle in proc.stderr
    assert snapshot(repo / ".git" / "hooks") == before
    assert cli(repo, env, "hook", "install", "--force").returncode == 0


# --------------------------------------------------------------------------- the run


def test_chained_hook_gets_argv_and_stdin_and_its_failure_blocks(
    make_repo: Callable[..., Path], env: dict, tmp_path: Path
) -> None:
    record = tmp_path / "chained.txt"
    fail = tmp_path / "fail"
    repo = make_repo("vite-npm")
    hook = repo / ".git" / "hooks" / "pre-push"
    hook.write_text(
        "#!/bin/sh\n"
        f'echo "args: $*" >> "{record}"\n'
        f'cat >> "{record}"\n'
        f'[ -e "{fail}" ] && {{ echo "chained hook says no" >&2; exit 3; }}\n'
        "exit 0\n"
    )
    hook.chmod(0o755)
    remote = repo.parent / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
    git(repo, "remote", "add", "origin", str(remote))
    assert cli(repo, env, "hook", "install").returncode == 0

    sha = commit(repo, "docs [skip ci]")
    proc = push(repo, env, "main")
    assert proc.returncode == 0, proc.stderr
    assert record.read_text() == (
        f"args: origin {remote}\nrefs/heads/main {sha} refs/heads/main {'0' * 40}\n"
    )
    assert "commit message has [skip ci]" in proc.stderr

    fail.touch()
    sha2 = commit(repo, "more [skip ci]")
    proc = push(repo, env, "main")
    assert proc.returncode != 0
    assert "chained hook says no" in proc.stderr
    assert "pitstop:" not in proc.stderr  # the build never started
    assert remote_sha(remote, "main") == sha
    assert f"refs/heads/main {sha2} refs/heads/main {sha}" in record.read_text()
    assert builds() == []


@pytest.mark.parametrize(
    "message", ["break [skip ci]", "[CF-Pages-Skip] break", "x\n\n[No CI]", "[ci-skip] y"]
)
def test_skip_tokens_let_a_broken_commit_through(
    project: Callable[..., Path], env: dict, message: str
) -> None:
    repo = project("npm-lockfile-out-of-sync")
    commit(repo, message)
    proc = push(repo, env, "main")
    assert proc.returncode == 0, proc.stderr
    assert "commit message has" in proc.stderr
    assert builds() == []


def test_a_start_only_token_in_the_middle_does_not_skip(
    project: Callable[..., Path], env: dict
) -> None:
    repo = project()
    sha = commit(repo, "readme [CF-Pages-Skip]")
    proc = push(repo, env, "main")
    assert proc.returncode == 0, proc.stderr  # fail open: no engine here
    assert "warning: cannot build here" in proc.stderr
    (build,) = builds()
    assert build.commit == sha and build.status == Status.ERRORED


def test_branch_patterns(project: Callable[..., Path], env: dict) -> None:
    repo = project()
    commit(
        repo,
        "config [skip ci]",
        {
            "pitstop.toml": '[hook]\nbranches = ["main", "feature/*"]\n'
            'exclude_branches = ["feature/wip-*"]\n'
        },
    )
    assert push(repo, env, "main").returncode == 0
    sha = commit(repo, "work")
    for branch in ("other", "feature/wip-1"):
        proc = push(repo, env, f"HEAD:refs/heads/{branch}")
        assert proc.returncode == 0, proc.stderr
        assert f"skip {sha[:12]} {branch}: branch {branch} matches" in proc.stderr
    assert builds() == []
    proc = push(repo, env, "HEAD:refs/heads/feature/login")
    assert proc.returncode == 0
    assert f"building {sha[:12]} (feature/login)" in proc.stderr
    assert [b.commit for b in builds()] == [sha]


def test_deletions_and_empty_pushes_build_nothing(project: Callable[..., Path], env: dict) -> None:
    repo = project()
    commit(repo, "x [skip ci]")
    assert push(repo, env, "main", "main:old").returncode == 0
    proc = push(repo, env, "--delete", "old")
    assert proc.returncode == 0, proc.stderr
    assert "pitstop: skip old: deletion" in proc.stderr
    proc = push(repo, env, "main")  # up to date: git still runs the hook with no lines
    assert proc.returncode == 0
    assert "pitstop: nothing pushed, nothing to build" in proc.stderr
    git(repo, "tag", "v1")
    proc = push(repo, env, "v1")
    assert proc.returncode == 0 and "refs/tags/v1: not a branch" in proc.stderr
    assert builds() == []


def test_no_verify_pitstop_skip_and_ci(project: Callable[..., Path], env: dict) -> None:
    repo = project("npm-lockfile-out-of-sync")
    commit(repo, "one")
    proc = push(repo, env, "--no-verify", "main")
    assert proc.returncode == 0 and "pitstop:" not in proc.stderr
    commit(repo, "two")
    proc = push(repo, {**env, "PITSTOP_SKIP": "1"}, "main")
    assert proc.returncode == 0 and "build skipped (PITSTOP_SKIP=1)" in proc.stderr
    commit(repo, "three")
    proc = push(repo, {**env, "CI": "true"}, "main")
    assert proc.returncode == 0 and "build skipped (CI=true is set)" in proc.stderr
    assert builds() == []


def test_no_engine_fails_open_or_closed(project: Callable[..., Path], env: dict) -> None:
    repo = project()
    remote = repo.parent / "remote.git"
    sha = commit(repo, "x")
    proc = push(repo, env, "main")
    assert proc.returncode == 0, proc.stderr
    assert "warning: cannot build here: no Docker engine answered" in proc.stderr
    assert "push let through" in proc.stderr
    commit(repo, "block when not ready", {"pitstop.toml": "[hook]\nfail_open = false\n"})
    proc = push(repo, env, "main")
    assert proc.returncode != 0
    assert "push blocked ([hook] fail_open = false)" in proc.stderr
    assert remote_sha(remote, "main") == sha


def test_already_built_skips_without_docker(project: Callable[..., Path], env: dict) -> None:
    repo = project()
    sha = git(repo, "rev-parse", "HEAD")
    with Store.open_default() as store:
        bid = store.create_build(source=str(repo), ref=sha, root=".")
        store.update_build(bid, commit=sha, status=Status.SUCCEEDED)
    t0 = time.monotonic()
    proc = push(repo, env, "main", "main:copy")
    elapsed = time.monotonic() - t0
    assert proc.returncode == 0, proc.stderr
    assert f"{sha[:12]} (main, copy): already built (#{bid})" in proc.stderr
    assert [b.id for b in builds()] == [bid]
    assert elapsed < 5


def test_roots_build_only_what_changed(project: Callable[..., Path], env: dict) -> None:
    repo = project(install=False, files={"README.md": "mono"})
    for app in ("apps/web", "apps/docs"):
        shutil.copytree(EXAMPLES / "vite-npm", repo / app)
    commit(repo, "apps", {"pitstop.toml": '[hook]\nroots = ["apps/web", "apps/docs"]\n'})
    assert push(repo, env, "main").returncode == 0  # no hook yet
    assert cli(repo, env, "hook", "install").returncode == 0
    sha = commit(repo, "docs only", {"apps/docs/index.html": "<p>changed</p>\n"})
    proc = push(repo, env, "main")
    assert proc.returncode == 0, proc.stderr
    assert f"skip {sha[:12]} main: no changes under apps/web" in proc.stderr
    assert f"building {sha[:12]} [apps/docs] (main)" in proc.stderr
    assert [(b.commit, b.root) for b in builds()] == [(sha, "apps/docs")]


# --------------------------------------------------------------------------- real builds


@pytest.mark.docker
@pytest.mark.slow
def test_push_accepted_when_the_commit_builds_despite_a_broken_worktree(
    project: Callable[..., Path], env: dict, build_image: str
) -> None:
    repo = project("vite-npm")
    remote = repo.parent / "remote.git"
    sha = git(repo, "rev-parse", "HEAD")
    broken = EXAMPLES / "npm-lockfile-out-of-sync" / "package.json"
    shutil.copy(broken, repo / "package.json")  # uncommitted: must not be built
    proc = push(repo, real_engine(env), "main")
    assert proc.returncode == 0, proc.stderr
    assert f"building {sha[:12]} (main)" in proc.stderr
    assert "built in" in proc.stderr
    assert remote_sha(remote, "main") == sha
    (build,) = builds()
    assert build.status == Status.SUCCEEDED and build.commit == sha and build.ref == sha

    proc = push(repo, {**env, "DOCKER_HOST": NO_ENGINE}, "main:copy")
    assert proc.returncode == 0
    assert f"already built (#{build.id})" in proc.stderr


@pytest.mark.docker
@pytest.mark.slow
def test_push_rejected_when_the_commit_fails_despite_a_fixed_worktree(
    project: Callable[..., Path], env: dict, build_image: str
) -> None:
    repo = project("npm-lockfile-out-of-sync")
    remote = repo.parent / "remote.git"
    sha = git(repo, "rev-parse", "HEAD")
    for name in ("package.json", "package-lock.json"):  # uncommitted fix: must not be built
        shutil.copy(EXAMPLES / "vite-npm" / name, repo / name)
    proc = push(repo, real_engine(env), "main")
    assert proc.returncode != 0
    assert f"{sha[:12]} (main): build failed in install" in proc.stderr
    assert "push blocked" in proc.stderr
    (build,) = builds()
    assert build.status == Status.FAILED and build.commit == sha
    assert f"pitstop view {build.id}" in proc.stderr
    assert build.diagnosis and f"why: {build.diagnosis['code']}" in proc.stderr
    assert remote_sha(remote, "main") is None

    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "fix the lockfile")
    proc = push(repo, real_engine(env), "main")
    assert proc.returncode == 0, proc.stderr
    assert remote_sha(remote, "main") == git(repo, "rev-parse", "HEAD")


def test_run_under_pre_commit_reads_its_variables(project: Callable[..., Path], env: dict) -> None:
    repo = project(install=False)
    sha = commit(repo, "docs [skip ci]")
    base = git(repo, "rev-parse", "HEAD~1")
    pre_commit = {
        **env,
        "PRE_COMMIT": "1",
        "PRE_COMMIT_FROM_REF": base,
        "PRE_COMMIT_TO_REF": sha,
        "PRE_COMMIT_LOCAL_BRANCH": "refs/heads/main",
        "PRE_COMMIT_REMOTE_BRANCH": "refs/heads/main",
    }
    proc = subprocess.run(
        [*PITSTOP, "hook", "run"],
        cwd=repo,
        env=pre_commit,
        input="",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert f"skip {sha[:12]} main: commit message has [skip ci]" in proc.stderr
