"""`pitstop explain`, `errors` and `reclassify` over builds stored from real tool logs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cli.app import app
from cli.commands import errors as errors_cmd
from cli.commands import reclassify as reclassify_cmd
from runner.diagnose import diagnose
from runner.models import Phase, Status, StepTiming
from runner.store import MIGRATIONS, LogWriter, Store, StoreError

ROOT = Path(__file__).resolve().parents[1]
LOGS = ROOT / "tests" / "fixtures" / "logs"
KEYS = ("code", "phase", "title", "group", "explanation", "fix", "evidence", "secondary")

# (fixture, the phase its command ran in)
LOCKFILE = ("lockfile_out_of_sync/npm-ci-missing-dep", Phase.INSTALL)
LOCKFILE_PNPM = ("lockfile_out_of_sync/pnpm-frozen-outdated", Phase.INSTALL)
MODULE = ("module_not_found/vite-bare-import", Phase.BUILD)
OOM = ("out_of_memory/node-heap-limit", Phase.BUILD)


def fixture_lines(name: str) -> list[str]:
    text = (LOGS / f"{name}.log").read_text(encoding="utf-8")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def meta(name: str) -> dict[str, Any]:
    return json.loads((LOGS / f"{name}.json").read_text())


@pytest.fixture
def store() -> Store:
    s = Store.open_default()
    yield s
    s.close()


def add_build(
    store: Store,
    lines: list[str],
    *,
    phase: Phase | None = Phase.BUILD,
    status: Status = Status.FAILED,
    exit_code: int | None = 1,
    note: str | None = None,
    created_at: float | None = None,
    diagnosis: dict[str, Any] | str | None = "classify",
) -> int:
    """A stored build as `pitstop build` leaves it: lines, one failed step, a diagnosis."""
    build_id = store.create_build(source="/work/app", ref=None, root=".", created_at=created_at)
    with LogWriter(store, build_id) as writer:
        for text in lines:
            writer.add(str(phase or "build"), "stdout", text)
    step = str(phase or "build")
    steps = [StepTiming(step, 1.0, 2.0, exit_code=exit_code, note=note)]
    if diagnosis == "classify":
        diagnosis = diagnose(
            lines,
            failed_step=step,
            exit_code=exit_code,
            oom_killed=note == "out of memory",
            phase=str(phase) if phase else None,
        ).to_dict()
    store.update_build(
        build_id,
        status=status,
        phase=phase if status != Status.SUCCEEDED else None,
        steps=steps,
        exit_code=exit_code,
        finished_at=time.time(),
        diagnosis=diagnosis,  # type: ignore[arg-type]
    )
    return build_id


def add_fixture(store: Store, case: tuple[str, Phase], **kw: Any) -> int:
    return add_build(store, fixture_lines(case[0]), phase=case[1], **kw)


def cli(*args: str, input: str | None = None) -> Any:
    result = CliRunner().invoke(app, list(args), input=input)
    return result


def run_json(*args: str, input: str | None = None) -> Any:
    result = cli(*args, "--json", input=input)
    assert result.exit_code == 0, (result.output, result.exception)
    return json.loads(result.stdout)


def pitstop(*args: str, input: str | None = None, cwd: Path | None = None) -> Any:
    """The real entry point (error contract, exit codes)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "cli.app", *args],
        input=input,
        cwd=cwd or ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


# --- explain -----------------------------------------------------------------------------------


def test_explain_a_build_by_id_gives_the_documented_json(store: Store) -> None:
    add_fixture(store, MODULE)
    build_id = add_fixture(store, LOCKFILE)
    expected = meta(LOCKFILE[0])
    data = run_json("explain", str(build_id))
    for key in KEYS:
        assert key in data
    assert data["code"] == expected["code"] == "lockfile_out_of_sync"
    assert data["phase"] == "install"
    assert data["group"] == expected["group"]
    assert [e["line"] for e in data["evidence"]] == expected["evidence"]
    lines = fixture_lines(LOCKFILE[0])
    for e in data["evidence"]:  # evidence for one build keeps its real text
        assert e["text"] == lines[e["line"] - 1].rstrip()
    assert data["source"] == {"kind": "build", "build": build_id, "status": "failed"}


@pytest.mark.parametrize("ref", ["last", "-1", "#2", "latest"])
def test_explain_accepts_build_references(store: Store, ref: str) -> None:
    add_fixture(store, LOCKFILE)
    second = add_fixture(store, MODULE)
    data = run_json("explain", ref)
    assert data["source"]["build"] == second
    assert data["code"] == "module_not_found"


