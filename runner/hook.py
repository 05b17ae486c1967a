"""The pre-push hook's decisions, as pure functions over data.

git gives a pre-push hook one line per ref on stdin: ``<local ref> <local sha> <remote ref>
<remote sha>``. :func:`parse_push` reads them, :func:`plan_push` decides which commits to
build (the tip each pushed branch will point to, once per commit and app root) and why the
others are skipped, and :class:`HookConfig` is the ``[hook]`` table of ``pitstop.toml``.

Rules, in order, for each pushed ref:

1. deletions (an all-zero local sha, 40 or 64 characters) are skipped;
2. only branches (``refs/heads/…``) are built; tags and other refs are skipped;
3. a branch builds when it matches one of ``branches`` (default ``*``) and none of
   ``exclude_branches``: an exclude always wins. Patterns are shell globs over the whole branch
   name, where ``*`` also matches ``/`` (``feature/*`` matches ``feature/a/b``);
4. a tip commit whose message carries a skip token (:func:`skip_token`) is skipped;
5. with ``roots`` configured, each root builds only when a file under it changed between the
   remote's old commit and the pushed one; when that cannot be known (a new branch, a remote
   commit not here, no changed files) every root builds.

Skipping the whole run (``PITSTOP_SKIP``, ``CI``) is :func:`env_skip_reason`.
"""

from __future__ import annotations

import fnmatch
import posixpath
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from runner.errors import UsageError

#: Tokens hosted build systems honour anywhere in a commit message (GitHub Actions).
SKIP_ANYWHERE = ("[skip ci]", "[ci skip]", "[no ci]", "[skip actions]", "[actions skip]")
#: Tokens honoured only at the start of a commit message (Cloudflare Pages).
SKIP_AT_START = ("[ci-skip]", "[skip-ci]", "[cf-pages-skip]")

DEFAULT_TIMEOUT = 20 * 60.0

_SHA_RE = re.compile(r"^(?:[0-9a-f]{40}|[0-9a-f]{64})$")
_FALSE = frozenset({"", "0", "false", "no", "off"})


# --------------------------------------------------------------------------- input


@dataclass(frozen=True)
class PushedRef:
    """One line of a pre-push hook's stdin."""

    local_ref: str
    local_sha: str
    remote_ref: str
    remote_sha: str

    @property
    def is_deletion(self) -> bool:
        return is_zero(self.local_sha)

    @property
    def is_new(self) -> bool:
        """The remote has no such ref yet."""
        return is_zero(self.remote_sha)

    @property
    def branch(self) -> str | None:
        """The branch being updated on the remote, or None for tags and other refs."""
        if self.remote_ref.startswith("refs/heads/"):
            return self.remote_ref.removeprefix("refs/heads/")
        return None


def is_zero(sha: str) -> bool:
    """True for git's all-zero object id (SHA-1 or SHA-256 length)."""
    return len(sha) in (40, 64) and set(sha) == {"0"}


def parse_push(text: str) -> list[PushedRef]:
    """The refs in a pre-push hook's stdin; blank lines are ignored.

    Raises :class:`UsageError` for a line that is not four fields with two object ids.
    """
    refs: list[PushedRef] = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        # rsplit: the local ref is free text when pushing an expression (``git push o HEAD~1:x``).
        parts = line.rstrip().rsplit(maxsplit=3)
        if len(parts) != 4 or not (_SHA_RE.match(parts[1]) and _SHA_RE.match(parts[3])):
            raise UsageError(
                f"pre-push input line {number} is not '<local ref> <local sha> <remote ref> "
                f"<remote sha>': {line[:200]!r}",
                "pitstop hook run reads what git gives a pre-push hook on stdin",
            )
        refs.append(PushedRef(*parts))
    return refs


