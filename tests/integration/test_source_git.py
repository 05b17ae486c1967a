"""runner.source against real git repositories in temp dirs (no network beyond 127.0.0.1)."""

from __future__ import annotations

import http.server
import os
import socket
import subprocess
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from runner.errors import SourceError, UsageError
from runner.source import checkout, mirror_path, parse_source, update_mirror


@pytest.fixture(autouse=True)
def _home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PITSTOP_HOME", str(tmp_path / "pitstop-home"))


def git(cwd: Path, *args: str) -> str:
    """Run git for test setup with a clean environment and a fixed identity."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env |= {
        "GIT_AUTHOR_NAME": "T",
        "GIT_AUTHOR_EMAIL": "t@example.org",
        "GIT_COMMITTER_NAME": "T",
        "GIT_COMMITTER_EMAIL": "t@example.org",
        "GIT_CONFIG_GLOBAL": os.environ.get("GIT_CONFIG_GLOBAL", os.devnull),
    }
    proc = subprocess.run(
        ["git", "-c", "init.defaultBranch=main", "-c", "protocol.file.allow=always", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return proc.stdout.strip()


def commit_files(repo: Path, files: dict[str, str], message: str) -> str:
    for name, text in files.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    r = tmp_path / "app"
    r.mkdir()
    git(r, "init", "-q")
    commit_files(
        r, {"package.json": '{"v": 1}', ".gitignore": "dist/\n", "web/index.html": "1"}, "one"
    )
    return r


@pytest.fixture
def mirrors(tmp_path: Path) -> Path:
    return tmp_path / "mirrors"


def read(path: Path) -> str:
    return path.read_text()


def test_clean_checkout_excludes_uncommitted_changes_and_warns(
    repo: Path, tmp_path: Path, mirrors: Path
) -> None:
    head = git(repo, "rev-parse", "HEAD")
    (repo / "package.json").write_text('{"v": "dirty"}')
    (repo / "new.txt").write_text("untracked")
    spec = parse_source(str(repo), cwd=tmp_path)
    lines: list[str] = []
    co = checkout(spec, tmp_path / "work", mirrors=mirrors, on_output=lines.append)
    assert co.commit == head
    assert co.ref == "main"
    assert not co.snapshot
    assert read(co.path / "package.json") == '{"v": 1}'
    assert not (co.path / "new.txt").exists()
    assert len(co.warnings) == 1
    assert "2 uncommitted" in co.warnings[0] and "--worktree" in co.warnings[0]
    # dest/.git is a valid repository on the host, at exactly that commit
    assert git(co.path, "rev-parse", "HEAD") == head
    assert git(co.path, "status", "--porcelain") == ""
    # the user's working tree is untouched
    assert read(repo / "package.json") == '{"v": "dirty"}'
    assert any("Cloning into" in ln for ln in lines)
    assert not mirrors.exists()  # local repos need no mirror


def test_clean_tree_has_no_warning(repo: Path, tmp_path: Path, mirrors: Path) -> None:
    co = checkout(parse_source(str(repo), cwd=tmp_path), tmp_path / "w", mirrors=mirrors)
    assert co.warnings == ()


def test_worktree_snapshot_includes_uncommitted_but_not_ignored(
    repo: Path, tmp_path: Path, mirrors: Path
) -> None:
    head = git(repo, "rev-parse", "HEAD")
    (repo / "package.json").write_text('{"v": "dirty"}')
    (repo / "src").mkdir()
    (repo / "src" / "new.js").write_text("x")
    (repo / "dist").mkdir()
    (repo / "dist" / "out.js").write_text("ignored")
    os.symlink("web/index.html", repo / "link.html")
    (repo / "web" / "index.html").unlink()  # tracked, deleted on disk
    (repo / "web" / "other.html").write_text("o")
    spec = parse_source(str(repo), cwd=tmp_path)
    co = checkout(spec, tmp_path / "w", mirrors=mirrors, worktree=True)
    assert co.snapshot and co.commit == head and co.ref == "main"
    assert read(co.path / "package.json") == '{"v": "dirty"}'
    assert read(co.path / "src" / "new.js") == "x"
    assert not (co.path / "dist").exists()
    assert not (co.path / "web" / "index.html").exists()
    assert (co.path / "link.html").is_symlink()
    assert not (co.path / ".git").exists()


@pytest.mark.parametrize("kind", ["branch", "tag", "annotated", "sha", "short-sha", "HEAD~1"])
def test_ref_kinds(repo: Path, tmp_path: Path, mirrors: Path, kind: str) -> None:
    first = git(repo, "rev-parse", "HEAD")
    git(repo, "branch", "feature")
    git(repo, "tag", "v1")
    git(repo, "tag", "-a", "v1-annotated", "-m", "release")
    second = commit_files(repo, {"package.json": '{"v": 2}'}, "two")
    ref = {
        "branch": "feature",
        "tag": "v1",
        "annotated": "v1-annotated",
        "sha": first,
        "short-sha": first[:8],
        "HEAD~1": "HEAD~1",
    }[kind]
    assert git(repo, "rev-parse", "v1-annotated") != first  # a tag object, not the commit
    co = checkout(parse_source(str(repo), cwd=tmp_path), tmp_path / "w", mirrors=mirrors, ref=ref)
    assert co.commit == first != second
    assert co.ref == ref
    assert read(co.path / "package.json") == '{"v": 1}'


def test_nonexistent_ref_names_it_and_suggests_nearby(
    repo: Path, tmp_path: Path, mirrors: Path
) -> None:
    git(repo, "branch", "feature/login")
    dest = tmp_path / "w"
    with pytest.raises(SourceError) as info:
        checkout(parse_source(str(repo), cwd=tmp_path), dest, mirrors=mirrors, ref="feature/logn")
    assert "'feature/logn'" in info.value.message
    assert "Needed a single revision" in info.value.message  # git's own words
    assert "feature/login" in (info.value.hint or "")
    assert not dest.exists()


@pytest.mark.parametrize("ref", ["--upload-pack=touch /tmp/x", "", " "])
def test_option_like_or_empty_ref_is_refused(
    repo: Path, tmp_path: Path, mirrors: Path, ref: str
) -> None:
    with pytest.raises(UsageError):
        checkout(parse_source(str(repo), cwd=tmp_path), tmp_path / "w", mirrors=mirrors, ref=ref)


def test_subdir_app_root(repo: Path, tmp_path: Path, mirrors: Path) -> None:
    spec = parse_source("web", cwd=repo)
    assert (spec.kind, spec.subdir) == ("repo", "web")
    co = checkout(spec, tmp_path / "w", mirrors=mirrors)
    assert co.app_root == "web"
    assert read(co.app_dir / "index.html") == "1"
    assert (co.path / "package.json").exists()  # the whole repository is checked out


def test_the_dirty_warning_counts_only_changes_under_the_app_root(
    repo: Path, tmp_path: Path, mirrors: Path
) -> None:
    (repo / "package.json").write_text('{"changed": true}')  # outside the app root "web"
    spec = parse_source("web", cwd=repo)
    assert checkout(spec, tmp_path / "w1", mirrors=mirrors).warnings == ()
    (repo / "web" / "index.html").write_text("edited")
    warnings = checkout(spec, tmp_path / "w2", mirrors=mirrors).warnings
    assert len(warnings) == 1 and warnings[0].startswith("1 uncommitted change(s) in web")


def test_uncommitted_subdir_says_to_commit_or_use_worktree(
    repo: Path, tmp_path: Path, mirrors: Path
) -> None:
    (repo / "fresh").mkdir()
    (repo / "fresh" / "a.txt").write_text("a")
    spec = parse_source("fresh", cwd=repo)
    dest = tmp_path / "w"
    with pytest.raises(SourceError) as info:
        checkout(spec, dest, mirrors=mirrors)
    assert "fresh does not exist in commit" in info.value.message
    assert "--worktree" in (info.value.hint or "")
    assert not dest.exists()
    co = checkout(spec, dest, mirrors=mirrors, worktree=True)
    assert read(co.app_dir / "a.txt") == "a"


def test_unborn_repo(tmp_path: Path, mirrors: Path) -> None:
    r = tmp_path / "empty"
    r.mkdir()
    git(r, "init", "-q")
    (r / "index.html").write_text("hi")
    spec = parse_source(str(r), cwd=tmp_path)
    with pytest.raises(SourceError, match="no commits yet"):
        checkout(spec, tmp_path / "w", mirrors=mirrors)
    co = checkout(spec, tmp_path / "w2", mirrors=mirrors, worktree=True)
    assert co.commit is None and read(co.path / "index.html") == "hi"
    assert co.warnings


def test_dest_must_be_empty_and_an_empty_dest_survives_failure(
    repo: Path, tmp_path: Path, mirrors: Path
) -> None:
    spec = parse_source(str(repo), cwd=tmp_path)
    full = tmp_path / "full"
    full.mkdir()
    (full / "x").write_text("keep")
    with pytest.raises(SourceError, match="not empty"):
        checkout(spec, full, mirrors=mirrors)
    assert read(full / "x") == "keep"
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(SourceError):
        checkout(spec, empty, mirrors=mirrors, ref="nope")
    assert empty.is_dir() and list(empty.iterdir()) == []
    assert checkout(spec, empty, mirrors=mirrors).commit


def test_git_dir_in_environment_does_not_leak(
    repo: Path, tmp_path: Path, mirrors: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = tmp_path / "other"
    other.mkdir()
    git(other, "init", "-q")
    other_head = commit_files(other, {"OTHER": "1"}, "other")
    # what a git hook running in `other` would have in its environment
    monkeypatch.setenv("GIT_DIR", str(other / ".git"))
    monkeypatch.setenv("GIT_WORK_TREE", str(other))
    monkeypatch.setenv("GIT_INDEX_FILE", str(other / ".git" / "index"))
    spec = parse_source(str(repo), cwd=tmp_path)
    assert spec.location == str(repo.resolve())
    co = checkout(spec, tmp_path / "w", mirrors=mirrors)
    assert co.commit != other_head
    assert (co.path / "package.json").exists() and not (co.path / "OTHER").exists()
    folder = tmp_path / "plain"
    folder.mkdir()
    assert parse_source(str(folder), cwd=tmp_path).kind == "folder"


def test_folder_snapshot(tmp_path: Path, mirrors: Path) -> None:
    site = tmp_path / "site"
    for name in [
        "index.html",
        "src/a.js",
        "node_modules/dep/index.js",
        ".next/cache/x",
        "sub/node_modules/y.js",
        "dist/keep.js",
    ]:
        (site / name).parent.mkdir(parents=True, exist_ok=True)
        (site / name).write_text(name)
    os.chmod(site / "src" / "a.js", 0o755)
    spec = parse_source("site", cwd=tmp_path)
    assert spec.kind == "folder"
    co = checkout(spec, tmp_path / "w", mirrors=mirrors)
    assert co.snapshot and co.commit is None and co.ref is None and co.app_root == ""
    assert read(co.path / "index.html") == "index.html"
    assert read(co.path / "dist" / "keep.js") == "dist/keep.js"
    assert os.stat(co.path / "src" / "a.js").st_mode & 0o111
    assert not (co.path / "node_modules").exists()
    assert not (co.path / "sub" / "node_modules").exists()
    assert not (co.path / ".next").exists()
    assert "node_modules" in co.warnings[0] and ".next" in co.warnings[0]


def test_worktree_needs_a_repo(tmp_path: Path, mirrors: Path) -> None:
    (tmp_path / "site").mkdir()
    with pytest.raises(UsageError, match="--worktree"):
        checkout(parse_source("site", cwd=tmp_path), tmp_path / "w", mirrors=mirrors, worktree=True)


# -- remotes ---------------------------------------------------------------------------------


def test_remote_mirror_is_reused_and_fetches_new_commits(
    repo: Path, tmp_path: Path, mirrors: Path
) -> None:
    spec = parse_source(repo.as_uri(), cwd=tmp_path)
    assert spec.kind == "remote"
    first = git(repo, "rev-parse", "HEAD")
    co1 = checkout(spec, tmp_path / "w1", mirrors=mirrors)
    assert co1.commit == first and co1.ref == "main"
    mirror = mirror_path(spec.location, mirrors)
    assert [p.name for p in mirrors.iterdir() if p.suffix == ".git"] == [mirror.name]
    marker = mirror / "pitstop-test-marker"
    marker.write_text("same dir")

    second = commit_files(repo, {"package.json": '{"v": 2}'}, "two")
    lines: list[str] = []
    co2 = checkout(spec, tmp_path / "w2", mirrors=mirrors, on_output=lines.append)
    assert co2.commit == second
    assert read(co2.path / "package.json") == '{"v": 2}'
    assert marker.exists()  # the mirror was fetched into, not re-cloned
    assert not any("Cloning into bare" in ln for ln in lines)
    assert [p.name for p in mirrors.iterdir() if p.suffix == ".git"] == [mirror.name]
    # origin points at the real remote, not the mirror
    assert git(co2.path, "remote", "get-url", "origin") == spec.location
    # the first checkout is still a valid repository at its commit
    assert git(co1.path, "rev-parse", "HEAD") == first


def test_remote_default_branch_and_refs(tmp_path: Path, mirrors: Path) -> None:
    r = tmp_path / "r"
    r.mkdir()
    git(r, "init", "-q", "-b", "trunk")
    one = commit_files(r, {"a": "1"}, "one")
    git(r, "tag", "-a", "v1", "-m", "v1")
    git(r, "checkout", "-q", "-b", "next")
    two = commit_files(r, {"a": "2"}, "two")
    git(r, "checkout", "-q", "trunk")
    spec = parse_source(r.as_uri(), cwd=tmp_path)
    co = checkout(spec, tmp_path / "w1", mirrors=mirrors)
    assert (co.commit, co.ref) == (one, "trunk")
    assert checkout(spec, tmp_path / "w2", mirrors=mirrors, ref="next").commit == two
    assert checkout(spec, tmp_path / "w3", mirrors=mirrors, ref="v1").commit == one
    with pytest.raises(SourceError) as info:
        checkout(spec, tmp_path / "w4", mirrors=mirrors, ref="nxt")
    assert "'nxt'" in info.value.message and "next" in (info.value.hint or "")


def test_deleted_remote_branch_is_pruned(tmp_path: Path, mirrors: Path, repo: Path) -> None:
    git(repo, "branch", "gone")
    spec = parse_source(repo.as_uri(), cwd=tmp_path)
    checkout(spec, tmp_path / "w1", mirrors=mirrors, ref="gone")
    git(repo, "branch", "-D", "gone")
    with pytest.raises(SourceError, match="'gone'"):
        checkout(spec, tmp_path / "w2", mirrors=mirrors, ref="gone")


def test_nonexistent_remote_leaves_no_half_mirror(tmp_path: Path, mirrors: Path) -> None:
    spec = parse_source((tmp_path / "missing").as_uri(), cwd=tmp_path)
    dest = tmp_path / "w"
    with pytest.raises(SourceError) as info:
        checkout(spec, dest, mirrors=mirrors)
    assert "does not appear to be a git repository" in info.value.message
    assert "typos" in (info.value.hint or "")
    assert not dest.exists()
    assert [p.name for p in mirrors.iterdir() if not p.name.endswith(".lock")] == []


def test_empty_remote(tmp_path: Path, mirrors: Path) -> None:
    bare = tmp_path / "empty.git"
    bare.mkdir()
    git(bare, "init", "-q", "--bare")
    spec = parse_source("empty.git", cwd=tmp_path)  # a bare repository path is a remote
    assert spec.kind == "remote"
    with pytest.raises(SourceError, match="no commits"):
        checkout(spec, tmp_path / "w", mirrors=mirrors)


def test_concurrent_mirror_updates_share_one_mirror(
    repo: Path, tmp_path: Path, mirrors: Path
) -> None:
    spec = parse_source(repo.as_uri(), cwd=tmp_path)
    errors: list[BaseException] = []

    def work(i: int) -> None:
        try:
            checkout(spec, tmp_path / f"w{i}", mirrors=mirrors)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert [p.suffix for p in mirrors.iterdir() if not p.name.endswith(".lock")] == [".git"]


def test_submodules_are_checked_out(
    tmp_path: Path, mirrors: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lib = tmp_path / "lib"
    lib.mkdir()
    git(lib, "init", "-q")
    commit_files(lib, {"lib.js": "lib"}, "lib")
    main = tmp_path / "main"
    main.mkdir()
    git(main, "init", "-q")
    git(main, "submodule", "add", "-q", str(lib), "vendor/lib")
    commit_files(main, {"a": "a"}, "with submodule")
    spec = parse_source(str(main), cwd=tmp_path)

    # git refuses local-path submodules unless configured (protocol.file.allow): an error
    config = tmp_path / "gitconfig"
    config.write_text("")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    with pytest.raises(SourceError) as info:
        checkout(spec, tmp_path / "w1", mirrors=mirrors)
    assert "submodule" in info.value.message
    assert not (tmp_path / "w1").exists()

    config.write_text('[protocol "file"]\n\tallow = always\n')
    co = checkout(spec, tmp_path / "w2", mirrors=mirrors)
    assert read(co.path / "vendor" / "lib" / "lib.js") == "lib"


@pytest.fixture
def git_http(tmp_path: Path) -> Iterator[tuple[str, Path, Callable[[], None]]]:
    """A dumb-HTTP git server on 127.0.0.1 over a folder of bare repos: (url, folder, stop)."""
    import functools

    served = tmp_path / "served"
    served.mkdir()

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    handler = functools.partial(Quiet, directory=str(served))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    stopped = []

    def stop() -> None:
        if not stopped:
            stopped.append(True)
            server.shutdown()
            server.server_close()

    yield f"http://127.0.0.1:{server.server_address[1]}", served, stop
    stop()


def test_network_submodules_go_through_a_mirror_and_build_offline(
    git_http, tmp_path: Path, mirrors: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, served, stop = git_http
    config = tmp_path / "gitconfig"
    config.write_text("")  # git's defaults: file:// submodules refused
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    theme = tmp_path / "theme"
    theme.mkdir()
    git(theme, "init", "-q")
    commit_files(theme, {"layout.html": "theme v1"}, "theme")
    bare = served / "theme.git"
    git(tmp_path, "clone", "-q", "--bare", str(theme), str(bare))
    git(bare, "update-server-info")
    site = tmp_path / "site"
    site.mkdir()
    git(site, "init", "-q")
    git(site, "submodule", "add", "-q", f"{url}/theme.git", "themes/theme")
    commit_files(site, {"index.md": "hi"}, "site with a theme")
    spec = parse_source(str(site), cwd=tmp_path)

    first = checkout(spec, tmp_path / "w1", mirrors=mirrors)
    assert read(first.path / "themes/theme/layout.html") == "theme v1"
    assert mirror_path(f"{url}/theme.git", mirrors).is_dir()

    stop()  # the network is gone: the mirror still has the submodule's commit
    seen: list[str] = []
    second = checkout(spec, tmp_path / "w2", mirrors=mirrors, on_output=seen.append)
    assert read(second.path / "themes/theme/layout.html") == "theme v1"
    assert any("could not update the mirror" in line for line in seen)


# -- network failures against 127.0.0.1 ------------------------------------------------------


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path.startswith("/hang"):
            threading.Event().wait(30)
            return
        self.send_response(401)
        self.send_header("WWW-Authenticate", 'Basic realm="git"')
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def http_server() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_auth_required_never_prompts(http_server: str, tmp_path: Path, mirrors: Path) -> None:
    spec = parse_source(f"{http_server}/private/app.git", cwd=tmp_path)
    with pytest.raises(SourceError) as info:
        checkout(spec, tmp_path / "w", mirrors=mirrors, timeout=30)
    assert "could not read Username" in info.value.message
    assert "credential helper" in (info.value.hint or "")


def test_clone_timeout(http_server: str, tmp_path: Path, mirrors: Path) -> None:
    spec = parse_source(f"{http_server}/hang/app.git", cwd=tmp_path)
    with pytest.raises(SourceError) as info:
        checkout(spec, tmp_path / "w", mirrors=mirrors, timeout=1.5)
    assert info.value.message == "git clone timed out after 1.5 s"
    assert [p.name for p in mirrors.iterdir() if not p.name.endswith(".lock")] == []


def test_unreachable_host(tmp_path: Path, mirrors: Path) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    spec = parse_source(f"http://127.0.0.1:{port}/a/b.git", cwd=tmp_path)
    with pytest.raises(SourceError) as info:
        checkout(spec, tmp_path / "w", mirrors=mirrors, timeout=30)
    assert "unable to access" in info.value.message
    assert "network" in (info.value.hint or "")


def test_update_mirror_directly(repo: Path, tmp_path: Path, mirrors: Path) -> None:
    spec = parse_source(repo.as_uri(), cwd=tmp_path)
    path = update_mirror(spec, mirrors)
    assert path == mirror_path(spec.location, mirrors)
    assert git(path, "rev-parse", "refs/heads/main") == git(repo, "rev-parse", "HEAD")
    assert update_mirror(spec, mirrors) == path


def test_remote_default_branch_renamed(repo: Path, tmp_path: Path, mirrors: Path) -> None:
    spec = parse_source(repo.as_uri(), cwd=tmp_path)
    assert checkout(spec, tmp_path / "w1", mirrors=mirrors).ref == "main"
    git(repo, "branch", "-m", "main", "trunk")
    new = commit_files(repo, {"package.json": '{"v": 3}'}, "three")
    co = checkout(spec, tmp_path / "w2", mirrors=mirrors)
    assert (co.ref, co.commit) == ("trunk", new)


def test_an_unreachable_remote_builds_from_the_mirror_with_a_warning(
    repo: Path, tmp_path: Path, mirrors: Path
) -> None:
    """Offline: the fetch fails, the commits fetched earlier still build."""
    spec = parse_source(repo.as_uri(), cwd=tmp_path)
    first = checkout(spec, tmp_path / "w1", mirrors=mirrors)
    moved = repo.with_name("moved-away")
    repo.rename(moved)
    lines: list[str] = []
    again = checkout(spec, tmp_path / "w2", mirrors=mirrors, on_output=lines.append)
    assert again.commit == first.commit
    assert any("could not update the mirror" in ln for ln in lines)
    with pytest.raises(SourceError, match="no-such"):
        checkout(spec, tmp_path / "w3", mirrors=mirrors, ref="no-such")


# --- .git for the build -----------------------------------------------------------------------


def _meta_repo(tmp_path: Path) -> tuple[Path, str, str]:
    repo = tmp_path / "meta-src"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    (repo / "a.txt").write_text("one\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "first")
    first = git(repo, "rev-parse", "HEAD")
    (repo / "a.txt").write_text("two\n")
    git(repo, "commit", "-q", "-am", "second subject")
    git(repo, "tag", "-a", "v2.0.0", "-m", "release")
    git(repo, "remote", "add", "origin", "https://x-access-token:ghp_secret@github.com/acme/a.git")
    return repo, first, git(repo, "rev-parse", "HEAD")


def test_git_metadata_is_one_commit_on_its_branch_with_a_redacted_origin(tmp_path: Path) -> None:
    from runner.source import git_metadata

    repo, _first, head = _meta_repo(tmp_path)
    dest = tmp_path / "meta"
    git_dir = git_metadata(
        repo, head, dest, ref="main", origin=git(repo, "remote", "get-url", "origin")
    )
    assert git_dir == dest / ".git"
    assert git(dest, "rev-parse", "HEAD") == head
    assert git(dest, "symbolic-ref", "--short", "HEAD") == "main"
    assert git(dest, "log", "-1", "--format=%s") == "second subject"
    assert git(dest, "rev-list", "--count", "HEAD") == "1"  # depth 1
    assert (git_dir / "shallow").is_file()
    assert git(dest, "remote", "get-url", "origin") == "https://***@github.com/acme/a.git"
    assert "ghp_secret" not in (git_dir / "config").read_text()
    # the index is the commit's tree: with the files in place, nothing differs
    (dest / "a.txt").write_text("two\n")
    assert git(dest, "status", "--porcelain") == ""
    assert not (git_dir / "hooks").exists() or not any((git_dir / "hooks").iterdir())


def test_git_metadata_of_an_older_commit_or_a_tag(tmp_path: Path) -> None:
    from runner.source import git_metadata

    repo, first, head = _meta_repo(tmp_path)
    old = git_metadata(repo, first, tmp_path / "old", ref=first, origin=None)
    assert git(old.parent, "rev-parse", "HEAD") == first
    assert git(old.parent, "rev-parse", "--abbrev-ref", "HEAD") == "HEAD"  # detached
    assert git(old.parent, "remote") == ""
    tagged = git_metadata(repo, head, tmp_path / "tag", ref="v2.0.0", origin=None)
    assert git(tagged.parent, "describe", "--tags") == "v2.0.0"