def test_explain_defaults_to_the_last_build(store: Store) -> None:
    add_fixture(store, MODULE)
    last = add_fixture(store, LOCKFILE)
    assert run_json("explain")["source"]["build"] == last


@pytest.mark.parametrize(
    "name",
    [
        "lockfile_out_of_sync/pnpm-frozen-outdated",
        "module_not_found/webpack-cant-resolve",
        "engine_incompatible/npm-engine-strict",
        "typescript_error/" + sorted(p.stem for p in (LOGS / "typescript_error").glob("*.log"))[0],
    ],
)
def test_explain_a_log_file(name: str) -> None:
    expected = meta(name)
    data = run_json("explain", str(LOGS / f"{name}.log"))
    assert data["code"] == expected["code"]
    assert data["group"] == expected["group"]
    assert [e["line"] for e in data["evidence"]] == expected["evidence"]
    assert data["source"]["kind"] == "file"


def test_explain_stdin_cleans_a_pasted_github_actions_log() -> None:
    name = "lockfile_out_of_sync/npm-ci-missing-dep"
    expected = meta(name)
    stamp = "2024-05-01T12:00:0{}.1234567Z "
    body = [
        stamp.format(i % 10) + ("\x1b[31m" + line + "\x1b[0m" if "error" in line else line)
        for i, line in enumerate(fixture_lines(name))
    ]
    pasted = "\n".join(
        [stamp.format(0) + "##[group]Run npm ci", *body, stamp.format(9) + "##[endgroup]"]
    )
    data = run_json("explain", "-", input=pasted + "\n")
    assert data["code"] == expected["code"]
    assert data["group"] == expected["group"]  # timestamps and colours are not in the group
    assert [e["line"] for e in data["evidence"]] == [n + 1 for n in expected["evidence"]]
    assert data["evidence"][0]["text"].startswith("npm error `npm ci` can only install")
    assert data["source"] == {"kind": "stdin"}


def test_explain_human_output_shows_the_panel_and_evidence_in_context(store: Store) -> None:
    build_id = add_fixture(store, LOCKFILE)
    result = cli("explain", str(build_id))
    assert result.exit_code == 0, result.output
    out = result.stdout
    lines = fixture_lines(LOCKFILE[0])
    first = meta(LOCKFILE[0])["evidence"][0]
    assert f"build #{build_id}" in out and "failed in install" in out
    assert "why: lockfile_out_of_sync" in out
    assert "evidence in context" in out
    assert f"▶ {first} │ {lines[first - 1][:40]}" in out
    assert f"  {first - 2} │ {lines[first - 3]}" in out  # two lines of context before
    assert f"pitstop logs {build_id}" in out


