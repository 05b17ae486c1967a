"""Resolve what to build and check out exactly that: the only module that runs git.

``parse_source`` turns what the user typed into a :class:`SourceSpec` (a local repository, a
remote URL or a plain folder). ``checkout`` makes a clean directory holding exactly the asked-for
commit (or a snapshot of files) and returns a :class:`Checkout`. Remote repositories are kept as
bare mirrors under ``mirrors/`` so later builds fetch only what is new.

git never prompts here: inherited ``GIT_*`` variables are dropped, terminal and credential-manager
prompts are disabled, ssh runs in batch mode, stdin is closed and every call has a deadline.
"""

from __future__ import annotations

import contextlib
import difflib
import fcntl
import hashlib
import os
import re
import shutil
import signal
import stat
import subprocess
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

from runner.errors import SourceError, UsageError

OutputFn = Callable[[str], None]

#: Environment variables git uses that only say how to connect; everything else ``GIT_*`` is
#: dropped (a hook sets GIT_DIR, GIT_INDEX_FILE, GIT_WORK_TREE … for the repository it runs in).
_KEEP_GIT_VARS = frozenset(
    {
        "GIT_SSL_CAINFO",
        "GIT_SSL_CAPATH",
        "GIT_SSL_NO_VERIFY",
        "GIT_PROXY_COMMAND",
        "GIT_CONFIG_GLOBAL",
        "GIT_CONFIG_SYSTEM",
        "GIT_CONFIG_NOSYSTEM",
        "GIT_SSH_COMMAND",
    }
)

#: ``-c`` options given to every git call.
_GIT_CONFIG = (
    "-c",
    "transfer.credentialsInUrl=die",
    "-c",
    f"core.hooksPath={os.devnull}",
    "-c",
    "advice.detachedHead=false",
)

#: Folder snapshots never copy these directories: host installs, VCS data and build caches that a
#: clean build regenerates (and that would make it depend on the host).
SKIPPED_FOLDER_DIRS = frozenset(
    {
        "node_modules",
        ".git",
        ".hg",
        ".svn",
        ".venv",
        "__pycache__",
        ".next",
        ".nuxt",
        ".svelte-kit",
        ".parcel-cache",
        ".turbo",
        ".angular",
        ".pytest_cache",
        ".mypy_cache",
        ".ruff_cache",
    }
)

_URL_SCHEMES = ("https", "http", "ssh", "git", "file", "git+ssh", "ssh+git")
_SCHEME_RE = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
_SCP_RE = re.compile(
    r"^(?:(?P<user>[A-Za-z0-9._~-]+)@)?(?P<host>[A-Za-z0-9.-]{2,}):(?P<path>[^/].*)$"
)
_OWNER_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,37}[A-Za-z0-9])?$")
_REPO_RE = re.compile(r"^[A-Za-z0-9._-]{1,100}$")
_TOKEN_USER_RE = re.compile(r"^(?:gh[pousr]_|github_pat_|glpat-|x-access-token|x-oauth)", re.I)


# --------------------------------------------------------------------------- specs


@dataclass(frozen=True)
class SourceSpec:
    """What to build: a local ``repo``, a ``remote`` URL or a ``folder`` outside any repo."""

    kind: Literal["repo", "remote", "folder"]
    location: str
    subdir: str
    display: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "location": self.location,
            "subdir": self.subdir,
            "display": self.display,
        }


@dataclass(frozen=True)
class Checkout:
    """A clean directory pitstop owns, holding the source to build."""

    path: Path
    app_root: str
    commit: str | None
    ref: str | None
    snapshot: bool
    warnings: tuple[str, ...] = ()

    @property
    def app_dir(self) -> Path:
        """The app root on the host."""
        return self.path / self.app_root if self.app_root else self.path

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "app_root": self.app_root,
            "commit": self.commit,
            "ref": self.ref,
            "snapshot": self.snapshot,
            "warnings": list(self.warnings),
        }


# --------------------------------------------------------------------------- parsing


def parse_source(text: str, *, cwd: Path) -> SourceSpec:
    """Classify ``text`` (default ``.``) as a local repo, a folder or a remote URL.

    Raises :class:`UsageError` for paths that do not exist and URLs with embedded credentials.
    """
    raw = text.strip() or "."
    scheme = _SCHEME_RE.match(raw)
    if scheme:
        return _parse_url(raw, scheme.group(1).lower())

    path = Path(raw).expanduser()
    if not path.is_absolute():
        path = cwd / path
    if path.exists():
        return _parse_local(path, raw)

    scp = _SCP_RE.match(raw)
    if scp and "\\" not in raw:
        _refuse_token_user(scp.group("user"), raw)
        return SourceSpec(kind="remote", location=raw.rstrip("/"), subdir="", display=raw)

    shorthand = _github_shorthand(raw)
    if shorthand and not (cwd / shorthand[0]).is_dir():
        owner, repo = shorthand
        return SourceSpec(
            kind="remote",
            location=f"https://github.com/{owner}/{repo}.git",
            subdir="",
            display=f"{owner}/{repo}",
        )

    hint = "give a directory that exists, a git URL, or a GitHub repository as owner/repo"
    if shorthand:
        owner, repo = shorthand
        hint = (
            f"'{owner}' is a local directory, so '{raw}' was read as a path; for the GitHub "
            f"repository write https://github.com/{owner}/{repo}"
        )
    raise UsageError(f"no such directory: {raw}", hint)


