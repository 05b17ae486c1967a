"""The pre-push hook's pure parts: input, skip rules, branch globs, roots, config, the plan."""

from __future__ import annotations

import subprocess
from pathlib import Path
from types import SimpleNamespace

import pytest

from cli.hook import (
    MARKER,
    CompactSink,
    already_built,
    hook_manager,
    hook_script,
    is_ours,
    manager_instructions,
    run,
    script_pitstop,
)
from runner import events as ev
from runner.errors import UsageError
from runner.hook import (
    HookConfig,
    PushedRef,
    Target,
    branch_skip_reason,
    env_skip_reason,
    from_pre_commit_env,
    is_zero,
    parse_push,
    plan_push,
    roots_touched,
    skip_token,
)
from runner.models import Status

A = "a" * 40
B = "b" * 40
C = "c" * 40
Z = "0" * 40
Z64 = "0" * 64
A64 = "a" * 64


# --------------------------------------------------------------------------- input


@pytest.mark.parametrize(
    ("sha", "zero"),
    [(Z, True), (Z64, True), (A, False), ("0" * 39, False), ("0" * 41, False), ("", False)],
)
def test_is_zero(sha: str, zero: bool) -> None:
    assert is_zero(sha) is zero


def test_parse_push_lines_blank_lines_and_sha256() -> None:
    text = (
        f"refs/heads/main {A} refs/heads/main {B}\n\n"
        f"(delete) {Z} refs/heads/old {C}\n"
        f"refs/heads/x {A64} refs/heads/x {Z64}\n"
    )
    refs = parse_push(text)
    assert refs == [
        PushedRef("refs/heads/main", A, "refs/heads/main", B),
        PushedRef("(delete)", Z, "refs/heads/old", C),
        PushedRef("refs/heads/x", A64, "refs/heads/x", Z64),
    ]
    assert [r.is_deletion for r in refs] == [False, True, False]
    assert [r.is_new for r in refs] == [False, False, True]
    assert refs[0].branch == "main"


def test_parse_push_expression_as_local_ref() -> None:
    # `git push origin "HEAD~1:refs/heads/x"` gives the expression as the local ref.
    (ref,) = parse_push(f"HEAD~1 {A} refs/heads/x {Z}\n")
    assert ref.local_ref == "HEAD~1" and ref.local_sha == A


@pytest.mark.parametrize("text", ["", "\n", "  \n\n"])
def test_parse_push_empty(text: str) -> None:
    assert parse_push(text) == []


@pytest.mark.parametrize(
    "line",
    [
        "garbage",
        f"refs/heads/main {A} refs/heads/main",
        f"refs/heads/main {A[:-1]} refs/heads/main {B}",
        f"refs/heads/main {A.upper()} refs/heads/main {B}",
    ],
)
def test_parse_push_rejects_malformed(line: str) -> None:
    with pytest.raises(UsageError, match="line 1"):
        parse_push(line + "\n")


@pytest.mark.parametrize(
    ("ref", "branch"),
    [
        ("refs/heads/main", "main"),
        ("refs/heads/feature/a", "feature/a"),
        ("refs/tags/v1", None),
        ("refs/notes/commits", None),
    ],
)
def test_branch_of_remote_ref(ref: str, branch: str | None) -> None:
    assert PushedRef("x", A, ref, Z).branch == branch


def test_from_pre_commit_env() -> None:
    env = {
        "PRE_COMMIT_TO_REF": A,
        "PRE_COMMIT_FROM_REF": B,
        "PRE_COMMIT_REMOTE_BRANCH": "refs/heads/dev",
        "PRE_COMMIT_LOCAL_BRANCH": "refs/heads/dev",
    }
    assert from_pre_commit_env(env) == [PushedRef("refs/heads/dev", A, "refs/heads/dev", B)]
    assert from_pre_commit_env({}) == []
    assert from_pre_commit_env({"PRE_COMMIT_TO_REF": "HEAD"}) == []
    (only_to,) = from_pre_commit_env({"PRE_COMMIT_TO_REF": A})
    assert only_to.is_new and only_to.branch == "HEAD"


# --------------------------------------------------------------------------- skip rules


@pytest.mark.parametrize(
    ("message", "token"),
    [
        ("fix: thing [skip ci]", "[skip ci]"),
        ("[SKIP CI] docs", "[SKIP CI]"),
        ("docs\n\nbody [Ci Skip] here", "[Ci Skip]"),
        ("wip [no ci]", "[no ci]"),
        ("x [skip actions]", "[skip actions]"),
        ("x [Actions Skip]", "[Actions Skip]"),
        ("[CI-Skip] readme", "[CI-Skip]"),
        ("[skip-ci] readme", "[skip-ci]"),
        ("  [CF-Pages-Skip] readme", "[CF-Pages-Skip]"),
        ("[cf-pages-skip]", "[cf-pages-skip]"),
        # start-only tokens do not count in the middle
        ("readme [CI-Skip]", None),
        ("readme\n[skip-ci]", None),
        ("readme [CF-Pages-Skip]", None),
        # near misses
        ("skip ci", None),
        ("[skipci]", None),
        ("[skip  ci]", None),
        ("(skip ci)", None),
        ("", None),
    ],
)
def test_skip_token(message: str, token: str | None) -> None:
    assert skip_token(message) == token