def test_a_build_id_that_is_also_a_file_says_which_was_used(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    build_id = add_fixture(store, LOCKFILE)
    monkeypatch.chdir(tmp_path)
    (tmp_path / str(build_id)).write_text("\n".join(fixture_lines(MODULE[0])))
    result = cli("explain", str(build_id), "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["source"]["kind"] == "build"
    assert f"both build #{build_id} and a file" in result.stderr
    assert f"./{build_id}" in result.stderr
    as_file = run_json("explain", f"./{build_id}")
    assert as_file["source"]["kind"] == "file" and as_file["code"] == "module_not_found"


def test_a_file_named_like_a_missing_build_is_read(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "7").write_text("\n".join(fixture_lines(MODULE[0])))
    data = run_json("explain", "7")
    assert data["source"]["kind"] == "file" and data["code"] == "module_not_found"


def test_out_of_memory_comes_from_the_stored_step_note(store: Store) -> None:
    lines = ["$ npm run build", "> vite build", "transforming (812) src/App.tsx", "Killed"]
    killed = add_build(store, lines, exit_code=137, note="out of memory", diagnosis=None)
    plain = add_build(store, lines, exit_code=137, diagnosis=None)
    assert run_json("explain", str(killed))["code"] == "out_of_memory"
    assert run_json("explain", str(plain))["code"] != "out_of_memory"


def test_runner_known_verdicts_are_kept(store: Store) -> None:
    known = {
        "code": "node_version_unavailable",
        "phase": "install",
        "title": "Node 99.1.0 is not available",
        "explanation": "Node 99.1.0 is not available",
        "fix": "ask for one of the available versions, or set a mirror",
        "evidence": [],
        "secondary": [],
    }
    build_id = add_build(store, ["pitstop: Node 99.1.0 is not available"], diagnosis=known)
    data = run_json("explain", str(build_id))
    assert data["code"] == "node_version_unavailable"
    assert all(k in data for k in KEYS)
    report = run_json("reclassify")
    assert report["kept"] == 1 and report["changed_total"] == 0
    assert store.get_build(build_id).diagnosis == known


def test_explain_a_succeeded_build_has_nothing_to_say(store: Store) -> None:
    build_id = add_build(store, ["done"], status=Status.SUCCEEDED, diagnosis=None)
    result = cli("explain", str(build_id))
    assert result.exit_code == 0 and "nothing to explain" in result.stdout
    assert run_json("explain", str(build_id))["code"] is None


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["explain", "42"], None, "no build 42 in history"),
        (["explain", "no-such.log"], None, "no such log file: no-such.log"),
        (["explain", "-"], "", "stdin was empty"),
        (["explain", "tests"], None, "is a folder"),
        (["explain", "--nope"], None, "no such option: --nope"),
        (["errors", "--since", "yesterday-ish"], None, "--since wants a duration or a date"),
        (["errors", "--limit", "0"], None, "--limit must be at least 1"),
    ],
)
def test_errors_follow_the_contract(args: list[str], stdin: str | None, message: str) -> None:
    result = pitstop(*args, input=stdin)
    assert result.returncode == 2, result.stderr
    assert "error: " in result.stderr and message in result.stderr
    assert "hint: " in result.stderr
    assert "Traceback" not in result.stderr


# --- errors ------------------------------------------------------------------------------------


def quasar(n: int, user: str) -> list[str]:
    """A failure no rule knows, seen with different private paths and names."""
    return [
        "$ npm run build",
        "> quasar-gen build",
        f"building page {n} of 40",
        f"QuasarGenError: template partial 'header{n}' missing for /home/{user}/site/p{n}.md",
        "npm error Lifecycle script `build` failed with error:",
        "npm error code 1",
    ]


def test_errors_counts_codes_groups_and_shares(store: Store) -> None:
    ids = {
        "lock": [add_fixture(store, LOCKFILE) for _ in range(3)],
        "module": [add_fixture(store, MODULE) for _ in range(2)],
        "unknown": [add_build(store, quasar(n, u)) for n, u in ((1, "alice"), (2, "bob"))],
    }
    ids["lock"].append(add_fixture(store, LOCKFILE_PNPM))
    add_build(store, ["ok"], status=Status.SUCCEEDED, diagnosis=None)  # not a failure
    data = run_json("errors")
    assert data["failed"] == 8 and data["undiagnosed"] == 0
    codes = {c["code"]: c for c in data["codes"]}
    assert [c["code"] for c in data["codes"]] == [  # a tie goes to the most recent
        "lockfile_out_of_sync",
        "unknown",
        "module_not_found",
    ]
    assert codes["lockfile_out_of_sync"]["count"] == 4
    assert codes["lockfile_out_of_sync"]["share"] == 0.5
    assert codes["module_not_found"]["share"] == 0.25
    assert codes["lockfile_out_of_sync"]["example_build"] == ids["lock"][-1]
    assert codes["lockfile_out_of_sync"]["last_seen"] == store.get_build(ids["lock"][-1]).created_at
    groups = [(g["code"], g["group"], g["count"]) for g in data["groups"]]
    assert ("lockfile_out_of_sync", meta(LOCKFILE[0])["group"], 3) in groups
    assert ("lockfile_out_of_sync", meta(LOCKFILE_PNPM[0])["group"], 1) in groups
    # the same new failure in two builds is one mined group, with nothing private in it
    assert len(data["unknown"]) == 1
    unknown = data["unknown"][0]
    assert unknown["count"] == 2 and unknown["builds"] == ids["unknown"]
    assert unknown["template"].startswith("QuasarGenError: template partial")
    text = json.dumps(data)
    assert "alice" not in text and "bob" not in text and "/home/" not in text


