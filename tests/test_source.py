"""parse_source and the pure helpers of runner.source (git only for `rev-parse` on tmp repos)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from runner.errors import SourceError, UsageError
from runner.source import (
    Checkout,
    SourceSpec,
    _git_words,
    _hint_for,
    git_env,
    mirror_path,
    parse_source,
    redact_url,
)


@pytest.fixture(autouse=True)
def _home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PITSTOP_HOME", str(tmp_path / "pitstop-home"))


def _git(cwd: Path, *args: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    subprocess.run(
        ["git", "-c", "init.defaultBranch=main", *args],
        cwd=cwd,
        env=env,
        check=True,
        capture_output=True,
    )


@pytest.fixture
def layout(tmp_path: Path) -> Path:
    """tmp/repo (git, with examples/vite and a dir named like a GitHub owner) and tmp/plain."""
    repo = tmp_path / "repo"
    (repo / "examples" / "vite").mkdir(parents=True)
    (repo / "vercel" / "next.js").mkdir(parents=True)
    (repo / "package.json").write_text("{}")
    _git(repo, "init", "-q")
    (tmp_path / "plain" / "site").mkdir(parents=True)
    (tmp_path / "bare.git").mkdir()
    _git(tmp_path / "bare.git", "init", "-q", "--bare")
    return tmp_path


LOCAL_CASES = [
    # (text, cwd relative to layout, kind, location relative to layout, subdir)
    (".", "repo", "repo", "repo", ""),
    ("", "repo", "repo", "repo", ""),
    ("examples/vite", "repo", "repo", "repo", "examples/vite"),
    ("./examples/vite/", "repo", "repo", "repo", "examples/vite"),
    (".", "repo/examples/vite", "repo", "repo", "examples/vite"),
    ("..", "repo/examples/vite", "repo", "repo", "examples"),
    ("repo/examples", ".", "repo", "repo", "examples"),
    # an existing directory wins over the owner/repo shorthand of the same name
    ("vercel/next.js", "repo", "repo", "repo", "vercel/next.js"),
    ("plain", ".", "folder", "plain", ""),
    ("site", "plain", "folder", "plain/site", ""),
    ("bare.git", ".", "remote", None, ""),
    ("refs", "bare.git", "remote", None, ""),  # inside a bare repository: the repository
]


@pytest.mark.parametrize(("text", "cwd", "kind", "location", "subdir"), LOCAL_CASES)
def test_parse_local(
    layout: Path, text: str, cwd: str, kind: str, location: str | None, subdir: str
) -> None:
    spec = parse_source(text, cwd=layout / cwd)
    assert spec.kind == kind
    assert spec.subdir == subdir
    assert spec.display == (text.strip() or ".")
    if location is None:
        assert spec.location == (layout / "bare.git").resolve().as_uri()
    else:
        assert Path(spec.location) == (layout / location).resolve()


def test_parse_absolute_and_home_paths(layout: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = parse_source(str(layout / "repo" / "examples"), cwd=Path("/"))
    assert (spec.kind, spec.subdir) == ("repo", "examples")
    monkeypatch.setenv("HOME", str(layout))
    spec = parse_source("~/plain", cwd=Path("/"))
    assert (spec.kind, Path(spec.location)) == ("folder", (layout / "plain").resolve())


URL_CASES = [
    ("https://github.com/vercel/next.js.git", "https://github.com/vercel/next.js.git"),
    ("https://github.com/vercel/next.js/", "https://github.com/vercel/next.js"),
    ("HTTPS://GitHub.COM/Owner/Repo", "https://github.com/Owner/Repo"),
    ("http://127.0.0.1:8080/a/b.git", "http://127.0.0.1:8080/a/b.git"),
    ("ssh://git@gitlab.com:2222/group/sub/app.git", "ssh://git@gitlab.com:2222/group/sub/app.git"),
    ("git://example.org/app.git", "git://example.org/app.git"),
    ("file:///srv/git/app.git", "file:///srv/git/app.git"),
    ("file:///srv/git/app/", "file:///srv/git/app"),
    ("git@github.com:owner/repo.git", "git@github.com:owner/repo.git"),
    ("git@github.com:owner/repo", "git@github.com:owner/repo"),
    ("deploy@my-host.example:apps/site.git", "deploy@my-host.example:apps/site.git"),
    # a username alone is fine (Azure DevOps URLs carry one); the helper supplies the secret
    ("https://org@dev.azure.com/org/proj/_git/app", "https://org@dev.azure.com/org/proj/_git/app"),
    ("  https://github.com/a/b  ", "https://github.com/a/b"),
]


@pytest.mark.parametrize(("text", "location"), URL_CASES)
def test_parse_urls(tmp_path: Path, text: str, location: str) -> None:
    spec = parse_source(text, cwd=tmp_path)
    assert spec == SourceSpec("remote", location, "", text.strip())


SHORTHAND_CASES = [
    ("vercel/next.js", "https://github.com/vercel/next.js.git", "vercel/next.js"),
    ("withastro/astro.git", "https://github.com/withastro/astro.git", "withastro/astro"),
    ("a-b/c_d.e", "https://github.com/a-b/c_d.e.git", "a-b/c_d.e"),
    ("X1/Y", "https://github.com/X1/Y.git", "X1/Y"),
]


@pytest.mark.parametrize(("text", "location", "display"), SHORTHAND_CASES)
def test_parse_github_shorthand(tmp_path: Path, text: str, location: str, display: str) -> None:
    assert parse_source(text, cwd=tmp_path) == SourceSpec("remote", location, "", display)


BAD_CASES = [
    # (text, words the message must contain)
    ("does-not-exist", "does-not-exist"),
    ("./vercel/next.js", "./vercel/next.js"),  # explicit relative path, not shorthand
    ("-owner/repo", "-owner/repo"),
    ("owner-/repo", "owner-/repo"),
    ("a--b/repo", "a--b/repo"),
    ("owner/..", "owner/.."),
    ("a/b/c", "a/b/c"),
    ("ftp://example.org/x.git", "ftp://"),
    ("file://host/x", "file://"),
    ("https:///nohost", "no host"),
]


@pytest.mark.parametrize(("text", "words"), BAD_CASES)
def test_parse_bad_input(tmp_path: Path, text: str, words: str) -> None:
    with pytest.raises(UsageError) as info:
        parse_source(text, cwd=tmp_path)
    assert words in info.value.message
    assert info.value.hint


def test_missing_path_under_existing_dir_is_not_shorthand(tmp_path: Path) -> None:
    (tmp_path / "examples").mkdir()
    with pytest.raises(UsageError) as info:
        parse_source("examples/vitee", cwd=tmp_path)
    assert "examples/vitee" in info.value.message
    assert "https://github.com/examples/vitee" in (info.value.hint or "")


def test_file_not_directory(tmp_path: Path) -> None:
    (tmp_path / "package.json").write_text("{}")
    with pytest.raises(UsageError, match="not a directory"):
        parse_source("package.json", cwd=tmp_path)


def test_inside_dot_git_is_refused(layout: Path) -> None:
    with pytest.raises(UsageError, match=r"\.git"):
        parse_source(".git", cwd=layout / "repo")


CREDENTIAL_CASES = [
    "https://user:s3cr3tT0ken@github.com/o/r.git",
    "https://x-access-token:s3cr3tT0ken@github.com/o/r.git",
    "http://:s3cr3tT0ken@host.example/o/r.git",
    "https://ghp_s3cr3tT0ken@github.com/o/r.git",
    "https://github_pat_s3cr3tT0ken@github.com/o/r.git",
    "https://glpat-s3cr3tT0ken@gitlab.com/o/r.git",
    "ssh://git:s3cr3tT0ken@host.example/o/r.git",
    "ghp_s3cr3tT0ken@github.com:o/r.git",
]


@pytest.mark.parametrize("text", CREDENTIAL_CASES)
def test_credentials_refused_and_never_echoed(tmp_path: Path, text: str) -> None:
    with pytest.raises(UsageError) as info:
        parse_source(text, cwd=tmp_path)
    err = info.value
    assert "credentials" in err.message
    assert "credential helper" in (err.hint or "")
    assert "s3cr3tT0ken" not in err.message + (err.hint or "")
    assert "s3cr3tT0ken" not in str(err.to_dict())


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://u:p@h.example/x", "https://***@h.example/x"),
        ("https://h.example/x", "https://h.example/x"),
        ("ghp_abc@github.com:o/r", "***@github.com:o/r"),
        ("git@github.com:o/r", "git@github.com:o/r"),
    ],
)
def test_redact_url(url: str, shown: str) -> None:
    assert redact_url(url) == shown


def test_to_dict_round_trips_through_json() -> None:
    import json

    spec = SourceSpec("repo", "/src/app", "examples/vite", "examples/vite")
    assert json.loads(json.dumps(spec.to_dict())) == {
        "kind": "repo",
        "location": "/src/app",
        "subdir": "examples/vite",
        "display": "examples/vite",
    }
    co = Checkout(Path("/w/1"), "web", "a" * 40, "main", False, ("w1",))
    assert json.loads(json.dumps(co.to_dict()))["warnings"] == ["w1"]
    assert co.app_dir == Path("/w/1/web")
    assert Checkout(Path("/w/1"), "", None, None, True).app_dir == Path("/w/1")


# -- git's words and hints: stderr captured from git 2.39 for each situation ------------------

NONEXISTENT_FILE = """Cloning into bare repository 'm1.git'...
fatal: '/tmp/gx/nope' does not appear to be a git repository
fatal: Could not read from remote repository.