def from_pre_commit_env(env: Mapping[str, str]) -> list[PushedRef]:
    """The one ref the pre-commit framework describes in ``PRE_COMMIT_*`` variables (it reads
    git's stdin itself and does not pass it on); empty when they are not set."""
    to_ref = env.get("PRE_COMMIT_TO_REF", "")
    if not _SHA_RE.match(to_ref):
        return []
    from_ref = env.get("PRE_COMMIT_FROM_REF", "")
    return [
        PushedRef(
            env.get("PRE_COMMIT_LOCAL_BRANCH", "") or to_ref,
            to_ref,
            env.get("PRE_COMMIT_REMOTE_BRANCH", "") or "refs/heads/HEAD",
            from_ref if _SHA_RE.match(from_ref) else "0" * len(to_ref),
        )
    ]


# --------------------------------------------------------------------------- rules


def skip_token(message: str) -> str | None:
    """The skip token in a commit message (as written), or None. Case-insensitive."""
    lowered = message.lower()
    for token in SKIP_ANYWHERE:
        at = lowered.find(token)
        if at >= 0:
            return message[at : at + len(token)]
    start = lowered.lstrip()
    offset = len(lowered) - len(start)
    for token in SKIP_AT_START:
        if start.startswith(token):
            return message[offset : offset + len(token)]
    return None


def branch_matches(branch: str, patterns: Sequence[str]) -> str | None:
    """The first pattern matching ``branch`` (case-sensitive shell glob), or None."""
    for pattern in patterns:
        if fnmatch.fnmatchcase(branch, pattern):
            return pattern
    return None


def branch_skip_reason(branch: str, include: Sequence[str], exclude: Sequence[str]) -> str | None:
    """Why ``branch`` is not built under the include/exclude patterns, or None to build it."""
    hit = branch_matches(branch, exclude)
    if hit is not None:
        return f"branch {branch} matches exclude_branches {hit!r}"
    if branch_matches(branch, include) is None:
        return f"branch {branch} matches none of branches {list(include)!r}"
    return None


def env_skip_reason(env: Mapping[str, str]) -> str | None:
    """Why the whole hook run is skipped (``PITSTOP_SKIP`` or ``CI`` set), or None."""
    skip = env.get("PITSTOP_SKIP")
    if skip is not None and skip.strip().lower() not in _FALSE:
        return f"PITSTOP_SKIP={skip}"
    ci = env.get("CI")
    if ci is not None and ci.strip().lower() not in _FALSE:
        return f"CI={ci} is set"
    return None


def roots_touched(roots: Sequence[str], changed: Sequence[str] | None) -> list[str]:
    """The ``roots`` with a changed file under them; all of them when ``changed`` is None or
    empty (unknown: build rather than miss a break). The root ``""`` covers every path."""
    if not changed:
        return list(roots)
    touched = []
    for root in roots:
        if not root or any(p == root or p.startswith(root + "/") for p in changed):
            touched.append(root)
    return touched


# --------------------------------------------------------------------------- config


@dataclass(frozen=True)
class HookConfig:
    """``[hook]`` in pitstop.toml."""

    branches: tuple[str, ...] = ("*",)
    exclude_branches: tuple[str, ...] = ()
    fail_open: bool = True
    timeout: float = DEFAULT_TIMEOUT
    roots: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "branches": list(self.branches),
            "exclude_branches": list(self.exclude_branches),
            "fail_open": self.fail_open,
            "timeout": self.timeout,
            "roots": list(self.roots),
        }

    @classmethod
    def from_toml(cls, data: Mapping[str, Any] | None) -> HookConfig:
        """The ``[hook]`` table of a parsed pitstop.toml (defaults when absent).

        Raises :class:`UsageError` naming the key for unknown keys and wrong types.
        """
        table = (data or {}).get("hook")
        if table is None:
            return cls()
        if not isinstance(table, Mapping):
            raise UsageError("pitstop.toml: [hook] must be a table", "write it as [hook]")
        known = {f for f in cls.__dataclass_fields__}
        for key in table:
            if key not in known:
                near = fnmatch.filter(sorted(known), f"*{key[:4]}*")
                raise UsageError(
                    f"pitstop.toml [hook] has an unknown key {key!r}",
                    f"known keys: {', '.join(sorted(known))}"
                    + (f" (did you mean {near[0]}?)" if near else ""),
                )
        values: dict[str, Any] = {}
        for key in ("branches", "exclude_branches", "roots"):
            if key in table:
                values[key] = _strings(key, table[key])
        if "roots" in values:
            values["roots"] = tuple(dict.fromkeys(_root(r) for r in values["roots"]))
        if "fail_open" in table:
            if not isinstance(table["fail_open"], bool):
                raise UsageError(
                    "pitstop.toml [hook] fail_open must be true or false",
                    "write fail_open = false to block pushes when the machine cannot build",
                )
            values["fail_open"] = table["fail_open"]
        if "timeout" in table:
            timeout = table["timeout"]
            if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0:
                raise UsageError(
                    f"pitstop.toml [hook] timeout must be a positive number of seconds, "
                    f"not {timeout!r}",
                    "e.g. timeout = 600",
                )
            values["timeout"] = float(timeout)
        return cls(**values)