def test_errors_since_leaves_old_failures_out(store: Store) -> None:
    old = time.time() - 30 * 86400
    add_fixture(store, LOCKFILE, created_at=old)
    add_fixture(store, MODULE, created_at=old)
    recent = add_fixture(store, MODULE)
    data = run_json("errors", "--since", "7d")
    assert data["failed"] == 1
    assert data["codes"] == [
        {
            "code": "module_not_found",
            "count": 1,
            "share": 1.0,
            "last_seen": store.get_build(recent).created_at,
            "example_build": recent,
        }
    ]
    assert run_json("errors")["failed"] == 3
    day = time.strftime("%Y-%m-%d", time.localtime(old - 86400))
    assert run_json("errors", "--since", day)["failed"] == 3


def test_errors_limit_and_undiagnosed(store: Store) -> None:
    for case in (LOCKFILE, MODULE, OOM):
        add_fixture(store, case)
    add_build(store, ["boom"], diagnosis=None)
    data = run_json("errors", "--limit", "2")
    assert len(data["codes"]) == 2 and data["failed"] == 4 and data["undiagnosed"] == 1


def test_errors_human_output_draws_bars(store: Store) -> None:
    for case in (LOCKFILE, LOCKFILE, MODULE):
        add_fixture(store, case)
    add_build(store, quasar(3, "carol"))
    result = cli("errors")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "4 failed build(s)" in out
    assert "lockfile_out_of_sync" in out and "50%" in out and "█" in out
    assert "QuasarGenError" in out and "carol" not in out


def test_errors_with_no_failures() -> None:
    result = cli("errors", "--since", "2d")
    assert result.exit_code == 0 and "no failed builds in the last 2d" in result.stdout


@pytest.mark.parametrize(
    ("text", "seconds"), [("7d", 7 * 86400), ("12h", 43200), ("30m", 1800), ("2w", 1209600)]
)
def test_parse_since_durations(text: str, seconds: int) -> None:
    assert errors_cmd.parse_since(text, 1_000_000_000.0) == 1_000_000_000.0 - seconds


def test_summarize_masks_stored_groups_again() -> None:
    leaked = {"code": "module_not_found", "group": "Cannot find /home/alice/app/x.js"}
    out = errors_cmd.summarize([errors_cmd.Failure(1, 1.0, leaked)])
    assert out["groups"][0]["group"] == "Cannot find <PATH>"


# --- reclassify --------------------------------------------------------------------------------


def stored_codes(store: Store) -> dict[int, str | None]:
    builds = store.failed_builds(0, 10_000, statuses=(Status.FAILED, Status.TIMED_OUT))
    return {b.id: (b.diagnosis or {}).get("code") for b in builds}


def test_reclassify_fixes_diagnoses_made_by_older_rules(store: Store) -> None:
    good = add_fixture(store, MODULE)
    stale = add_fixture(store, LOCKFILE)
    old = store.get_build(stale).diagnosis
    assert old is not None
    store.update_build(stale, diagnosis={**old, "code": "network_error", "group": "old"})
    undiagnosed = add_fixture(store, OOM, diagnosis=None)
    wording = add_fixture(store, MODULE)
    store.update_build(wording, diagnosis={**store.get_build(wording).diagnosis, "fix": "old"})
    report = run_json("reclassify")
    assert report["total"] == report["processed"] == 4
    assert report["changed"] == [
        {"build": stale, "old": "network_error", "new": "lockfile_out_of_sync"},
        {"build": undiagnosed, "old": None, "new": "out_of_memory"},
    ]
    assert report["updated"] == 1 and report["unchanged"] == 1
    assert stored_codes(store) == {
        good: "module_not_found",
        stale: "lockfile_out_of_sync",
        undiagnosed: "out_of_memory",
        wording: "module_not_found",
    }
    assert store.get_build(stale).diagnosis["group"] == meta(LOCKFILE[0])["group"]
    assert store.get_meta(reclassify_cmd.STATE_KEY) is None  # a finished run leaves no cursor


def test_reclassify_is_idempotent(store: Store) -> None:
    for case in (LOCKFILE, MODULE, OOM, LOCKFILE_PNPM):
        add_fixture(store, case, diagnosis={"code": "unknown"})
    add_build(store, ["pitstop: build timed out after 0m05s"], status=Status.TIMED_OUT)
    first = run_json("reclassify")
    assert first["changed_total"] == 4 and first["processed"] == 5
    before = {b.id: b.diagnosis for b in store.failed_builds(0, 100)}
    second = run_json("reclassify")
    assert second["changed"] == [] and second["updated"] == 0
    assert second["unchanged"] == second["processed"] == 5
    assert {b.id: b.diagnosis for b in store.failed_builds(0, 100)} == before