Please make sure you have the correct access rights
and the repository exists."""
NONEXISTENT_PATH = "fatal: repository '/tmp/gx/nope' does not exist"
HTTP_404 = """Cloning into bare repository 'm7.git'...
fatal: repository 'http://127.0.0.1:8765/x/a.git/' not found"""
HTTP_AUTH = """Cloning into bare repository 'm6.git'...
fatal: could not read Username for 'http://127.0.0.1:8765': terminal prompts disabled"""
DNS = (
    "Cloning into bare repository 'm4.git'...\n"
    "fatal: unable to access 'https://example.invalid/a/b.git/': "
    "Could not resolve host: example.invalid"
)
SSH_REFUSED = """Cloning into bare repository 'm5.git'...
ssh: connect to host 127.0.0.1 port 1: Connection refused
fatal: Could not read from remote repository.

Please make sure you have the correct access rights
and the repository exists."""
CRED_URL = """Cloning into bare repository 'm3.git'...
fatal: URL 'https://user:<redacted>@example.invalid/a/b.git' uses plaintext credentials"""


@pytest.mark.parametrize(
    ("stderr", "words", "hint_words"),
    [
        (NONEXISTENT_FILE, "does not appear to be a git repository", "typos"),
        (NONEXISTENT_PATH, "does not exist", "typos"),
        (HTTP_404, "not found", "typos"),
        (HTTP_AUTH, "could not read Username", "credential helper"),
        (DNS, "Could not resolve host", "network"),
        (SSH_REFUSED, "ssh: connect to host 127.0.0.1 port 1: Connection refused", "network"),
        (CRED_URL, "plaintext credentials", "credential helper"),
        ("weird output only", "weird output only", "run the same git command"),
    ],
)
def test_git_words_and_hints(stderr: str, words: str, hint_words: str) -> None:
    said = _git_words(stderr)
    assert words in said
    assert "Cloning into" not in said
    assert "Please make sure" not in said
    assert hint_words in _hint_for(stderr)


def test_git_env_strips_hook_variables_and_disables_prompts() -> None:
    env = git_env(
        {
            "PATH": "/bin",
            "GIT_DIR": "/elsewhere/.git",
            "GIT_INDEX_FILE": "/elsewhere/.git/index",
            "GIT_WORK_TREE": "/elsewhere",
            "GIT_TERMINAL_PROMPT": "1",
            "GIT_SSL_CAINFO": "/etc/ca.pem",
        }
    )
    assert "GIT_DIR" not in env and "GIT_INDEX_FILE" not in env and "GIT_WORK_TREE" not in env
    assert env["GIT_TERMINAL_PROMPT"] == "0"
    assert env["GCM_INTERACTIVE"] == "never"
    assert env["GIT_SSH_COMMAND"] == "ssh -oBatchMode=yes"
    assert env["GIT_SSL_CAINFO"] == "/etc/ca.pem"
    assert env["PATH"] == "/bin"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("ssh -i /k/id", "ssh -i /k/id -oBatchMode=yes"),
        ("/usr/bin/ssh -oBatchMode=yes", "/usr/bin/ssh -oBatchMode=yes"),
        ("plink -batch", "ssh -oBatchMode=yes"),
    ],
)
def test_git_env_keeps_a_users_ssh_command_in_batch_mode(given: str, expected: str) -> None:
    assert git_env({"GIT_SSH_COMMAND": given})["GIT_SSH_COMMAND"] == expected


def test_mirror_path_is_stable_per_repository(tmp_path: Path) -> None:
    a = mirror_path("https://github.com/vercel/next.js.git", tmp_path)
    assert a == mirror_path("https://github.com/vercel/next.js", tmp_path)
    assert a == mirror_path("https://github.com/vercel/next.js/", tmp_path)
    assert a != mirror_path("https://github.com/vercel/next.js-fork", tmp_path)
    assert a.parent == tmp_path and a.name.startswith("vercel-next.js-") and a.suffix == ".git"
    b = mirror_path("git@github.com:o/r.git", tmp_path)
    assert b.name.startswith("o-r-")
    assert mirror_path("file:///", tmp_path).name.startswith("repo-")


def test_source_error_is_a_clone_failure() -> None:
    assert SourceError("x", "y").to_dict()["exit_code"] == 1
