"""runner.store against real SQLite files in a temp dir (and a real second process)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from runner import store as store_mod
from runner.errors import NotFound, PitstopError
from runner.models import (
    BuildRecord,
    Framework,
    LogLine,
    OutputInfo,
    PackageManager,
    Phase,
    Plan,
    Runtime,
    Status,
    StepTiming,
)
from runner.store import CorruptDatabase, LogWriter, SchemaTooNew, Store, StoreError

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    monkeypatch.setenv("PITSTOP_HOME", str(home))
    return home


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "state" / "nested" / "history.sqlite3"


@pytest.fixture
def store(db_path: Path):
    with Store(db_path) as s:
        yield s


def schema_version(path: Path) -> int:
    con = sqlite3.connect(path)
    try:
        return int(con.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()[0])
    finally:
        con.close()


PLAN = Plan(
    root="apps/web",
    workspace_root=".",
    package_manager=PackageManager(name="pnpm", version="9.1.0", source="packageManager field"),
    runtimes=(
        Runtime(name="node", version="20.11.1", source=".nvmrc"),
        Runtime(name="python", version="3.12", source="default"),
    ),
    framework=Framework(id="nextjs", name="Next.js", source="next in dependencies"),
    install_command="pnpm install --frozen-lockfile",
    build_command="pnpm run build",
    output_dir=".next",
    cache_dirs=("node_modules/.cache", ".next/cache"),
    env=(("A", "1"), ("NODE_ENV", "production")),
    warnings=("engines.node disagrees with .nvmrc",),
    reasons=(("package manager", "pnpm-lock.yaml"),),
)
STEPS = (
    StepTiming(step="install", started_at=10.0, finished_at=12.5, exit_code=0),
    StepTiming(step="build", started_at=12.5, finished_at=20.25, exit_code=1, note="ünïcode ✓"),
    StepTiming(step="output", started_at=20.25, finished_at=20.25, skipped=True),
)
OUTPUT = OutputInfo(path="/tmp/out/12", files=42, bytes=123_456_789)
DIAGNOSIS = {"code": "E_MODULE_NOT_FOUND", "evidence": [3, 7], "nested": {"ok": False, "x": None}}


# --- opening and migrating -----------------------------------------------------------------


def test_open_creates_parent_dirs_and_sets_wal(db_path: Path) -> None:
    with Store(db_path) as s:
        assert s.journal_mode == "wal"
    assert db_path.is_file()
    assert schema_version(db_path) == len(store_mod.MIGRATIONS)
    con = sqlite3.connect(db_path)
    names = {r[0] for r in con.execute("SELECT name FROM sqlite_master")}
    without_rowid = con.execute("SELECT sql FROM sqlite_master WHERE name='log_lines'").fetchone()
    con.close()
    assert {"meta", "builds", "log_lines", "builds_by_status", "builds_by_source"} <= names
    assert "WITHOUT ROWID" in without_rowid[0]


def test_open_default_uses_pitstop_home(_home: Path) -> None:
    with Store.open_default() as s:
        assert s.path == _home.resolve() / "data" / "history.sqlite3"
        assert s.path.is_file()


def test_migrates_an_empty_file(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    db_path.write_bytes(b"")
    with Store(db_path) as s:
        assert s.create_build(source=".", ref=None, root=".") == 1
    assert schema_version(db_path) == len(store_mod.MIGRATIONS)


def test_reopening_is_idempotent_and_keeps_data(db_path: Path) -> None:
    with Store(db_path) as s:
        bid = s.create_build(source="a", ref="main", root=".")
    for _ in range(3):
        with Store(db_path) as s:
            assert s.get_build(bid).source == "a"
    assert schema_version(db_path) == len(store_mod.MIGRATIONS)


def _v2_add_label(db: sqlite3.Connection) -> None:
    db.execute("ALTER TABLE builds ADD COLUMN label TEXT")
    db.execute("UPDATE builds SET label = 'from-v1'")


def _v3_broken(db: sqlite3.Connection) -> None:
    db.execute("CREATE TABLE half_done (x)")
    raise RuntimeError("migration bug")


def test_migrates_v1_database_to_newer_versions(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    current = len(store_mod.MIGRATIONS)
    with Store(db_path) as s:
        bid = s.create_build(source="a", ref=None, root=".")
    assert schema_version(db_path) == current
    monkeypatch.setattr(store_mod, "MIGRATIONS", (*store_mod.MIGRATIONS, _v2_add_label))
    with Store(db_path) as s:
        assert s.get_build(bid).source == "a"
    assert schema_version(db_path) == current + 1
    con = sqlite3.connect(db_path)
    assert con.execute("SELECT label FROM builds").fetchall() == [("from-v1",)]
    con.close()
    with Store(db_path):  # already migrated: the ALTER must not run twice
        pass


def test_a_v1_database_gains_the_cache_columns(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_mod, "MIGRATIONS", store_mod.MIGRATIONS[:1])
    with Store(db_path) as s:
        bid = s.create_build(source="a", ref=None, root=".")
    assert schema_version(db_path) == 1
    monkeypatch.undo()
    with Store(db_path) as s:
        assert s.get_build(bid).caches is None
        s.update_build(
            bid, status=Status.SUCCEEDED, caches={"output": {"hit": False}}, memo_key="k1"
        )
        assert s.get_build(bid).caches == {"output": {"hit": False}}
        assert s.find_memo("k1").id == bid
        assert s.find_memo("k2") is None
    assert schema_version(db_path) == len(store_mod.MIGRATIONS)


def test_failed_migration_rolls_back_its_step(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    Store(db_path).close()
    current = len(store_mod.MIGRATIONS)
    monkeypatch.setattr(store_mod, "MIGRATIONS", (*store_mod.MIGRATIONS, _v2_add_label, _v3_broken))
    with pytest.raises(RuntimeError, match="migration bug"):
        Store(db_path)
    assert schema_version(db_path) == current + 1  # the good step committed, the bad rolled back
    con = sqlite3.connect(db_path)
    assert con.execute("SELECT name FROM sqlite_master WHERE name='half_done'").fetchone() is None
    con.close()


def test_refuses_a_newer_schema(db_path: Path) -> None:
    Store(db_path).close()
    con = sqlite3.connect(db_path)
    con.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    con.commit()
    con.close()
    with pytest.raises(SchemaTooNew) as info:
        Store(db_path)
    err = info.value
    assert isinstance(err, PitstopError)
    assert str(db_path) in err.message
    assert "99" in err.message
    assert err.hint and "upgrade pitstop" in err.hint
    assert schema_version(db_path) == 99  # untouched


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(b"this is not a database\n" * 200, id="text"),
        pytest.param(b"SQLite format 3\x00" + b"\xff" * 84 + b"\x00" * 4000, id="bad-header"),
    ],
)
def test_corrupt_file_is_reported_and_left_alone(db_path: Path, content: bytes) -> None:
    db_path.parent.mkdir(parents=True)
    db_path.write_bytes(content)
    with pytest.raises(CorruptDatabase) as info:
        Store(db_path)
    assert str(db_path) in info.value.message
    assert info.value.hint and "move" in info.value.hint
    assert db_path.read_bytes() == content


def test_damaged_pages_are_reported_on_read(db_path: Path) -> None:
    with Store(db_path) as s:
        bid = s.create_build(source="a", ref=None, root=".")
        s.append_lines(bid, [LogLine(i, 0.0, "build", "stdout", "x" * 300) for i in range(1, 3001)])
        assert s.checkpoint(truncate=True)
    data = bytearray(db_path.read_bytes())
    page = 4096
    for offset in range(3 * page, len(data) - page, page):  # scribble over the log pages
        data[offset : offset + 64] = b"\xa5" * 64
    db_path.write_bytes(bytes(data))
    with pytest.raises(CorruptDatabase) as info, Store(db_path) as s:
        s.read_lines(bid)
    assert str(db_path) in info.value.message


def test_foreign_sqlite_database_is_refused(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    con = sqlite3.connect(db_path)
    con.execute("CREATE TABLE photos (id INTEGER PRIMARY KEY)")
    con.commit()
    con.close()
    with pytest.raises(CorruptDatabase, match="not a pitstop history database"):
        Store(db_path)
    con = sqlite3.connect(db_path)
    tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    con.close()
    assert "builds" not in tables


def test_directory_in_place_of_file(db_path: Path) -> None:
    db_path.mkdir(parents=True)
    with pytest.raises(StoreError) as info:
        Store(db_path)
    assert str(db_path) in info.value.message


def test_closed_store_raises_store_error(db_path: Path) -> None:
    s = Store(db_path)
    s.close()
    s.close()
    with pytest.raises(StoreError, match="closed"):
        s.list_builds()


# --- builds ----------------------------------------------------------------------------------


def test_create_build_defaults(store: Store) -> None:
    before = time.time()
    bid = store.create_build(source="https://example.com/r.git", ref="v1", root="apps/web")
    rec = store.get_build(bid)
    assert rec == BuildRecord(
        id=bid,
        source="https://example.com/r.git",
        ref="v1",
        commit=None,
        root="apps/web",
        status=Status.QUEUED,
        phase=None,
        created_at=rec.created_at,
    )
    assert before <= rec.created_at <= time.time()
    assert type(rec.status) is Status


def test_round_trip_of_every_field(store: Store) -> None:
    bid = store.create_build(source="/src/repo", ref="feature/x", root="apps/web", created_at=5.5)
    store.update_build(
        bid,
        status=Status.FAILED,
        phase=Phase.BUILD,
        commit="a" * 40,
        root="apps/site",
        started_at=10.0,
        finished_at=20.25,
        exit_code=1,
        error="build step exited 1",
        plan=PLAN,
        steps=STEPS,
        output=OUTPUT,
        diagnosis=DIAGNOSIS,
    )
    got = store.get_build(bid)
    assert got == BuildRecord(
        id=bid,
        source="/src/repo",
        ref="feature/x",
        commit="a" * 40,
        root="apps/site",
        status=Status.FAILED,
        phase=Phase.BUILD,
        created_at=5.5,
        started_at=10.0,
        finished_at=20.25,
        exit_code=1,
        error="build step exited 1",
        plan=PLAN,
        steps=STEPS,
        output=OUTPUT,
        diagnosis=DIAGNOSIS,
    )
    assert type(got.phase) is Phase
    assert got.to_dict()["duration"] == 10.25


def test_update_changes_only_given_fields(store: Store) -> None:
    bid = store.create_build(source="s", ref="r", root=".")
    store.update_build(bid, status=Status.RUNNING, started_at=1.0, plan=PLAN, commit="c")
    store.update_build(bid, phase=Phase.INSTALL)
    rec = store.get_build(bid)
    assert (rec.status, rec.started_at, rec.plan, rec.commit, rec.phase) == (
        Status.RUNNING,
        1.0,
        PLAN,
        "c",
        Phase.INSTALL,
    )


@pytest.mark.parametrize(
    ("field", "cleared"),
    [
        ("phase", None),
        ("commit", None),
        ("started_at", None),
        ("exit_code", None),
        ("error", None),
        ("plan", None),
        ("steps", ()),
        ("output", None),
        ("diagnosis", None),
    ],
)
def test_none_clears_a_field(store: Store, field: str, cleared: object) -> None:
    bid = store.create_build(source="s", ref="r", root=".")
    full = {
        "phase": Phase.OUTPUT,
        "commit": "c",
        "started_at": 1.0,
        "exit_code": 2,
        "error": "e",
        "plan": PLAN,
        "steps": STEPS,
        "output": OUTPUT,
        "diagnosis": DIAGNOSIS,
    }
    store.update_build(bid, **full)
    store.update_build(bid, **{field: None})
    rec = store.get_build(bid)
    assert getattr(rec, field) == cleared
    for other, value in full.items():
        if other != field:
            got = getattr(rec, other)
            assert got == (tuple(value) if other == "steps" else value), other


def test_none_leaves_status_and_root(store: Store) -> None:
    bid = store.create_build(source="s", ref=None, root="r")
    store.update_build(bid, status=Status.RUNNING)
    store.update_build(bid, status=None, root=None)
    rec = store.get_build(bid)
    assert (rec.status, rec.root) == (Status.RUNNING, "r")


def test_update_and_get_missing_build(store: Store) -> None:
    with pytest.raises(NotFound) as info:
        store.update_build(7, status=Status.FAILED)
    assert info.value.hint and "pitstop history" in info.value.hint
    with pytest.raises(NotFound):
        store.get_build(7)


def test_bad_update_writes_nothing(store: Store) -> None:
    bid = store.create_build(source="s", ref=None, root=".")
    with pytest.raises(TypeError):
        store.update_build(bid, error="new", diagnosis={"bad": object()})
    assert store.get_build(bid).error is None
    with pytest.raises(ValueError):
        store.update_build(bid, error="new", status="exploded")  # type: ignore[arg-type]
    assert store.get_build(bid).error is None


@pytest.fixture
def filled(store: Store) -> tuple[Store, dict[int, tuple[str, Status]]]:
    spec = [
        ("a", Status.SUCCEEDED),
        ("b", Status.FAILED),
        ("a", Status.FAILED),
        ("b", Status.RUNNING),
        ("a", Status.TIMED_OUT),
        ("a", Status.FAILED),
    ]
    made = {}
    for source, status in spec:
        bid = store.create_build(source=source, ref=None, root=".")
        store.update_build(bid, status=status)
        made[bid] = (source, status)
    return store, made


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({}, [6, 5, 4, 3, 2, 1]),
        ({"limit": 2}, [6, 5]),
        ({"status": Status.FAILED}, [6, 3, 2]),
        ({"source": "b"}, [4, 2]),
        ({"source": "a", "status": Status.FAILED}, [6, 3]),
        ({"source": "a", "status": Status.FAILED, "limit": 1}, [6]),
        ({"status": Status.CANCELED}, []),
        ({"source": "zzz"}, []),
    ],
)
def test_list_builds(filled, kwargs: dict, expected: list[int]) -> None:
    store, made = filled
    got = store.list_builds(**kwargs)
    assert [r.id for r in got] == expected
    for rec in got:
        assert (rec.source, rec.status) == made[rec.id]


@pytest.mark.parametrize(
    ("after", "limit", "statuses", "expected"),
    [
        (0, 500, None, [2, 3, 6]),
        (2, 500, None, [3, 6]),
        (0, 2, None, [2, 3]),
        (6, 500, None, []),
        (0, 500, (Status.FAILED, Status.TIMED_OUT), [2, 3, 5, 6]),
    ],
)
def test_failed_builds_pages_ascending(filled, after, limit, statuses, expected) -> None:
    store, _ = filled
    kwargs = {"statuses": statuses} if statuses else {}
    assert [r.id for r in store.failed_builds(after, limit, **kwargs)] == expected


def test_failed_builds_paging_covers_all(filled) -> None:
    store, made = filled
    seen, after = [], 0
    while page := store.failed_builds(after_id=after, limit=1):
        seen += [r.id for r in page]
        after = page[-1].id
    assert seen == sorted(i for i, (_, st) in made.items() if st is Status.FAILED)


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        ("1", 1),
        ("6", 6),
        (" 3 ", 3),
        ("#4", 4),
        ("last", 6),
        ("LATEST", 6),
        ("-1", 6),
        ("-2", 5),
        ("-6", 1),
        ("7", None),
        ("-7", None),
        ("0", None),
        ("", None),
        ("yesterday", None),
        ("1.5", None),
    ],
)
def test_resolve(filled, ref: str, expected: int | None) -> None:
    store, _ = filled
    if expected is None:
        with pytest.raises(NotFound) as info:
            store.resolve(ref)
        assert info.value.hint == "run `pitstop history` to list builds"
    else:
        assert store.resolve(ref) == expected


def test_resolve_on_empty_history(store: Store) -> None:
    with pytest.raises(NotFound, match="no builds yet"):
        store.resolve("last")


# --- reaping ---------------------------------------------------------------------------------


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_reap_abandoned(store: Store, db_path: Path) -> None:
    dead = _dead_pid()
    ids = {}
    for name, status in [
        ("dead-running", Status.RUNNING),
        ("dead-queued", Status.QUEUED),
        ("dead-finished", Status.SUCCEEDED),
        ("alive-running", Status.RUNNING),
        ("other-host", Status.RUNNING),
    ]:
        ids[name] = store.create_build(source=name, ref=None, root=".")
        store.update_build(ids[name], status=status)
    con = sqlite3.connect(db_path)
    for name in ("dead-running", "dead-queued", "dead-finished", "other-host"):
        con.execute("UPDATE builds SET owner_pid = ? WHERE id = ?", (dead, ids[name]))
    con.execute("UPDATE builds SET owner_host = 'elsewhere' WHERE id = ?", (ids["other-host"],))
    con.commit()
    con.close()

    assert store.reap_abandoned() == [ids["dead-running"], ids["dead-queued"]]
    for name in ("dead-running", "dead-queued"):
        rec = store.get_build(ids[name])
        assert rec.status is Status.ERRORED
        assert rec.error == f"pitstop process {dead} ended before the build finished"
        assert rec.finished_at is not None
    assert store.get_build(ids["dead-finished"]).status is Status.SUCCEEDED
    assert store.get_build(ids["alive-running"]).status is Status.RUNNING  # this process
    assert store.get_build(ids["other-host"]).status is Status.RUNNING
    assert store.reap_abandoned() == []


# --- log lines -------------------------------------------------------------------------------


def lines(start: int, stop: int, step: str = "build") -> list[LogLine]:
    return [LogLine(i, 1000.0 + i, step, "stdout", f"line {i}") for i in range(start, stop)]


def test_append_and_read_lines(store: Store) -> None:
    bid = store.create_build(source="s", ref=None, root=".")
    other = store.create_build(source="s", ref=None, root=".")
    store.append_lines(bid, lines(1, 101))
    store.append_lines(other, lines(1, 4, step="install"))
    weird = LogLine(101, 1.5, "build", "stderr", "tab\tnul\x00 ünï ✓ " + "x" * 100_000)
    store.append_lines(bid, [weird])
    assert store.line_count(bid) == 101
    assert store.line_count(other) == 3
    assert store.read_lines(bid) == [*lines(1, 101), weird]
    assert store.read_lines(bid, after_seq=98, limit=2) == lines(99, 101)
    assert store.read_lines(bid, after_seq=101) == []
    assert store.read_lines(other) == lines(1, 4, step="install")
    assert list(store.iter_lines(bid, batch=7)) == [*lines(1, 101), weird]
    assert store.last_seq(bid) == 101


def test_read_text_block_joins_texts_in_seq_order(store: Store) -> None:
    bid = store.create_build(source="s", ref=None, root=".")
    assert store.read_text_block(bid, limit=10) is None
    store.append_lines(bid, lines(1, 6))
    nul = LogLine(6, 1.0, "build", "stderr", "a\x00b ✓")
    store.append_lines(bid, [nul])
    assert store.read_text_block(bid, limit=3) == (1, 3, 3, "line 1\nline 2\nline 3")
    assert store.read_text_block(bid, after_seq=4, limit=10) == (5, 6, 2, "line 5\na\x00b ✓")
    assert store.read_text_block(bid, after_seq=6, limit=10) is None


def test_read_step_runs(store: Store) -> None:
    bid = store.create_build(source="s", ref=None, root=".")
    assert store.read_step_runs(bid) == []
    for start, stop, step in (
        (1, 4, "clone"),
        (4, 10, "install"),
        (10, 11, "clone"),
        (11, 15, "build"),
    ):
        store.append_lines(bid, lines(start, stop, step))
    expected = [("clone", 1, 3), ("install", 4, 9), ("clone", 10, 10), ("build", 11, 14)]
    assert store.read_step_runs(bid) == expected
    assert store.read_step_runs(bid, max_runs=2) == expected[:2]
    assert store.read_step_runs(bid, after_seq=5) == [("install", 6, 9), *expected[2:]]
    assert store.read_step_runs(bid, after_seq=14) == []
    store.append_lines(bid, lines(15, 17, "build"))  # the last run grows as lines arrive
    assert store.read_step_runs(bid, after_seq=14) == [("build", 15, 16)]


def test_append_for_missing_build(store: Store) -> None:
    with pytest.raises(NotFound):
        store.append_lines(42, lines(1, 3))
    with pytest.raises(NotFound):
        LogWriter(store, 42)
    with pytest.raises(NotFound):
        next(store.follow(42))


def test_failed_append_is_all_or_nothing(store: Store) -> None:
    bid = store.create_build(source="s", ref=None, root=".")
    store.append_lines(bid, lines(1, 11))
    with pytest.raises(StoreError, match="repeat a sequence number"):
        store.append_lines(bid, lines(11, 20) + lines(5, 6))
    assert store.line_count(bid) == 10
    store.append_lines(bid, lines(11, 20))  # the store is still usable
    assert store.line_count(bid) == 19


def test_log_writer_assigns_gapless_seq_and_flushes_at_max_lines(store: Store) -> None:
    bid = store.create_build(source="s", ref=None, root=".")
    reader = Store(store.path)
    try:
        writer = LogWriter(store, bid, interval=60, max_lines=1000)
        added = [writer.add("build", "stdout", f"l{i}") for i in range(999)]
        assert [ln.seq for ln in added] == list(range(1, 1000))
        assert reader.line_count(bid) == 0  # buffered
        writer.add("build", "stderr", "the 1000th")
        assert reader.line_count(bid) == 1000  # flushed by size, visible to other connections
        last = writer.add("build", "stdout", "tail", ts=3.25)
        assert (last.seq, last.ts) == (1001, 3.25)
        writer.close()
        writer.close()
        tail = reader.read_lines(bid, after_seq=999)
        assert [(ln.seq, ln.stream, ln.text) for ln in tail] == [
            (1000, "stderr", "the 1000th"),
            (1001, "stdout", "tail"),
        ]
        assert tail[1] == last
        with pytest.raises(StoreError, match="closed"):
            writer.add("build", "stdout", "late")
    finally:
        reader.close()


def test_log_writer_flushes_idle_buffer_on_a_timer(store: Store) -> None:
    bid = store.create_build(source="s", ref=None, root=".")
    with LogWriter(store, bid, interval=0.05) as writer, Store(store.path) as reader:
        writer.add("install", "stdout", "only line")
        deadline = time.monotonic() + 5
        while reader.line_count(bid) == 0:
            assert time.monotonic() < deadline, "timer never flushed"
            time.sleep(0.01)
        assert reader.read_lines(bid)[0].text == "only line"


def test_log_writer_continues_after_stored_lines(store: Store) -> None:
    bid = store.create_build(source="s", ref=None, root=".")
    store.append_lines(bid, lines(1, 6))
    with LogWriter(store, bid) as writer:
        assert writer.add("build", "stdout", "next").seq == 6
    assert [ln.seq for ln in store.read_lines(bid)] == [1, 2, 3, 4, 5, 6]


def test_log_writer_from_many_threads_has_no_gaps(store: Store) -> None:
    bid = store.create_build(source="s", ref=None, root=".")
    writer = LogWriter(store, bid, max_lines=50)

    def work(n: int) -> None:
        for i in range(500):
            writer.add(f"t{n}", "stdout", str(i))

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    writer.close()
    got = store.read_lines(bid)
    assert [ln.seq for ln in got] == list(range(1, 2001))
    for n in range(4):  # each thread's lines keep their order
        assert [ln.text for ln in got if ln.step == f"t{n}"] == [str(i) for i in range(500)]


# --- following -------------------------------------------------------------------------------


def test_follow_finished_build_returns_everything_then_stops(store: Store) -> None:
    bid = store.create_build(source="s", ref=None, root=".")
    store.append_lines(bid, lines(1, 12))
    store.update_build(bid, status=Status.SUCCEEDED)
    assert list(store.follow(bid, batch=5)) == lines(1, 12)
    assert list(store.follow(bid, after_seq=10)) == lines(11, 12)


def test_follow_stops_when_asked(store: Store) -> None:
    bid = store.create_build(source="s", ref=None, root=".")
    store.update_build(bid, status=Status.RUNNING)
    calls = []

    def stop() -> bool:
        calls.append(1)
        return len(calls) >= 3

    assert list(store.follow(bid, poll=0.001, should_stop=stop)) == []
    assert len(calls) == 3


def test_suspended_follower_does_not_block_checkpoints(store: Store) -> None:
    bid = store.create_build(source="s", ref=None, root=".")
    store.append_lines(bid, lines(1, 2001))
    with Store(store.path, timeout=0.2) as follower:
        it = follower.follow(bid)
        assert next(it).seq == 1  # generator suspended mid-batch, as in a slow terminal
        store.append_lines(bid, lines(2001, 2002))
        assert store.checkpoint(truncate=True)
        wal = Path(f"{store.path}-wal")
        assert not wal.exists() or wal.stat().st_size == 0
        store.update_build(bid, status=Status.SUCCEEDED)
        assert [ln.seq for ln in it] == list(range(2, 2002))


WRITER = textwrap.dedent(
    """
    import random, sys, time
    from pathlib import Path
    from runner.models import Status
    from runner.store import LogWriter, Store

    path, build_id, total = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    rng = random.Random(7)
    with Store(path) as store:
        store.update_build(build_id, status=Status.RUNNING, started_at=time.time())
        writer = LogWriter(store, build_id)
        written = 0
        while written < total:
            burst = min(rng.randint(1, 2500), total - written)
            for _ in range(burst):
                written += 1
                writer.add("build", "stdout" if written % 3 else "stderr", f"line {written}")
            if rng.random() < 0.5:
                writer.flush()
            time.sleep(rng.random() * 0.02)
        writer.close()
        store.update_build(build_id, status=Status.SUCCEEDED, finished_at=time.time())
    """
)


@pytest.mark.slow
def test_follow_a_writer_process_sees_every_line_once(store: Store) -> None:
    total = 20_000
    bid = store.create_build(source="s", ref=None, root=".")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(store.path), str(bid), str(total)],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    got: list[LogLine] = []
    live = 0  # lines received while the writer was still running
    try:
        with Store(store.path) as reader:
            for line in reader.follow(bid, should_stop=lambda: time.monotonic() > deadline):
                got.append(line)
                if len(got) % 500 == 1 and not reader.get_build(bid).status.terminal:
                    live += 1
    finally:
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert [ln.seq for ln in got] == list(range(1, total + 1))
    assert [ln.text for ln in got] == [f"line {i}" for i in range(1, total + 1)]
    assert {ln.stream for ln in got} == {"stdout", "stderr"}
    assert store.get_build(bid).status is Status.SUCCEEDED
    assert live > 0, "the reader only started after the writer finished"


def test_opening_and_reading_do_not_wait_for_a_writer(store: Store) -> None:
    bid = store.create_build(source="s", ref=None, root=".")
    store.append_lines(bid, lines(1, 4))
    con = sqlite3.connect(store.path, isolation_level=None)
    con.execute("BEGIN IMMEDIATE")  # another process in the middle of a write
    con.execute("INSERT INTO log_lines VALUES (?, 4, 0, 'build', 'stdout', 'uncommitted')", (bid,))
    try:
        start = time.monotonic()
        with Store(store.path, timeout=0.1) as reader:
            assert reader.read_lines(bid) == lines(1, 4)
            assert reader.resolve("last") == bid
            with pytest.raises(StoreError, match="locked") as info:
                reader.update_build(bid, error="x")
            assert info.value.hint and "another pitstop" in info.value.hint
        assert time.monotonic() - start < 2
    finally:
        con.execute("ROLLBACK")
        con.close()


def test_follow_ends_when_the_owner_process_died(store: Store, db_path: Path) -> None:
    bid = store.create_build(source="s", ref=None, root=".")
    store.update_build(bid, status=Status.RUNNING)
    store.append_lines(bid, lines(1, 4))
    dead = _dead_pid()
    con = sqlite3.connect(db_path)
    con.execute("UPDATE builds SET owner_pid = ? WHERE id = ?", (dead, bid))
    con.commit()
    con.close()
    deadline = time.monotonic() + 10
    got = list(store.follow(bid, poll=0.01, should_stop=lambda: time.monotonic() > deadline))
    assert got == lines(1, 4)
    assert time.monotonic() < deadline
    rec = store.get_build(bid)
    assert rec.status is Status.ERRORED
    assert rec.error == f"pitstop process {dead} ended before the build finished"


def test_reap_one_build_only(store: Store, db_path: Path) -> None:
    dead = _dead_pid()
    a, b = (store.create_build(source="s", ref=None, root=".") for _ in range(2))
    con = sqlite3.connect(db_path)
    con.execute("UPDATE builds SET owner_pid = ?", (dead,))
    con.commit()
    con.close()
    assert store.reap_abandoned(b) == [b]
    assert store.get_build(a).status is Status.QUEUED
    assert store.reap_abandoned() == [a]