def test_reclassify_human_report_lists_changes(store: Store) -> None:
    stale = add_fixture(store, LOCKFILE, diagnosis={"code": "syntax_error"})
    result = cli("reclassify")
    assert result.exit_code == 0, result.output
    assert "reclassified 1 failed build(s)" in result.stdout
    assert f"#{stale}" in result.stdout and "syntax_error → lockfile_out_of_sync" in result.stdout
    assert "no failed builds" not in result.stdout


REAL_CLASSIFY = reclassify_cmd.classify


def _counting_classify(monkeypatch: pytest.MonkeyPatch, fail_on: int | None) -> list[int]:
    """Count each build classified to completion; raise KeyboardInterrupt on call N."""
    real = REAL_CLASSIFY
    done: list[int] = []
    calls = [0]

    def classify(record: Any, lines: list[str]) -> dict[str, Any]:
        calls[0] += 1
        if fail_on is not None and calls[0] == fail_on:
            raise KeyboardInterrupt
        result = real(record, lines)
        done.append(record.id)
        return result

    monkeypatch.setattr(reclassify_cmd, "classify", classify)
    return done


def test_reclassify_resumes_after_an_interruption(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reclassify_cmd, "BATCH", 5)
    cases = [LOCKFILE, MODULE, OOM, LOCKFILE_PNPM] * 3
    ids = [add_fixture(store, c, diagnosis={"code": "unknown"}) for c in cases]
    expected = {i: diagnose_code(c) for i, c in zip(ids, cases, strict=True)}

    done = _counting_classify(monkeypatch, fail_on=8)
    result = cli("reclassify")
    assert result.exit_code == 130
    assert "interrupted" in result.stderr
    state = json.loads(store.get_meta(reclassify_cmd.STATE_KEY) or "{}")
    assert state["cursor"] == ids[6]  # the seven finished builds were written
    assert done == ids[:7]
    codes = stored_codes(store)
    assert [codes[i] for i in ids[:7]] == [expected[i] for i in ids[:7]]
    assert all(codes[i] == "unknown" for i in ids[7:])

    done2 = _counting_classify(monkeypatch, fail_on=None)
    report = run_json("reclassify")
    assert done + done2 == ids  # every build classified exactly once
    assert report["resumed_from"] == ids[6]
    assert report["processed"] == report["total"] == 12
    assert report["changed_total"] == 12 and [c["build"] for c in report["changed"]] == ids
    assert stored_codes(store) == expected
    assert store.get_meta(reclassify_cmd.STATE_KEY) is None


def test_reclassify_resumes_after_a_failed_write(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reclassify_cmd, "BATCH", 3)
    cases = [LOCKFILE, MODULE, OOM] * 3
    ids = [add_fixture(store, c, diagnosis={"code": "unknown"}) for c in cases]
    real = Store.set_diagnoses
    calls = [0]

    def flaky(self: Store, *args: Any, **kwargs: Any) -> int:
        calls[0] += 1
        if calls[0] == 2:
            raise StoreError("disk went away")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Store, "set_diagnoses", flaky)
    result = cli("reclassify")
    assert isinstance(result.exception, StoreError)
    assert json.loads(store.get_meta(reclassify_cmd.STATE_KEY) or "{}")["cursor"] == ids[2]
    monkeypatch.setattr(Store, "set_diagnoses", real)
    report = run_json("reclassify")
    assert report["resumed_from"] == ids[2]
    assert report["processed"] == 9 and report["changed_total"] == 9
    assert stored_codes(store) == {i: diagnose_code(c) for i, c in zip(ids, cases, strict=True)}


def test_reclassify_starts_over_when_the_rules_changed(store: Store) -> None:
    ids = [add_fixture(store, c, diagnosis={"code": "unknown"}) for c in (LOCKFILE, MODULE)]
    stale = reclassify_cmd.Progress("another-rule-table", cursor=ids[-1], processed=2)
    store.set_meta(reclassify_cmd.STATE_KEY, stale.to_json())
    report = run_json("reclassify")
    assert report["resumed_from"] is None and report["processed"] == 2
    assert report["changed_total"] == 2