def _strings(key: str, value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise UsageError(
            f"pitstop.toml [hook] {key} must be a list of non-empty strings",
            f'e.g. {key} = ["main", "release/*"]',
        )
    return tuple(v.strip() for v in value)


def _root(root: str) -> str:
    norm = posixpath.normpath(root.strip().strip("/")) if root.strip("/ ") else "."
    if norm == ".":
        return ""
    if norm.startswith("..") or posixpath.isabs(norm):
        raise UsageError(
            f"pitstop.toml [hook] roots: {root!r} is outside the repository",
            "give app folders relative to the repository root, e.g. apps/web",
        )
    return norm


# --------------------------------------------------------------------------- the plan


@dataclass(frozen=True)
class Target:
    """One build the hook runs: ``commit`` at app ``root`` (None = the repository's default)."""

    commit: str
    root: str | None
    refs: tuple[str, ...]

    @property
    def store_root(self) -> str:
        """How the store records this root."""
        return self.root or "."


@dataclass(frozen=True)
class Skipped:
    """A pushed ref (or root) that is not built, and why."""

    ref: str
    commit: str | None
    reason: str


@dataclass(frozen=True)
class PushPlan:
    targets: tuple[Target, ...] = ()
    skipped: tuple[Skipped, ...] = field(default_factory=tuple)


def plan_push(
    refs: Sequence[PushedRef],
    config: HookConfig,
    *,
    resolve: Callable[[str], str | None],
    message: Callable[[str], str],
    changed: Callable[[str, str], Sequence[str] | None],
) -> PushPlan:
    """Decide what to build for ``refs``. The callables read the repository: ``resolve(sha)``
    gives the commit a pushed object names (None if absent), ``message(commit)`` its message,
    ``changed(base, head)`` the paths that differ (None when unknown)."""
    targets: dict[tuple[str, str | None], list[str]] = {}
    skipped: list[Skipped] = []
    unchanged: dict[tuple[str, str], Skipped] = {}
    for ref in refs:
        name = ref.remote_ref
        if ref.is_deletion:
            skipped.append(Skipped(name, None, "deletion"))
            continue
        branch = ref.branch
        if branch is None:
            skipped.append(Skipped(name, ref.local_sha, "not a branch"))
            continue
        why = branch_skip_reason(branch, config.branches, config.exclude_branches)
        if why:
            skipped.append(Skipped(name, ref.local_sha, why))
            continue
        commit = resolve(ref.local_sha)
        if commit is None:
            skipped.append(Skipped(name, ref.local_sha, "the pushed object is not a commit"))
            continue
        token = skip_token(message(commit))
        if token:
            skipped.append(Skipped(name, commit, f"commit message has {token}"))
            continue
        if not config.roots:
            targets.setdefault((commit, None), []).append(name)
            continue
        diff = None if ref.is_new else changed(ref.remote_sha, commit)
        touched = roots_touched(config.roots, diff)
        for root in config.roots:
            if root in touched:
                targets.setdefault((commit, root), []).append(name)
            else:
                unchanged.setdefault(
                    (commit, root), Skipped(name, commit, f"no changes under {root or '.'}")
                )
    # A root unchanged for one ref but changed for another (same commit) is built.
    skipped.extend(s for key, s in unchanged.items() if key not in targets)
    return PushPlan(
        tuple(Target(c, r, tuple(dict.fromkeys(names))) for (c, r), names in targets.items()),
        tuple(skipped),
    )