@pytest.mark.parametrize(
    ("branch", "include", "exclude", "built"),
    [
        ("main", ("*",), (), True),
        ("feature/a/b", ("*",), (), True),
        ("main", ("main",), (), True),
        ("dev", ("main",), (), False),
        ("feature/login", ("main", "feature/*"), (), True),
        ("feature/a/b", ("feature/*",), (), True),  # * crosses /
        ("featurex", ("feature/*",), (), False),
        ("Main", ("main",), (), False),  # case-sensitive, like git refs
        ("wip/x", ("*",), ("wip/*",), False),
        ("main", ("*",), ("wip/*",), True),
        ("main", ("main",), ("main",), False),  # exclude wins
        ("release-1", ("release-?",), (), True),
        ("dependabot/npm/x", ("*",), ("dependabot/*", "renovate/*"), False),
        ("main", (), (), False),
    ],
)
def test_branch_rules(
    branch: str, include: tuple[str, ...], exclude: tuple[str, ...], built: bool
) -> None:
    reason = branch_skip_reason(branch, include, exclude)
    assert (reason is None) is built
    if not built:
        assert branch in reason


@pytest.mark.parametrize(
    ("env", "skipped"),
    [
        ({}, False),
        ({"PITSTOP_SKIP": "1"}, True),
        ({"PITSTOP_SKIP": "yes"}, True),
        ({"PITSTOP_SKIP": "0"}, False),
        ({"PITSTOP_SKIP": ""}, False),
        ({"PITSTOP_SKIP": "false"}, False),
        ({"CI": "true"}, True),
        ({"CI": "1"}, True),
        ({"CI": "woodpecker"}, True),
        ({"CI": ""}, False),
        ({"CI": "false"}, False),
        ({"PRE_COMMIT": "1"}, False),
    ],
)
def test_env_skip(env: dict[str, str], skipped: bool) -> None:
    assert (env_skip_reason(env) is not None) is skipped


@pytest.mark.parametrize(
    ("changed", "touched"),
    [
        (["apps/web/src/a.ts"], ["apps/web"]),
        (["apps/docs/x.md", "apps/web/package.json"], ["apps/web", "apps/docs"]),
        (["apps/webby/x"], []),  # a prefix of the name is not "under"
        (["apps/web"], ["apps/web"]),  # the root itself (e.g. a submodule)
        (["README.md"], []),
        ([], ["apps/web", "apps/docs"]),  # nothing changed: build regardless
        (None, ["apps/web", "apps/docs"]),  # unknown: build all
    ],
)
def test_roots_touched(changed: list[str] | None, touched: list[str]) -> None:
    assert roots_touched(["apps/web", "apps/docs"], changed) == touched


def test_root_everything() -> None:
    assert roots_touched(["", "apps/web"], ["README.md"]) == [""]


# --------------------------------------------------------------------------- config


def test_config_defaults() -> None:
    for data in (None, {}, {"build": {"root": "x"}}, {"hook": {}}):
        assert HookConfig.from_toml(data) == HookConfig()
    assert HookConfig().fail_open is True and HookConfig().branches == ("*",)


def test_config_values() -> None:
    cfg = HookConfig.from_toml(
        {
            "hook": {
                "branches": ["main", "release/*"],
                "exclude_branches": "wip/*",
                "fail_open": False,
                "timeout": 90,
                "roots": ["apps/web/", "./apps/docs", "apps/web", "."],
            }
        }
    )
    assert cfg.branches == ("main", "release/*")
    assert cfg.exclude_branches == ("wip/*",)
    assert cfg.fail_open is False
    assert cfg.timeout == 90.0
    assert cfg.roots == ("apps/web", "apps/docs", "")
    assert cfg.to_dict()["roots"] == ["apps/web", "apps/docs", ""]


@pytest.mark.parametrize(
    ("table", "needle"),
    [
        ({"branch": ["main"]}, "unknown key 'branch'"),
        ({"branches": "  "}, "branches must be a list"),
        ({"branches": [1]}, "branches must be a list"),
        ({"fail_open": "no"}, "fail_open must be true or false"),
        ({"timeout": 0}, "timeout must be a positive"),
        ({"timeout": True}, "timeout must be a positive"),
        ({"timeout": "10"}, "timeout must be a positive"),
        ({"roots": ["../other"]}, "outside the repository"),
        ({"roots": ["/abs/../.."]}, "outside the repository"),
    ],
)
def test_config_errors(table: dict, needle: str) -> None:
    with pytest.raises(UsageError, match=needle.replace("(", r"\(")):
        HookConfig.from_toml({"hook": table})