def test_reclassify_restart_ignores_a_saved_cursor(store: Store) -> None:
    ids = [add_fixture(store, c, diagnosis={"code": "unknown"}) for c in (LOCKFILE, MODULE)]
    saved = reclassify_cmd.Progress(reclassify_cmd.rules_fingerprint(), cursor=ids[-1])
    store.set_meta(reclassify_cmd.STATE_KEY, saved.to_json())
    assert run_json("reclassify")["processed"] == 0  # resumed past everything
    store.set_meta(reclassify_cmd.STATE_KEY, saved.to_json())
    assert run_json("reclassify", "--restart")["changed_total"] == 2


def test_reclassify_with_no_failed_builds() -> None:
    result = cli("reclassify")
    assert result.exit_code == 0 and "no failed builds to reclassify" in result.stdout


def diagnose_code(case: tuple[str, Phase]) -> str:
    return meta(case[0])["code"]


# --- store additions ---------------------------------------------------------------------------


def test_store_meta_and_batched_diagnoses(store: Store) -> None:
    a = add_build(store, ["x"], diagnosis=None)
    b = add_build(store, ["y", "z"], diagnosis=None, status=Status.TIMED_OUT)
    add_build(store, ["ok"], status=Status.SUCCEEDED, diagnosis=None)
    assert store.get_meta("k") is None
    store.set_meta("k", "1")
    assert store.get_meta("k") == "1"
    changed = store.set_diagnoses({a: {"code": "x"}, b: {"code": "y"}}, meta={"k": "2"})
    assert changed == 2
    assert store.get_build(a).diagnosis == {"code": "x"}
    assert store.get_meta("k") == "2"
    store.set_diagnoses({a: None}, meta={"k": None})
    assert store.get_build(a).diagnosis is None and store.get_meta("k") is None
    assert store.log_texts(b) == ["y", "z"]
    failed = (Status.FAILED, Status.TIMED_OUT)
    assert store.count_builds(statuses=failed) == 2
    assert store.count_builds(statuses=failed, after_id=a) == 1
    with pytest.raises(ValueError):
        store.set_meta("schema_version", "99")
    assert store.get_meta("schema_version") == str(len(MIGRATIONS))


def test_a_failed_batch_writes_nothing(store: Store) -> None:
    a = add_build(store, ["x"], diagnosis={"code": "old"})
    with pytest.raises(StoreError):
        store.set_diagnoses({a: {"code": "new"}, 10**6: {"code": "x"}}, meta={"k": object()})  # type: ignore[dict-item]
    assert store.get_build(a).diagnosis == {"code": "old"} and store.get_meta("k") is None


def test_reclassify_with_worker_processes_matches_one_process(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reclassify_cmd, "PARALLEL_MIN", 0)
    monkeypatch.setattr(reclassify_cmd, "BATCH", 4)
    cases = [LOCKFILE, MODULE, OOM, LOCKFILE_PNPM] * 2
    ids = [add_fixture(store, c, diagnosis={"code": "unknown"}) for c in cases]
    add_build(store, ["pitstop: x"], diagnosis={"code": "node_version_unavailable", "evidence": []})

    def not_here(*_: Any) -> None:
        raise RuntimeError("classified in the parent process")

    monkeypatch.setattr(reclassify_cmd, "classify", not_here)  # workers do the work
    parallel = run_json("reclassify", "--jobs", "2")
    monkeypatch.setattr(reclassify_cmd, "classify", REAL_CLASSIFY)
    assert parallel["processed"] == 9 and parallel["kept"] == 1
    assert parallel["changed_total"] == 8 and parallel["errors"] == []
    after_parallel = {b.id: b.diagnosis for b in store.failed_builds(0, 100)}
    for i in ids:
        store.update_build(i, diagnosis={"code": "unknown"})
    serial = run_json("reclassify", "--jobs", "1")
    assert serial["changed"] == parallel["changed"]
    assert {b.id: b.diagnosis for b in store.failed_builds(0, 100)} == after_parallel
    assert stored_codes(store)[ids[0]] == "lockfile_out_of_sync"


def test_only_one_reclassify_runs_at_a_time(store: Store) -> None:
    import fcntl

    add_fixture(store, LOCKFILE, diagnosis={"code": "unknown"})
    with open(store.path.with_name("reclassify.lock"), "a") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        result = pitstop("reclassify")
        assert result.returncode == 4, result.stderr
        assert "another `pitstop reclassify` is already running" in result.stderr
        assert "hint: " in result.stderr
    assert pitstop("reclassify").returncode == 0  # released: runs again
    assert stored_codes(store) == {1: "lockfile_out_of_sync"}