def _github_shorthand(raw: str) -> tuple[str, str] | None:
    parts = raw.split("/")
    if len(parts) != 2:
        return None
    owner, repo = parts
    repo = repo.removesuffix(".git")
    if not _OWNER_RE.match(owner) or "--" in owner:
        return None
    if not _REPO_RE.match(repo) or repo in (".", ".."):
        return None
    return owner, repo


def _parse_url(raw: str, scheme: str) -> SourceSpec:
    if scheme not in _URL_SCHEMES:
        raise UsageError(
            f"unsupported URL scheme '{scheme}://' in {raw}",
            "use an https://, ssh://, git:// or file:// URL, or git@host:owner/repo",
        )
    parts = urlsplit(raw)
    if parts.password is not None or (
        scheme in ("http", "https") and parts.username and _TOKEN_USER_RE.match(parts.username)
    ):
        raise UsageError(
            f"refusing a URL with credentials in it: {redact_url(raw)}",
            "remove the token from the URL and let git find it: configure a credential helper "
            "(git config --global credential.helper ...) or use an SSH URL; tokens in URLs end "
            "up in .git/config, process lists and error messages",
        )
    if scheme == "file":
        if not parts.path or parts.netloc not in ("", "localhost"):
            raise UsageError(
                f"a file:// URL needs an absolute path: {raw}", "e.g. file:///srv/app.git"
            )
        location = urlunsplit(("file", "", parts.path.rstrip("/") or "/", "", ""))
    else:
        if not parts.hostname:
            raise UsageError(f"no host in URL: {raw}", "e.g. https://github.com/owner/repo.git")
        netloc = parts.netloc.rsplit("@", 1)
        host = netloc[-1].lower()
        netloc_norm = f"{netloc[0]}@{host}" if len(netloc) == 2 else host
        location = urlunsplit((scheme, netloc_norm, parts.path.rstrip("/"), parts.query, ""))
    return SourceSpec(kind="remote", location=location, subdir="", display=raw)


def _refuse_token_user(user: str | None, raw: str) -> None:
    if user and _TOKEN_USER_RE.match(user):
        raise UsageError(
            f"refusing a URL with credentials in it: {redact_url(raw)}",
            "use a credential helper or an SSH key instead of a token in the URL",
        )


def _parse_local(path: Path, raw: str) -> SourceSpec:
    if not path.is_dir():
        raise UsageError(f"not a directory: {raw}", "give the folder that holds the app")
    proc = _run_git(
        ["rev-parse", "--show-toplevel", "--show-prefix"], cwd=path, timeout=30.0, check=False
    )
    lines = proc.stdout.splitlines()
    if proc.returncode == 0 and lines:
        prefix = lines[1].rstrip("/") if len(lines) > 1 else ""
        return SourceSpec("repo", lines[0], prefix, raw)
    if "not a git repository" in proc.stderr:
        return SourceSpec("folder", str(path.resolve()), "", raw)
    if "must be run in a work tree" in proc.stderr:
        bare = _run_git(
            ["rev-parse", "--is-bare-repository", "--absolute-git-dir"],
            cwd=path,
            timeout=30.0,
            check=False,
        ).stdout.splitlines()
        if len(bare) == 2 and bare[0] == "true":
            return SourceSpec("remote", Path(bare[1]).as_uri(), "", raw)
        raise UsageError(
            f"{raw} is inside a .git directory", "give the repository's working folder instead"
        )
    raise SourceError(
        f"git could not read {raw}: {_git_words(proc.stderr)}", _hint_for(proc.stderr, raw)
    )


def redact_url(url: str) -> str:
    """``url`` with any user info replaced by ``***`` (safe to show and store)."""
    m = _SCHEME_RE.match(url)
    if m:
        parts = urlsplit(url)
        if "@" in parts.netloc:
            netloc = "***@" + parts.netloc.rsplit("@", 1)[1]
            return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
        return url
    scp = _SCP_RE.match(url)
    if scp and scp.group("user") and _TOKEN_USER_RE.match(scp.group("user")):
        return f"***@{scp.group('host')}:{scp.group('path')}"
    return url


# --------------------------------------------------------------------------- git plumbing