def test_config_not_a_table() -> None:
    with pytest.raises(UsageError, match="must be a table"):
        HookConfig.from_toml({"hook": ["x"]})


# --------------------------------------------------------------------------- the plan


def _plan(refs: list[PushedRef], config: HookConfig = HookConfig(), **over: object):
    messages = over.pop("messages", {})
    changed = over.pop("changed", {})
    resolve = over.pop("resolve", {})
    return plan_push(
        refs,
        config,
        resolve=lambda sha: resolve.get(sha, sha),
        message=lambda commit: messages.get(commit, "a change"),
        changed=lambda base, head: changed.get((base, head)),
    )


def test_plan_builds_each_tip_once() -> None:
    plan = _plan(
        [
            PushedRef("refs/heads/main", A, "refs/heads/main", B),
            PushedRef("refs/heads/main", A, "refs/heads/copy", Z),
            PushedRef("refs/heads/dev", C, "refs/heads/dev", Z),
        ]
    )
    assert plan.targets == (
        Target(A, None, ("refs/heads/main", "refs/heads/copy")),
        Target(C, None, ("refs/heads/dev",)),
    )
    assert plan.skipped == ()


def test_plan_skips_deletions_tags_patterns_tokens_and_non_commits() -> None:
    cfg = HookConfig(exclude_branches=("wip/*",))
    plan = _plan(
        [
            PushedRef("(delete)", Z, "refs/heads/gone", A),
            PushedRef("(delete)", Z64, "refs/heads/gone64", A64),
            PushedRef("refs/tags/v1", A, "refs/tags/v1", Z),
            PushedRef("refs/heads/wip/x", A, "refs/heads/wip/x", Z),
            PushedRef("refs/heads/docs", B, "refs/heads/docs", Z),
            PushedRef("refs/heads/odd", C, "refs/heads/odd", Z),
        ],
        cfg,
        messages={B: "docs [skip ci]"},
        resolve={C: None},
    )
    assert plan.targets == ()
    reasons = {s.ref: s.reason for s in plan.skipped}
    assert reasons == {
        "refs/heads/gone": "deletion",
        "refs/heads/gone64": "deletion",
        "refs/tags/v1": "not a branch",
        "refs/heads/wip/x": "branch wip/x matches exclude_branches 'wip/*'",
        "refs/heads/docs": "commit message has [skip ci]",
        "refs/heads/odd": "the pushed object is not a commit",
    }


def test_plan_resolves_the_pushed_object() -> None:
    plan = _plan([PushedRef("refs/heads/m", A, "refs/heads/m", Z)], resolve={A: C})
    assert plan.targets == (Target(C, None, ("refs/heads/m",)),)


def test_plan_roots_follow_changed_files() -> None:
    cfg = HookConfig(roots=("apps/web", "apps/docs"))
    plan = _plan(
        [PushedRef("refs/heads/main", A, "refs/heads/main", B)],
        cfg,
        changed={(B, A): ["apps/docs/index.md"]},
    )
    assert plan.targets == (Target(A, "apps/docs", ("refs/heads/main",)),)
    assert [(s.commit, s.reason) for s in plan.skipped] == [(A, "no changes under apps/web")]
    assert plan.targets[0].store_root == "apps/docs"


def test_plan_roots_new_branch_builds_all() -> None:
    cfg = HookConfig(roots=("apps/web", "apps/docs"))
    plan = _plan([PushedRef("refs/heads/new", A, "refs/heads/new", Z)], cfg)
    assert [t.root for t in plan.targets] == ["apps/web", "apps/docs"]


def test_plan_roots_union_over_refs_of_one_commit() -> None:
    cfg = HookConfig(roots=("apps/web", "apps/docs"))
    plan = _plan(
        [
            PushedRef("refs/heads/main", A, "refs/heads/main", B),
            PushedRef("refs/heads/main", A, "refs/heads/other", C),
        ],
        cfg,
        changed={(B, A): ["apps/web/x"], (C, A): ["apps/docs/y"]},
    )
    assert [(t.root, t.refs) for t in plan.targets] == [
        ("apps/web", ("refs/heads/main",)),
        ("apps/docs", ("refs/heads/other",)),
    ]
    assert plan.skipped == ()


def test_store_root() -> None:
    assert Target(A, None, ()).store_root == "."
    assert Target(A, "", ()).store_root == "."
    assert Target(A, "apps/x", ()).store_root == "apps/x"


# --------------------------------------------------------------------------- script


def test_script_is_valid_sh_and_quotes_the_path(tmp_path: Path) -> None:
    text = hook_script("/opt/it's here/bin/pitstop")
    assert text.startswith("#!/bin/sh\n") and MARKER in text
    script = tmp_path / "pre-push"
    script.write_text(text)
    subprocess.run(["sh", "-n", str(script)], check=True)
    assert script_pitstop(script) == "/opt/it's here/bin/pitstop"
    assert is_ours(script)


def test_is_ours(tmp_path: Path) -> None:
    other = tmp_path / "other"
    other.write_text('#!/bin/sh\ngit lfs pre-push "$@"\n')
    link = tmp_path / "link"
    link.symlink_to(other)
    assert not is_ours(other)
    assert not is_ours(link)
    assert not is_ours(tmp_path / "missing")


def test_hook_manager(tmp_path: Path) -> None:
    assert hook_manager(tmp_path, None) is None
    assert hook_manager(tmp_path, ".husky/_") == "husky"
    assert hook_manager(None, None) is None
    (tmp_path / "lefthook.yml").write_text("pre-push: {}\n")
    assert hook_manager(tmp_path, None) == "lefthook"
    (tmp_path / ".husky").mkdir()
    assert hook_manager(tmp_path, None) == "husky"
    assert "pitstop hook run" in manager_instructions("husky")
    assert "use_stdin: true" in manager_instructions("lefthook")


# --------------------------------------------------------------------------- the run


class FakeStore:
    def __init__(self, records: list[SimpleNamespace]) -> None:
        self.records = records
        self.asked: list[Status] = []

    def list_builds(self, *, limit: int, status: Status) -> list[SimpleNamespace]:
        self.asked.append(status)
        return [r for r in self.records if r.status == status][:limit]


def _rec(id_: int, commit: str, root: str = ".", ref: str | None = None, status=Status.SUCCEEDED):
    return SimpleNamespace(id=id_, commit=commit, root=root, ref=ref, status=status)


def test_already_built() -> None:
    store = FakeStore(
        [
            _rec(9, A, ref=None),  # a --worktree snapshot records HEAD but no ref: not trusted
            _rec(8, A, ref=A, status=Status.FAILED),
            _rec(7, A, root="apps/web", ref=A),
            _rec(5, A, ref="main"),
            _rec(3, A, ref=A),
        ]
    )
    assert already_built(store, Target(A, None, ())) == 5
    assert already_built(store, Target(A, "apps/web", ())) == 7
    assert already_built(store, Target(B, None, ())) is None
    assert store.asked == [Status.SUCCEEDED] * 3


class _Console:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.is_terminal = False
        self.width = 80

    def print(self, *items: object) -> None:
        self.lines.append(" ".join(str(i) for i in items))


def test_run_env_skip_and_empty_input(tmp_path: Path) -> None:
    console = _Console()
    ctx = SimpleNamespace(err_console=console)
    line = f"refs/heads/main {A} refs/heads/main {Z}\n"
    assert run([], line, app_ctx=ctx, cwd=tmp_path, env={"PITSTOP_SKIP": "1"}) == 0
    assert run([], line, app_ctx=ctx, cwd=tmp_path, env={"CI": "true"}) == 0
    assert run([], "", app_ctx=ctx, cwd=tmp_path, env={}) == 0
    assert console.lines == [
        "pitstop: build skipped (PITSTOP_SKIP=1)",
        "pitstop: build skipped (CI=true is set)",
        "pitstop: nothing pushed, nothing to build",
    ]


def test_compact_sink_one_line_per_step_and_a_tail() -> None:
    console = _Console()
    sink = CompactSink(console, tail=2)
    with sink:
        sink(ev.StepStarted(1, "install", "npm ci", 0.0))
        for n, text in enumerate(["$ npm ci", "a", "", "b", "\x1b[32mc\x1b[39m"]):
            sink(ev.Log(1, n, "install", "stdout", text, 0.0))
        sink(ev.StepFinished(1, "install", "failed", 1, 2.5, 0.0, None))
    assert list(sink.tail) == ["b", "c"]
    assert sink.failed_step == "install"
    sink(ev.StepStarted(1, "deps", None, 0.0))
    sink(ev.StepFinished(1, "deps", "cached", None, 0.0, 0.0, "restored"))
    sink(ev.StepFinished(1, "build", "ok", 0, 61.0, 0.0, None))
    assert sink.failed_step == "install" and list(sink.tail) == []
    assert console.lines == [
        "  ✗ install 2.5s  exit 1",
        "  ↺ deps 0.0s  (restored)",
        "  ✓ build 1m01s",
    ]