def git_env(base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment every git call gets: no inherited repository variables, no prompts."""
    env = {
        k: v
        for k, v in (os.environ if base is None else base).items()
        if not k.startswith("GIT_") or k in _KEEP_GIT_VARS
    }
    env["GIT_TERMINAL_PROMPT"] = "0"
    env["GCM_INTERACTIVE"] = "never"
    env["GIT_ASKPASS"] = ""
    env["SSH_ASKPASS"] = ""
    env["LC_ALL"] = "C"
    env["LANGUAGE"] = "C"
    ssh = env.get("GIT_SSH_COMMAND", "").strip()
    if ssh and Path(ssh.split()[0]).name == "ssh":
        if "batchmode" not in ssh.lower():
            env["GIT_SSH_COMMAND"] = f"{ssh} -oBatchMode=yes"
    else:
        env["GIT_SSH_COMMAND"] = "ssh -oBatchMode=yes"
    return env


@dataclass(frozen=True)
class _Result:
    returncode: int
    stdout: str
    stderr: str


class _Deadline:
    def __init__(self, seconds: float) -> None:
        self.total = seconds
        self.end = time.monotonic() + seconds

    def left(self) -> float:
        return max(0.05, self.end - time.monotonic())


def _run_git(
    args: Sequence[str],
    *,
    cwd: Path | None = None,
    timeout: float | _Deadline = 600.0,
    check: bool = True,
    on_output: OutputFn | None = None,
    what: str | None = None,
    display: str = "",
) -> _Result:
    """Run ``git args`` with the safe environment; stderr lines go to ``on_output`` as they come."""
    deadline = timeout if isinstance(timeout, _Deadline) else _Deadline(timeout)
    cmd = ["git", *_GIT_CONFIG, *args]
    label = what or f"git {args[0]}"
    try:
        proc = subprocess.Popen(
            cmd,
            cwd=cwd,
            env=git_env(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
    except FileNotFoundError as exc:
        raise SourceError("git is not installed (no 'git' on PATH)", "install git") from exc
    out_chunks: list[bytes] = []
    err_lines: deque[str] = deque(maxlen=2000)
    threads = [
        threading.Thread(target=_pump_stdout, args=(proc.stdout, out_chunks), daemon=True),
        threading.Thread(
            target=_pump_stderr, args=(proc.stderr, err_lines, on_output), daemon=True
        ),
    ]
    for t in threads:
        t.start()
    try:
        proc.wait(timeout=deadline.left())
    except BaseException as exc:
        # git runs in its own session (so a terminal's Ctrl-C reaches only us): stop it here.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        for t in threads:
            t.join(5)
        if not isinstance(exc, subprocess.TimeoutExpired):
            raise
        raise SourceError(
            f"{label} timed out after {deadline.total:g} s",
            "the repository may be very large or the host slow to answer; "
            "raise the clone timeout or try again",
        ) from None
    for t in threads:
        t.join()
    result = _Result(
        proc.returncode,
        b"".join(out_chunks).decode("utf-8", "replace"),
        "\n".join(err_lines),
    )
    if check and result.returncode != 0:
        raise SourceError(
            f"{label}{' of ' + display if display else ''} failed: {_git_words(result.stderr)}",
            _hint_for(result.stderr, display),
        )
    return result


def _pump_stdout(stream: Any, sink: list[bytes]) -> None:
    sink.append(stream.read())


def _pump_stderr(stream: Any, sink: deque[str], on_output: OutputFn | None) -> None:
    buf = b""
    while True:
        chunk = stream.read1(8192) if hasattr(stream, "read1") else stream.read(8192)
        if not chunk:
            break
        buf += chunk
        *done, buf = re.split(rb"[\r\n]", buf)
        for raw in done:
            _emit(raw, sink, on_output)
    if buf:
        _emit(buf, sink, on_output)


def _emit(raw: bytes, sink: deque[str], on_output: OutputFn | None) -> None:
    line = raw.decode("utf-8", "replace").rstrip()
    if not line:
        return
    sink.append(line)
    if on_output is not None:
        with contextlib.suppress(Exception):
            on_output(line)


def _git_words(stderr: str) -> str:
    """git's own explanation: its ``fatal:``/``error:`` (and ssh) lines, or its last line."""
    keep = [
        ln.strip()
        for ln in stderr.splitlines()
        if ln.strip().startswith(("fatal:", "error:", "ssh:", "remote: error", "ERROR:"))
    ]
    if not keep:
        lines = [ln.strip() for ln in stderr.splitlines() if ln.strip()]
        keep = lines[-1:]
    return "; ".join(keep) or "(no message)"


#: (needles, hint) — the first row whose needle occurs in git's stderr gives the hint.
_HINTS: tuple[tuple[tuple[str, ...], str], ...] = (
    (
        ("uses plaintext credentials",),
        "remove the credentials from the URL and configure a git credential helper instead",
    ),
    (
        (
            "could not read Username",
            "could not read Password",
            "terminal prompts disabled",
            "Authentication failed",
            "Permission denied (publickey",
            "Host key verification failed",
            "Invalid username or password",
        ),
        "the repository needs credentials and pitstop never prompts: configure a git credential "
        "helper (git config --global credential.helper ...), or use an SSH URL with a key loaded "
        "in ssh-agent and the host in known_hosts; check that a plain `git clone` works",
    ),
    (
        (
            "does not appear to be a git repository",
            "does not exist",
            "not found",
            "Repository not found",
        ),
        "check the URL or path for typos; a private repository often answers 'not found' "
        "when no credentials were sent",
    ),
    (
        (
            "Could not resolve host",
            "Failed to connect",
            "Couldn't connect",
            "Connection refused",
            "Connection timed out",
            "Network is unreachable",
            "No route to host",
            "Could not read from remote repository",
            "unable to access",
        ),
        "the host did not answer: check the network, VPN or proxy, and the host name",
    ),
    (
        ("dubious ownership",),
        "git refuses repositories owned by another user: run the `git config --global --add "
        "safe.directory ...` command git suggests, or build as the owner",
    ),
)


def _hint_for(stderr: str, display: str = "") -> str:
    for needles, hint in _HINTS:
        if any(n in stderr for n in needles):
            return hint
    return f"run the same git command on {display or 'the repository'} to see the full error"


# --------------------------------------------------------------------------- checkout


def checkout(
    spec: SourceSpec,
    dest: Path,
    *,
    mirrors: Path,
    ref: str | None = None,
    worktree: bool = False,
    timeout: float = 600.0,
    on_output: OutputFn | None = None,
) -> Checkout:
    """Put the source described by ``spec`` into ``dest`` (which must be absent or empty).

    Local repos and remotes give a clean checkout of exactly one commit (``ref``, default HEAD or
    the remote's default branch); ``worktree=True`` snapshots the working tree files instead;
    folders are copied. On failure whatever was created in ``dest`` is removed.
    """
    if ref is not None and (not ref.strip() or ref.startswith("-")):
        raise UsageError(f"not a valid ref: {ref!r}", "give a branch, tag or commit id")
    if worktree and spec.kind != "repo":
        raise UsageError(
            "--worktree needs a local git repository",
            "drop --worktree (folders are always copied as they are)"
            if spec.kind == "folder"
            else "drop --worktree, or run pitstop inside a clone of the repository",
        )
    existed = dest.exists()
    if existed and (not dest.is_dir() or any(dest.iterdir())):
        raise SourceError(
            f"checkout directory is not empty: {dest}", "remove it or choose another directory"
        )
    deadline = _Deadline(timeout)
    dest.mkdir(parents=True, exist_ok=True)
    try:
        if spec.kind == "folder":
            result = _copy_folder(spec, dest)
        elif spec.kind == "repo" and worktree:
            result = _snapshot_worktree(spec, dest, deadline)
        elif spec.kind == "repo":
            result = _checkout_local(spec, dest, mirrors, ref, deadline, on_output)
        else:
            result = _checkout_remote(spec, dest, mirrors, ref, deadline, on_output)
    except BaseException:
        _clear(dest, remove_root=not existed)
        raise
    return result


def _clear(dest: Path, *, remove_root: bool) -> None:
    if remove_root:
        shutil.rmtree(dest, ignore_errors=True)
        return
    for child in list(dest.iterdir()) if dest.is_dir() else []:
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                child.unlink()


def _checkout_local(
    spec: SourceSpec,
    dest: Path,
    mirrors: Path,
    ref: str | None,
    deadline: _Deadline,
    on_output: OutputFn | None,
) -> Checkout:
    repo = Path(spec.location)
    commit = _resolve(repo, ref or "HEAD", spec.display, deadline, local=True)
    warnings: list[str] = []
    head = _run_git(
        ["rev-parse", "--verify", "--quiet", "HEAD"], cwd=repo, timeout=deadline, check=False
    ).stdout.strip()
    if ref is None or commit == head:
        dirty = _dirty_count(repo, deadline, spec.subdir)
        if dirty:
            warnings.append(
                f"{dirty} uncommitted change(s) in {spec.display} are not built "
                f"(building commit {commit[:12]}); pass --worktree to include them"
            )
    shown_ref = ref
    if ref is None:
        branch = _run_git(
            ["symbolic-ref", "--quiet", "--short", "HEAD"], cwd=repo, timeout=deadline, check=False
        ).stdout.strip()
        shown_ref = branch or None
    _clone_shared(str(repo), dest, deadline, on_output, spec.display)
    _checkout_commit(dest, commit, deadline, on_output, spec.display, mirrors)
    _check_app_root(dest, spec.subdir, commit, worktree_hint=True)
    return Checkout(dest, spec.subdir, commit, shown_ref, False, tuple(warnings))


def _checkout_remote(
    spec: SourceSpec,
    dest: Path,
    mirrors: Path,
    ref: str | None,
    deadline: _Deadline,
    on_output: OutputFn | None,
) -> Checkout:
    mirror = update_mirror(spec, mirrors, deadline=deadline, on_output=on_output)
    shown_ref = ref
    if ref is None:
        branch = _run_git(
            ["symbolic-ref", "--quiet", "--short", "HEAD"],
            cwd=mirror,
            timeout=deadline,
            check=False,
        ).stdout.strip()
        has_head = _run_git(
            ["rev-parse", "--verify", "--quiet", "HEAD^{commit}"],
            cwd=mirror,
            timeout=deadline,
            check=False,
        )
        if has_head.returncode != 0:
            raise SourceError(
                f"{spec.display} has no commits on its default branch"
                + (f" '{branch}'" if branch else ""),
                "push a commit first, or name a branch or tag with --ref",
            )
        shown_ref = branch or None
    commit = _resolve(mirror, ref or "HEAD", spec.display, deadline, local=False)
    _clone_shared(str(mirror), dest, deadline, on_output, spec.display)
    _run_git(
        ["remote", "set-url", "origin", spec.location],
        cwd=dest,
        timeout=deadline,
        display=spec.display,
    )
    _checkout_commit(dest, commit, deadline, on_output, spec.display, mirrors)
    _check_app_root(dest, spec.subdir, commit, worktree_hint=False)
    return Checkout(dest, spec.subdir, commit, shown_ref, False, ())


def _clone_shared(
    source: str, dest: Path, deadline: _Deadline, on_output: OutputFn | None, display: str
) -> None:
    args = ["clone", "--shared", "--no-checkout"]
    if on_output is not None:
        args.append("--progress")
    _run_git(
        [*args, "--", source, str(dest)],
        timeout=deadline,
        on_output=on_output,
        what="git clone",
        display=display,
    )


def _checkout_commit(
    dest: Path,
    commit: str,
    deadline: _Deadline,
    on_output: OutputFn | None,
    display: str,
    mirrors: Path,
) -> None:
    _run_git(
        ["checkout", "--quiet", "--detach", commit],
        cwd=dest,
        timeout=deadline,
        on_output=on_output,
        what="git checkout",
        display=display,
    )
    _update_submodules(dest, mirrors, deadline, on_output, display)


def _update_submodules(
    repo: Path, mirrors: Path, deadline: _Deadline, on_output: OutputFn | None, display: str
) -> None:
    """Check out the submodules of ``repo``'s commit, recursively.

    A submodule on the network is fetched through a mirror like any remote (only new commits
    cross the network; with the network down the mirror's commits still build). Local paths
    and ``file://`` URLs keep git's own policy (``protocol.file.allow``), so a repository
    cannot make pitstop copy other repositories of this machine into a build.
    """
    if not (repo / ".gitmodules").is_file():
        return
    what = "git submodule update"
    _run_git(["submodule", "init"], cwd=repo, timeout=deadline, what=what, display=display)
    configured = _run_git(
        ["config", "--local", "--get-regexp", r"^submodule\..*\.url$"],
        cwd=repo,
        timeout=deadline,
        check=False,
    ).stdout
    progress = ["--progress"] if on_output is not None else []
    for line in configured.splitlines():
        key, _, url = line.partition(" ")
        name = key.removeprefix("submodule.").removesuffix(".url")
        path = _run_git(
            ["config", "-f", ".gitmodules", "--get", f"submodule.{name}.path"],
            cwd=repo,
            timeout=deadline,
            check=False,
        ).stdout.strip()
        if not path:
            continue
        allow: list[str] = []
        if _is_network_url(url):
            remote = SourceSpec("remote", url, "", redact_url(url))
            mirror = update_mirror(remote, mirrors, deadline=deadline, on_output=on_output)
            _run_git(["config", f"submodule.{name}.url", str(mirror)], cwd=repo, timeout=deadline)
            allow = ["-c", "protocol.file.allow=always"]  # our own mirror, nothing else
        _run_git(
            [*allow, "submodule", "update", *progress, "--", path],
            cwd=repo,
            timeout=deadline,
            on_output=on_output,
            what=what,
            display=display,
        )
        _update_submodules(repo / path, mirrors, deadline, on_output, display)


def _is_network_url(url: str) -> bool:
    scheme = _SCHEME_RE.match(url)
    if scheme:
        return scheme.group(1).lower() in _URL_SCHEMES and scheme.group(1).lower() != "file"
    return bool(_SCP_RE.match(url)) and not url.startswith(("/", "."))


def _check_app_root(dest: Path, subdir: str, commit: str, *, worktree_hint: bool) -> None:
    if subdir and not (dest / subdir).is_dir():
        hint = "check the path"
        if worktree_hint:
            hint = "commit it first, or pass --worktree to build the files as they are on disk"
        raise SourceError(f"{subdir} does not exist in commit {commit[:12]}", hint)


def _resolve(repo: Path, ref: str, display: str, deadline: _Deadline, *, local: bool) -> str:
    """The full commit id ``ref`` names in ``repo`` (branch, tag incl. annotated, or sha)."""
    proc = _run_git(
        ["rev-parse", "--verify", "--end-of-options", f"{ref}^{{commit}}"],
        cwd=repo,
        timeout=deadline,
        check=False,
    )
    if proc.returncode == 0:
        return proc.stdout.strip()
    if ref == "HEAD":
        raise SourceError(
            f"{display} has no commits yet (git: {_git_words(proc.stderr)})",
            "commit something first" + (", or pass --worktree to build the files" if local else ""),
        )
    near = _nearby_refs(repo, ref, deadline)
    hint = "give a branch, a tag or a commit id that exists"
    if near:
        hint += "; did you mean: " + ", ".join(near) + "?"
    if not local:
        hint += " (the mirror was just fetched, so the remote does not have it either)"
    raise SourceError(
        f"no branch, tag or commit named '{ref}' in {display} (git: {_git_words(proc.stderr)})",
        hint,
    )


def _nearby_refs(repo: Path, ref: str, deadline: _Deadline, limit: int = 5) -> list[str]:
    proc = _run_git(
        [
            "for-each-ref",
            "--count=2000",
            "--format=%(refname:short)",
            "refs/heads",
            "refs/tags",
            "refs/remotes",
        ],
        cwd=repo,
        timeout=deadline,
        check=False,
    )
    names = [n for n in proc.stdout.splitlines() if n and not n.endswith("/HEAD")]
    close = difflib.get_close_matches(ref, names, n=limit, cutoff=0.5)
    return close or names[:limit]


def _dirty_count(repo: Path, deadline: _Deadline, under: str = "") -> int:
    """Uncommitted changes in the repository, or only those under folder ``under``."""
    scope = ["--", f":(top){under}"] if under else []
    proc = _run_git(
        ["status", "--porcelain", "-z", "--untracked-files=normal", *scope],
        cwd=repo,
        timeout=deadline,
        check=False,
    )
    entries = [e for e in proc.stdout.split("\0") if e]
    # A rename entry ("R  new\0old") carries its source path as an extra field.
    count = 0
    skip = False
    for entry in entries:
        if skip:
            skip = False
            continue
        count += 1
        skip = entry[:1] in ("R", "C")
    return count


# --------------------------------------------------------------------------- mirrors


def mirror_path(location: str, mirrors: Path) -> Path:
    """Where the bare mirror for ``location`` lives (same repo, same path, however it was spelt)."""
    key = location.strip().rstrip("/").removesuffix(".git").rstrip("/")
    digest = hashlib.sha256(key.encode()).hexdigest()[:12]
    tail = [p for p in re.split(r"[/:]", re.sub(r"^[A-Za-z][A-Za-z0-9+.-]*:/*", "", key)) if p][-2:]
    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", "-".join(tail)).strip("-.")[:60] or "repo"
    return mirrors / f"{safe}-{digest}.git"


def update_mirror(
    spec: SourceSpec,
    mirrors: Path,
    *,
    deadline: _Deadline | float = 600.0,
    on_output: OutputFn | None = None,
) -> Path:
    """Create or refresh the bare mirror of a remote, under an exclusive lock; return its path."""
    dl = deadline if isinstance(deadline, _Deadline) else _Deadline(deadline)
    mirrors.mkdir(parents=True, exist_ok=True)
    final = mirror_path(spec.location, mirrors)
    progress = ["--progress"] if on_output is not None else []
    with _locked(final.with_suffix(".lock"), dl, spec.display):
        for stale in mirrors.glob(f".tmp-{final.name}-*"):
            shutil.rmtree(stale, ignore_errors=True)
        if final.exists() and not _is_git_dir(final, dl):
            shutil.rmtree(final, ignore_errors=True)
        if final.exists():
            try:
                _run_git(
                    ["fetch", "--prune", "--prune-tags", "--force", *progress, "origin"],
                    cwd=final,
                    timeout=dl,
                    on_output=on_output,
                    what="git fetch",
                    display=spec.display,
                )
            except SourceError as exc:
                # Offline, or the remote is down: build from what the mirror already has.
                if on_output is not None:
                    on_output(
                        f"pitstop: warning: could not update the mirror of {spec.display} "
                        f"({exc.message}); building from the commits fetched earlier"
                    )
                return final
            _follow_remote_head(final, dl, spec.display)
            return final
        tmp = Path(tempfile.mkdtemp(prefix=f".tmp-{final.name}-", dir=mirrors))
        try:
            _run_git(
                ["clone", "--mirror", *progress, "--", spec.location, str(tmp)],
                timeout=dl,
                on_output=on_output,
                what="git clone",
                display=spec.display,
            )
            os.rename(tmp, final)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    return final


def _follow_remote_head(mirror: Path, deadline: _Deadline, display: str) -> None:
    """Point a mirror's HEAD at the remote's default branch when its old one was pruned."""
    head = _run_git(
        ["rev-parse", "--verify", "--quiet", "HEAD^{commit}"],
        cwd=mirror,
        timeout=deadline,
        check=False,
    )
    if head.returncode == 0:
        return
    proc = _run_git(
        ["ls-remote", "--symref", "origin", "HEAD"],
        cwd=mirror,
        timeout=deadline,
        check=False,
        display=display,
    )
    for line in proc.stdout.splitlines():
        target, _, name = line.partition("\t")
        if name == "HEAD" and target.startswith("ref: refs/heads/"):
            _run_git(
                ["symbolic-ref", "HEAD", target[5:]], cwd=mirror, timeout=deadline, display=display
            )
            return


def _is_git_dir(path: Path, deadline: _Deadline) -> bool:
    proc = _run_git(["rev-parse", "--is-bare-repository"], cwd=path, timeout=deadline, check=False)
    return proc.returncode == 0 and proc.stdout.strip() == "true"


@contextlib.contextmanager
def _locked(lock_path: Path, deadline: _Deadline, display: str) -> Iterator[None]:
    with open(lock_path, "a+b") as fh:
        while True:
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline.end:
                    raise SourceError(
                        f"timed out after {deadline.total:g} s waiting for another build "
                        f"to finish updating the mirror of {display}",
                        f"wait for it to finish, or remove {lock_path} if no pitstop is running",
                    ) from None
                time.sleep(0.1)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


# --------------------------------------------------------------------------- snapshots


def _snapshot_worktree(spec: SourceSpec, dest: Path, deadline: _Deadline) -> Checkout:
    repo = Path(spec.location)
    proc = _run_git(
        ["ls-files", "-co", "--exclude-standard", "-z"],
        cwd=repo,
        timeout=deadline,
        display=spec.display,
    )
    names = sorted({n for n in proc.stdout.split("\0") if n})
    warnings: list[str] = []
    _copy_files(repo, dest, names, skip_dirs=frozenset({".git"}))
    head = (
        _run_git(
            ["rev-parse", "--verify", "--quiet", "HEAD^{commit}"],
            cwd=repo,
            timeout=deadline,
            check=False,
        ).stdout.strip()
        or None
    )
    if head is None:
        warnings.append(f"{spec.display} has no commits yet; building the files on disk")
    branch = (
        _run_git(
            ["symbolic-ref", "--quiet", "--short", "HEAD"], cwd=repo, timeout=deadline, check=False
        ).stdout.strip()
        or None
    )
    if spec.subdir and not (dest / spec.subdir).is_dir():
        raise SourceError(
            f"{spec.subdir} holds no files git would include (all ignored?)",
            "check .gitignore, or build the folder itself",
        )
    return Checkout(dest, spec.subdir, head, branch, True, tuple(warnings))


def _copy_folder(spec: SourceSpec, dest: Path) -> Checkout:
    root = Path(spec.location)
    skipped: set[str] = set()
    names: list[str] = []
    for dirpath, dirnames, filenames in os.walk(root):
        keep = []
        for d in dirnames:
            if d in SKIPPED_FOLDER_DIRS:
                skipped.add(d)
            else:
                keep.append(d)
        dirnames[:] = sorted(keep)
        rel = Path(dirpath).relative_to(root)
        names.extend((rel / f).as_posix() for f in filenames)
        # Symlinks to directories are not walked into; copy them as links.
        names.extend((rel / d).as_posix() for d in keep if (Path(dirpath) / d).is_symlink())
    _copy_files(root, dest, names, skip_dirs=frozenset())
    warnings = []
    if skipped:
        warnings.append("folder snapshot skipped " + ", ".join(sorted(skipped)))
    return Checkout(dest, "", None, None, True, tuple(warnings))


def _copy_files(src: Path, dest: Path, names: Iterable[str], *, skip_dirs: frozenset[str]) -> None:
    """Copy the listed entries (POSIX paths relative to ``src``): files, symlinks, gitlinks."""
    for name in names:
        rel = PurePosixPath(name)
        if any(part in skip_dirs for part in rel.parts) or ".." in rel.parts:
            continue
        source = src.joinpath(*rel.parts)
        target = dest.joinpath(*rel.parts)
        try:
            st = source.lstat()
        except FileNotFoundError:
            continue  # tracked but deleted on disk: the snapshot is what is on disk
        target.parent.mkdir(parents=True, exist_ok=True)
        if stat.S_ISLNK(st.st_mode):
            os.symlink(os.readlink(source), target)
        elif stat.S_ISREG(st.st_mode):
            shutil.copy2(source, target)
        elif stat.S_ISDIR(st.st_mode):
            # A submodule (gitlink) in a working tree: take its files, not its .git.
            shutil.copytree(
                source,
                target,
                symlinks=True,
                dirs_exist_ok=True,
                ignore=shutil.ignore_patterns(".git"),
            )


# --------------------------------------------------------------------------- push hook helpers


def hooks_dir(cwd: Path, *, timeout: float = 30.0) -> Path:
    """The hooks directory git uses for the repository at ``cwd`` (honours worktrees and
    ``core.hooksPath``)."""
    proc = _read_own_config(["rev-parse", "--git-path", "hooks"], cwd, timeout)
    if proc.returncode != 0:
        raise SourceError(
            f"git could not find the hooks directory of {cwd}: {_git_words(proc.stderr)}",
            "run this inside a git repository",
        )
    path = Path(proc.stdout.strip())
    return (path if path.is_absolute() else cwd / path).resolve()


def toplevel(cwd: Path, *, timeout: float = 30.0) -> Path | None:
    """The working tree root of the repository at ``cwd``; None outside a work tree."""
    proc = _run_git(["rev-parse", "--show-toplevel"], cwd=cwd, timeout=timeout, check=False)
    top = proc.stdout.strip()
    return Path(top) if proc.returncode == 0 and top else None


def config_value(cwd: Path, key: str, *, timeout: float = 30.0) -> str | None:
    """The user's own ``git config --get key`` in the repository at ``cwd``; None when unset."""
    proc = _read_own_config(["config", "--get", key], cwd, timeout)
    return proc.stdout.strip() if proc.returncode == 0 else None


def commit_id(repo: Path, rev: str, *, timeout: float | _Deadline = 30.0) -> str | None:
    """The commit ``rev`` names (annotated tags peeled); None when the object is not here."""
    if not rev or rev.startswith("-"):
        return None
    proc = _run_git(
        ["rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}"],
        cwd=repo,
        timeout=timeout,
        check=False,
    )
    if proc.returncode != 0:
        return None
    return proc.stdout.strip() or None


def commit_message(repo: Path, commit: str, *, timeout: float = 30.0) -> str:
    """The full message of ``commit`` (subject and body)."""
    proc = _run_git(
        ["show", "-s", "--format=%B", "--end-of-options", commit],
        cwd=repo,
        timeout=timeout,
        what="git show",
    )
    return proc.stdout


def changed_paths(repo: Path, base: str, head: str, *, timeout: float = 60.0) -> list[str] | None:
    """Paths that differ between commits ``base`` and ``head`` (``git diff --name-only``,
    renames as delete + add); None when either commit is not in the repository."""
    if commit_id(repo, base, timeout=timeout) is None:
        return None
    if commit_id(repo, head, timeout=timeout) is None:
        return None
    proc = _run_git(
        ["diff", "--name-only", "--no-renames", "-z", base, head, "--"],
        cwd=repo,
        timeout=timeout,
        check=False,
    )
    if proc.returncode != 0:
        return None
    return [p for p in proc.stdout.split("\0") if p]


def _read_own_config(args: Sequence[str], cwd: Path, timeout: float) -> _Result:
    """A read-only git query answered with the user's configuration: without the ``-c``
    overrides every other call gets (``core.hooksPath`` among them)."""
    try:
        proc = subprocess.run(
            ["git", *args],
            cwd=cwd,
            env=git_env(),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except FileNotFoundError as exc:
        raise SourceError("git is not installed (no 'git' on PATH)", "install git") from exc
    except subprocess.TimeoutExpired:
        raise SourceError(f"git {args[0]} timed out after {timeout:g} s") from None
    return _Result(
        proc.returncode,
        proc.stdout.decode("utf-8", "replace"),
        proc.stderr.decode("utf-8", "replace"),
    )


# --------------------------------------------------------------------------- git inside builds


def git_metadata(
    repo: Path,
    commit: str,
    dest: Path,
    *,
    ref: str | None,
    origin: str | None,
    timeout: float = 120.0,
) -> Path:
    """Make ``dest/.git``: a standalone, depth-1 repository holding ``commit`` alone, so a
    build's own ``git rev-parse HEAD``, ``git log -1`` or ``git describe --always`` work
    inside the container (as on hosted builders, which clone shallow).

    ``ref`` becomes the checked-out branch when ``repo`` knows it as one (else HEAD is
    detached; a tag is kept as a tag); ``origin`` (redacted) becomes the remote. The index
    matches ``commit``, so ``git status`` shows only what differs from it. Returns the .git.
    """
    deadline = _Deadline(timeout)
    git_dir = dest / ".git"
    _run_git(["init", "--quiet", "--template=", str(dest)], timeout=deadline, what="git init")
    fetch = ["fetch", "--quiet", "--depth", "1", "--no-tags", f"file://{repo.resolve()}", commit]
    usable = ref is not None and ref[:1] not in ("", "-")
    if usable and commit_id(repo, f"refs/tags/{ref}", timeout=deadline) is not None:
        fetch.append(f"+refs/tags/{ref}:refs/tags/{ref}")
    _run_git(fetch, cwd=dest, timeout=deadline, what="git fetch")
    branch = None
    if usable and commit in (
        commit_id(repo, f"refs/heads/{ref}", timeout=deadline),
        commit_id(repo, f"refs/remotes/origin/{ref}", timeout=deadline),
    ):
        branch = ref
    if branch:
        _run_git(["update-ref", f"refs/heads/{branch}", commit], cwd=dest, timeout=deadline)
        _run_git(["symbolic-ref", "HEAD", f"refs/heads/{branch}"], cwd=dest, timeout=deadline)
    else:
        _run_git(["update-ref", "--no-deref", "HEAD", commit], cwd=dest, timeout=deadline)
    if origin:
        _run_git(["remote", "add", "origin", redact_url(origin)], cwd=dest, timeout=deadline)
    _run_git(["read-tree", commit], cwd=dest, timeout=deadline, what="git read-tree")
    (git_dir / "FETCH_HEAD").unlink(missing_ok=True)
    return git_dir
