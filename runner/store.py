"""Build history and log lines in SQLite: the only module that opens the database.

One file (``Paths.database``) in WAL mode: one writer process at a time (``BEGIN IMMEDIATE``)
while any number of processes read (``pitstop logs -f``). Reads are short autocommit
statements, so a long-lived follower never pins a snapshot and checkpoints can always finish.

The schema is versioned in ``meta.schema_version``; ``MIGRATIONS`` is an ordered list of
functions, each applied in its own transaction. Every ``builds`` row also records the schema
version that wrote it (``record_version``).
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final

from runner.errors import EnvironmentProblem, NotFound
from runner.models import BuildRecord, LogLine, OutputInfo, Phase, Plan, Status, StepTiming
from runner.paths import Paths
from runner.processes import pid_alive

__all__ = [
    "MIGRATIONS",
    "CorruptDatabase",
    "LogWriter",
    "SchemaTooNew",
    "Store",
    "StoreError",
]


class StoreError(EnvironmentProblem):
    """The history database could not be opened, read or written."""


class CorruptDatabase(StoreError):
    """The file is not a pitstop history database, or its pages are damaged."""


class SchemaTooNew(StoreError):
    """The database was written by a newer pitstop than this one."""


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


UNSET: Final = _Unset()
"""Default of every ``update_build`` field: leave the column as it is."""

_HISTORY_HINT = "run `pitstop history` to list builds"

# group_concat keeps its input's order in practice; SQLite 3.44+ can be told so
_JOIN_TEXTS = (
    "group_concat(text, char(10) ORDER BY seq)"
    if sqlite3.sqlite_version_info >= (3, 44, 0)
    else "group_concat(text, char(10))"
)
_ACTIVE = (Status.QUEUED.value, Status.RUNNING.value)
_OWNER_CHECK = 1.0  # seconds between owner-liveness checks of an idle follow()


# --- schema ---------------------------------------------------------------------------------


def _v1_initial(db: sqlite3.Connection) -> None:
    """Builds and their log lines."""
    db.execute(
        """
        CREATE TABLE builds (
            id             INTEGER PRIMARY KEY AUTOINCREMENT,
            record_version INTEGER NOT NULL,
            source         TEXT NOT NULL,
            ref            TEXT,
            "commit"       TEXT,
            root           TEXT NOT NULL,
            status         TEXT NOT NULL,
            phase          TEXT,
            created_at     REAL NOT NULL,
            started_at     REAL,
            finished_at    REAL,
            exit_code      INTEGER,
            error          TEXT,
            plan           TEXT,
            steps          TEXT NOT NULL DEFAULT '[]',
            output         TEXT,
            diagnosis      TEXT,
            owner_pid      INTEGER,
            owner_host     TEXT
        )
        """
    )
    db.execute("CREATE INDEX builds_by_status ON builds (status, id)")
    db.execute("CREATE INDEX builds_by_source ON builds (source, id)")
    db.execute(
        """
        CREATE TABLE log_lines (
            build_id INTEGER NOT NULL REFERENCES builds (id) ON DELETE CASCADE,
            seq      INTEGER NOT NULL,
            ts       REAL NOT NULL,
            step     TEXT NOT NULL,
            stream   TEXT NOT NULL,
            text     TEXT NOT NULL,
            PRIMARY KEY (build_id, seq)
        ) WITHOUT ROWID
        """
    )


def _v2_caches(db: sqlite3.Connection) -> None:
    """What each build's caches were keyed on, hit or missed; the output memo's key."""
    db.execute("ALTER TABLE builds ADD COLUMN caches TEXT")
    db.execute("ALTER TABLE builds ADD COLUMN memo_key TEXT")
    db.execute("CREATE INDEX builds_by_memo ON builds (memo_key, status, id)")


Migration = Callable[[sqlite3.Connection], None]

MIGRATIONS: tuple[Migration, ...] = (_v1_initial, _v2_caches)
"""Migration ``i`` (0-based) takes a database from schema version ``i`` to ``i + 1``."""

_BUILD_COLUMNS = (
    'id, record_version, source, ref, "commit", root, status, phase, created_at, started_at, '
    "finished_at, exit_code, error, plan, steps, output, diagnosis, owner_pid, owner_host, "
    "caches, memo_key"
)

# update_build field → (column, encoder); encoders see None only for nullable columns.
_ENCODERS: dict[str, tuple[str, Callable[[Any], Any]]] = {
    "status": ("status", lambda v: Status(v).value),
    "phase": ("phase", lambda v: None if v is None else Phase(v).value),
    "commit": ('"commit"', lambda v: v),
    "root": ("root", lambda v: v),
    "started_at": ("started_at", lambda v: v),
    "finished_at": ("finished_at", lambda v: v),
    "exit_code": ("exit_code", lambda v: v),
    "error": ("error", lambda v: v),
    "plan": ("plan", lambda v: None if v is None else _dumps(v.to_dict())),
    "steps": ("steps", lambda v: _dumps([s.to_dict() for s in v or ()])),
    "output": ("output", lambda v: None if v is None else _dumps(v.to_dict())),
    "diagnosis": ("diagnosis", lambda v: None if v is None else _dumps(v)),
    "caches": ("caches", lambda v: None if v is None else _dumps(v)),
    "memo_key": ("memo_key", lambda v: v),
}
_NOT_NULL = frozenset({"status", "root"})


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


# --- the store ------------------------------------------------------------------------------


class Store:
    """Build history in one SQLite file. Safe to share between threads of one process."""

    def __init__(self, path: Path, *, timeout: float = 5.0) -> None:
        self.path = Path(path)
        self._lock = threading.RLock()
        self._host = socket.gethostname()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(
                f"cannot create the folder for the history database {self.path}: {exc}",
                hint="check the permissions, or point PITSTOP_HOME at a writable folder",
            ) from exc
        try:
            self._db = sqlite3.connect(
                self.path, timeout=timeout, isolation_level=None, check_same_thread=False
            )
        except sqlite3.Error as exc:
            raise self._error(exc) from exc
        try:
            self._configure(timeout)
            self._migrate()
        except BaseException:
            self._db.close()
            raise

    @classmethod
    def open_default(cls) -> Store:
        """The database under ``Paths.default()`` (honours ``PITSTOP_HOME``)."""
        return cls(Paths.default().database)

    def close(self) -> None:
        """Close the connection; further calls raise ``StoreError``. Idempotent."""
        with self._lock:
            self._db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Store({str(self.path)!r})"

    # -- plumbing

    def _configure(self, timeout: float) -> None:
        with self._guard():
            mode = self._db.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            self.journal_mode: str = str(mode).lower()
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute(f"PRAGMA busy_timeout={int(timeout * 1000)}")
            self._db.execute("PRAGMA foreign_keys=ON")
            # After a checkpoint, shrink a WAL that a burst of log lines made large.
            self._db.execute(f"PRAGMA journal_size_limit={64 * 1024 * 1024}")

    def _migrate(self) -> None:
        migrations = MIGRATIONS
        known = len(migrations)
        with self._guard():  # read first: an up-to-date file needs no write lock
            self._db.execute("BEGIN")
            try:
                version = self._schema_version(self._db)
            finally:
                self._db.execute("COMMIT")
        if version < known:
            with self._write() as db:
                db.execute(
                    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)"
                )
        if version > known:
            raise SchemaTooNew(
                f"the history database {self.path} has schema version {version}, "
                f"but this pitstop only knows versions up to {known}",
                hint="it was written by a newer pitstop: upgrade pitstop, "
                "or point PITSTOP_HOME at another folder",
            )
        for target in range(version + 1, known + 1):
            with self._write() as db:
                # Another process may have migrated while we waited for the write lock.
                if self._schema_version(db) >= target:
                    continue
                migrations[target - 1](db)
                db.execute(
                    "INSERT INTO meta (key, value) VALUES ('schema_version', ?) "
                    "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    (str(target),),
                )

    def _schema_version(self, db: sqlite3.Connection) -> int:
        has_meta = db.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'"
        ).fetchone()
        row = None
        if has_meta:
            row = db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        if row is None:
            others = db.execute(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table' "
                "AND name NOT IN ('meta', 'sqlite_sequence')"
            ).fetchone()[0]
            if others:
                raise CorruptDatabase(
                    f"{self.path} is an SQLite database, but not a pitstop history database",
                    hint="point PITSTOP_HOME at another folder, or move the file aside",
                )
            return 0
        try:
            return int(row[0])
        except ValueError:
            raise CorruptDatabase(
                f"the history database {self.path} has an unreadable schema version {row[0]!r}",
                hint=_corrupt_hint(self.path),
            ) from None

    def _error(self, exc: sqlite3.Error) -> StoreError:
        name = getattr(exc, "sqlite_errorname", "")
        if name in ("SQLITE_NOTADB", "SQLITE_CORRUPT") or name.startswith("SQLITE_CORRUPT"):
            return CorruptDatabase(
                f"the history database {self.path} is damaged or not an SQLite file ({exc})",
                hint=_corrupt_hint(self.path),
            )
        if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
            return StoreError(
                f"the history database {self.path} stayed locked by another process ({exc})",
                hint="another pitstop is writing to it; try again in a moment",
            )
        if name.startswith("SQLITE_FULL"):
            return StoreError(
                f"no space left for the history database {self.path} ({exc})",
                hint="free some disk space (`pitstop cache prune` can help)",
            )
        if name.startswith(("SQLITE_READONLY", "SQLITE_CANTOPEN", "SQLITE_PERM")):
            return StoreError(
                f"cannot open the history database {self.path} for writing ({exc})",
                hint="check that it is a writable file, or point PITSTOP_HOME at another folder",
            )
        if isinstance(exc, sqlite3.ProgrammingError) and "closed" in str(exc):
            return StoreError(f"the history database {self.path} is already closed")
        return StoreError(f"the history database {self.path} failed: {exc}")

    @contextmanager
    def _guard(self) -> Iterator[None]:
        """Hold the connection lock and turn sqlite errors into ``StoreError``."""
        with self._lock:
            try:
                yield
            except sqlite3.Error as exc:
                raise self._error(exc) from exc

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: ``BEGIN IMMEDIATE`` … ``COMMIT``, rolled back on any error."""
        with self._guard():
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _read(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run one SELECT to completion, so no read snapshot outlives the call."""
        with self._guard():
            cur = self._db.execute(sql, params)
            try:
                return cur.fetchall()
            finally:
                cur.close()

    def _require(self, db: sqlite3.Connection, build_id: int) -> None:
        if db.execute("SELECT 1 FROM builds WHERE id = ?", (build_id,)).fetchone() is None:
            raise NotFound(f"no build {build_id} in history", hint=_HISTORY_HINT)

    # -- builds

    def create_build(
        self, *, source: str, ref: str | None, root: str, created_at: float | None = None
    ) -> int:
        """Record a new ``queued`` build owned by this process; returns its id."""
        with self._write() as db:
            cur = db.execute(
                "INSERT INTO builds (record_version, source, ref, root, status, created_at, "
                "owner_pid, owner_host) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    len(MIGRATIONS),
                    source,
                    ref,
                    root,
                    Status.QUEUED.value,
                    time.time() if created_at is None else created_at,
                    os.getpid(),
                    self._host,
                ),
            )
            return int(cur.lastrowid or 0)

    def update_build(
        self,
        build_id: int,
        *,
        status: Status | _Unset | None = UNSET,
        phase: Phase | _Unset | None = UNSET,
        commit: str | _Unset | None = UNSET,
        root: str | _Unset | None = UNSET,
        started_at: float | _Unset | None = UNSET,
        finished_at: float | _Unset | None = UNSET,
        exit_code: int | _Unset | None = UNSET,
        error: str | _Unset | None = UNSET,
        plan: Plan | _Unset | None = UNSET,
        steps: Sequence[StepTiming] | _Unset | None = UNSET,
        output: OutputInfo | _Unset | None = UNSET,
        diagnosis: dict[str, Any] | _Unset | None = UNSET,
        caches: dict[str, Any] | _Unset | None = UNSET,
        memo_key: str | _Unset | None = UNSET,
    ) -> None:
        """Change only the given fields. ``None`` clears a field (``steps`` becomes empty);
        ``status`` and ``root`` cannot be cleared, so ``None`` leaves them unchanged."""
        given = {
            "status": status,
            "phase": phase,
            "commit": commit,
            "root": root,
            "started_at": started_at,
            "finished_at": finished_at,
            "exit_code": exit_code,
            "error": error,
            "plan": plan,
            "steps": steps,
            "output": output,
            "diagnosis": diagnosis,
            "caches": caches,
            "memo_key": memo_key,
        }
        sets: list[str] = ["record_version = ?"]
        values: list[Any] = [len(MIGRATIONS)]
        for name, value in given.items():
            if value is UNSET or (value is None and name in _NOT_NULL):
                continue
            column, encode = _ENCODERS[name]
            sets.append(f"{column} = ?")
            values.append(encode(value))  # encode before BEGIN: bad input writes nothing
        with self._write() as db:
            cur = db.execute(
                f"UPDATE builds SET {', '.join(sets)} WHERE id = ?", (*values, build_id)
            )
            if cur.rowcount == 0:
                raise NotFound(f"no build {build_id} in history", hint=_HISTORY_HINT)

    def get_build(self, build_id: int) -> BuildRecord:
        rows = self._read(f"SELECT {_BUILD_COLUMNS} FROM builds WHERE id = ?", (build_id,))
        if not rows:
            raise NotFound(f"no build {build_id} in history", hint=_HISTORY_HINT)
        return self._record(rows[0])

    def find_memo(self, memo_key: str) -> BuildRecord | None:
        """The newest succeeded build with this output-memo key, if any."""
        rows = self._read(
            f"SELECT {_BUILD_COLUMNS} FROM builds WHERE memo_key = ? AND status = ? "
            "ORDER BY id DESC LIMIT 1",
            (memo_key, Status.SUCCEEDED.value),
        )
        return self._record(rows[0]) if rows else None

    def resolve(self, ref: str) -> int:
        """A build id from user input: ``12`` / ``#12``, ``last`` / ``latest``, ``-1``, ``-2``…"""
        text = ref.strip().lower().removeprefix("#")
        if text in ("last", "latest"):
            text = "-1"
        try:
            number = int(text)
        except ValueError:
            raise NotFound(
                f"{ref!r} is not a build: use an id like 12, `last`, or -2 for the one before",
                hint=_HISTORY_HINT,
            ) from None
        if number > 0:
            if self._read("SELECT 1 FROM builds WHERE id = ?", (number,)):
                return number
            raise NotFound(f"no build {number} in history", hint=_HISTORY_HINT)
        if number < 0:
            rows = self._read(
                "SELECT id FROM builds ORDER BY id DESC LIMIT 1 OFFSET ?", (-number - 1,)
            )
            if rows:
                return int(rows[0][0])
            total = self._read("SELECT count(*) FROM builds")[0][0]
            what = "no builds yet" if total == 0 else f"only {total} build(s)"
            raise NotFound(
                f"cannot go back {-number} build(s): history has {what}", hint=_HISTORY_HINT
            )
        raise NotFound("build ids start at 1", hint=_HISTORY_HINT)

    def list_builds(
        self, *, limit: int = 20, status: Status | None = None, source: str | None = None
    ) -> list[BuildRecord]:
        """Newest first, optionally only one status and/or one source."""
        where, params = [], []
        if status is not None:
            where.append("status = ?")
            params.append(Status(status).value)
        if source is not None:
            where.append("source = ?")
            params.append(source)
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        rows = self._read(
            f"SELECT {_BUILD_COLUMNS} FROM builds {clause} ORDER BY id DESC LIMIT ?",
            (*params, limit),
        )
        return [self._record(r) for r in rows]

    def failed_builds(
        self,
        after_id: int = 0,
        limit: int = 500,
        *,
        statuses: Sequence[Status] = (Status.FAILED,),
    ) -> list[BuildRecord]:
        """Builds in ``statuses`` with id > ``after_id``, ascending: page with the last id."""
        marks = ", ".join("?" * len(statuses))
        rows = self._read(
            f"SELECT {_BUILD_COLUMNS} FROM builds WHERE status IN ({marks}) AND id > ? "
            "ORDER BY id LIMIT ?",
            (*(Status(s).value for s in statuses), after_id, limit),
        )
        return [self._record(r) for r in rows]

    def reap_abandoned(self, build_id: int | None = None) -> list[int]:
        """Mark ``queued``/``running`` builds whose owner process on this host is gone as
        ``errored``; returns their ids. Builds owned by other hosts are left alone.
        ``build_id`` limits the check to one build."""
        only = "" if build_id is None else " AND id = ?"
        rows = self._read(
            "SELECT id, owner_pid FROM builds WHERE status IN (?, ?) AND owner_host = ? "
            f"AND owner_pid IS NOT NULL{only} ORDER BY id",
            (*_ACTIVE, self._host, *(() if build_id is None else (build_id,))),
        )
        dead = [(int(i), int(pid)) for i, pid in rows if not pid_alive(int(pid))]
        reaped: list[int] = []
        if not dead:
            return reaped
        now = time.time()
        with self._write() as db:
            for dead_id, pid in dead:
                cur = db.execute(
                    "UPDATE builds SET status = ?, error = ?, "
                    "finished_at = coalesce(finished_at, ?), record_version = ? "
                    "WHERE id = ? AND status IN (?, ?) AND owner_pid = ?",
                    (
                        Status.ERRORED.value,
                        f"pitstop process {pid} ended before the build finished",
                        now,
                        len(MIGRATIONS),
                        dead_id,
                        *_ACTIVE,
                        pid,
                    ),
                )
                if cur.rowcount:
                    reaped.append(dead_id)
        return reaped

    def _record(self, row: tuple[Any, ...]) -> BuildRecord:
        (
            id_,
            _record_version,
            source,
            ref,
            commit,
            root,
            status,
            phase,
            created_at,
            started_at,
            finished_at,
            exit_code,
            error,
            plan,
            steps,
            output,
            diagnosis,
            _pid,
            _host,
            caches,
            memo_key,
        ) = row
        try:
            return BuildRecord(
                id=id_,
                source=source,
                ref=ref,
                commit=commit,
                root=root,
                status=Status(status),
                phase=Phase(phase) if phase else None,
                created_at=created_at,
                started_at=started_at,
                finished_at=finished_at,
                exit_code=exit_code,
                error=error,
                plan=Plan.from_dict(json.loads(plan)) if plan else None,
                steps=tuple(StepTiming.from_dict(s) for s in json.loads(steps or "[]")),
                output=OutputInfo(**json.loads(output)) if output else None,
                diagnosis=json.loads(diagnosis) if diagnosis else None,
                caches=json.loads(caches) if caches else None,
                memo_key=memo_key,
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise CorruptDatabase(
                f"build {id_} in the history database {self.path} cannot be read ({exc!r})",
                hint="it may have been written by another pitstop version",
            ) from exc

    # -- log lines

    def append_lines(self, build_id: int, lines: Sequence[LogLine]) -> None:
        """Store ``lines`` in one transaction (all or none)."""
        rows = [(build_id, ln.seq, ln.ts, ln.step, str(ln.stream), ln.text) for ln in lines]
        with self._write() as db:
            self._require(db, build_id)
            try:
                db.executemany(
                    "INSERT INTO log_lines (build_id, seq, ts, step, stream, text) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    rows,
                )
            except sqlite3.IntegrityError as exc:
                raise StoreError(
                    f"log lines for build {build_id} repeat a sequence number ({exc})",
                    hint="write each build's log through one LogWriter",
                ) from exc

    def read_lines(
        self, build_id: int, *, after_seq: int = 0, limit: int | None = None
    ) -> list[LogLine]:
        """Lines with seq > ``after_seq`` in seq order, at most ``limit`` of them."""
        rows = self._read(
            "SELECT seq, ts, step, stream, text FROM log_lines WHERE build_id = ? AND seq > ? "
            "ORDER BY seq LIMIT ?",
            (build_id, after_seq, -1 if limit is None else limit),
        )
        seen: dict[str, str] = {}  # one str per step and stream name, not one per line
        return [
            LogLine(seq, ts, seen.setdefault(step, step), seen.setdefault(stream, stream), text)
            for seq, ts, step, stream, text in rows
        ]

    def read_texts(
        self, build_id: int, *, after_seq: int = 0, limit: int | None = None
    ) -> list[tuple[int, str, str]]:
        """``(seq, step, text)`` of lines with seq > ``after_seq``, in seq order."""
        return self._read(
            "SELECT seq, step, text FROM log_lines WHERE build_id = ? AND seq > ? "
            "ORDER BY seq LIMIT ?",
            (build_id, after_seq, -1 if limit is None else limit),
        )  # type: ignore[return-value]

    def read_text_block(
        self, build_id: int, *, after_seq: int = 0, limit: int
    ) -> tuple[int, int, int, str] | None:
        """The texts of the next ``limit`` lines after ``after_seq`` joined by newlines in
        one string, as ``(first seq, last seq, count, text)``; None when there are none.

        The cheap read for scans over very long logs: SQLite joins the texts (without
        holding the GIL), so Python makes one object per block instead of one per line.
        """
        rows = self._read(
            f"SELECT min(seq), max(seq), count(*), {_JOIN_TEXTS} FROM (SELECT seq, text "
            "FROM log_lines WHERE build_id = ? AND seq > ? ORDER BY seq LIMIT ?)",
            (build_id, after_seq, limit),
        )
        first, last, count, text = rows[0]
        return None if not count else (first, last, count, text)

    def read_step_runs(
        self, build_id: int, *, after_seq: int = 0, max_runs: int = 64
    ) -> list[tuple[str, int, int]]:
        """Runs of one step, ``(step, first seq, last seq)`` in seq order, covering every
        line after ``after_seq`` (up to ``max_runs`` runs): step sections without reading
        a line's text. The last run ends at the last stored line.

        One indexed query per run, all in one read snapshot, so a writer appending lines
        meanwhile cannot make a run claim a line of the next step.
        """
        runs: list[tuple[str, int, int]] = []
        with self._guard():
            db = self._db
            db.execute("BEGIN")
            try:
                row = db.execute(
                    "SELECT seq, step FROM log_lines WHERE build_id = ? AND seq > ? "
                    "ORDER BY seq LIMIT 1",
                    (build_id, after_seq),
                ).fetchone()
                while row is not None and len(runs) < max_runs:
                    first, step = row
                    row = db.execute(
                        "SELECT seq, step FROM log_lines WHERE build_id = ? AND seq > ? "
                        "AND step != ? ORDER BY seq LIMIT 1",
                        (build_id, first, step),
                    ).fetchone()
                    (last,) = db.execute(
                        "SELECT max(seq) FROM log_lines WHERE build_id = ? AND seq < ?",
                        (build_id, row[0] if row else 1 << 62),
                    ).fetchone()
                    runs.append((step, first, last))
            finally:
                db.execute("COMMIT")
        return runs

    def iter_lines(self, build_id: int, *, batch: int = 5000) -> Iterator[LogLine]:
        """All lines of a build, read ``batch`` at a time (memory stays flat)."""
        after = 0
        while True:
            chunk = self.read_lines(build_id, after_seq=after, limit=batch)
            yield from chunk
            if len(chunk) < batch:
                return
            after = chunk[-1].seq

    def line_count(self, build_id: int) -> int:
        return int(
            self._read("SELECT count(*) FROM log_lines WHERE build_id = ?", (build_id,))[0][0]
        )

    def last_seq(self, build_id: int) -> int:
        """The highest stored seq of a build (0 if none); ``NotFound`` if there is no build."""
        rows = self._read(
            "SELECT (SELECT 1 FROM builds WHERE id = ?), "
            "(SELECT max(seq) FROM log_lines WHERE build_id = ?)",
            (build_id, build_id),
        )
        exists, last = rows[0]
        if exists is None:
            raise NotFound(f"no build {build_id} in history", hint=_HISTORY_HINT)
        return int(last or 0)

    def follow(
        self,
        build_id: int,
        *,
        after_seq: int = 0,
        poll: float = 0.05,
        should_stop: Callable[[], bool] | None = None,
        batch: int = 5000,
    ) -> Iterator[LogLine]:
        """Yield every line once, in seq order, until the build is terminal and all its lines
        are read (or ``should_stop()`` is true). Nothing stays open between polls.

        While idle it checks about once a second that the build's owner process is alive;
        if it is gone the build is reaped (``errored``), so following it ends."""
        cursor = after_seq
        next_owner_check = time.monotonic() + _OWNER_CHECK
        while True:
            with self._guard():
                # Status and lines from one snapshot: terminal + nothing new means done.
                self._db.execute("BEGIN")
                try:
                    row = self._db.execute(
                        "SELECT status FROM builds WHERE id = ?", (build_id,)
                    ).fetchone()
                    rows = self._db.execute(
                        "SELECT seq, ts, step, stream, text FROM log_lines "
                        "WHERE build_id = ? AND seq > ? ORDER BY seq LIMIT ?",
                        (build_id, cursor, batch),
                    ).fetchall()
                finally:
                    self._db.execute("COMMIT")
            if row is None:
                raise NotFound(f"no build {build_id} in history", hint=_HISTORY_HINT)
            for r in rows:
                yield LogLine(*r)
            if rows:
                cursor = rows[-1][0]
            if should_stop is not None and should_stop():
                return
            if len(rows) == batch:
                continue
            if not rows and Status(row[0]).terminal:
                return
            if not rows:
                if time.monotonic() >= next_owner_check:
                    self.reap_abandoned(build_id)
                    next_owner_check = time.monotonic() + _OWNER_CHECK
                time.sleep(poll)

    def checkpoint(self, *, truncate: bool = False) -> bool:
        """Copy the WAL into the database file (``truncate`` also empties the WAL file).
        Returns False if a reader kept it from finishing."""
        mode = "TRUNCATE" if truncate else "PASSIVE"
        busy, _log, _done = self._read(f"PRAGMA wal_checkpoint({mode})")[0]
        return busy == 0

    # -- diagnoses and small state (reclassify)

    def count_builds(self, *, statuses: Sequence[Status], after_id: int = 0) -> int:
        """How many builds in ``statuses`` have id > ``after_id``."""
        marks = ", ".join("?" * len(statuses))
        rows = self._read(
            f"SELECT count(*) FROM builds WHERE status IN ({marks}) AND id > ?",
            (*(Status(s).value for s in statuses), after_id),
        )
        return int(rows[0][0])

    def log_texts(self, build_id: int) -> list[str]:
        """Every line's text of a build in seq order (the classifier's input)."""
        rows = self._read("SELECT text FROM log_lines WHERE build_id = ? ORDER BY seq", (build_id,))
        return [r[0] for r in rows]

    def get_meta(self, key: str) -> str | None:
        """A value kept under ``key`` (e.g. a resumable command's cursor), or None."""
        rows = self._read("SELECT value FROM meta WHERE key = ?", (key,))
        return str(rows[0][0]) if rows else None

    def set_meta(self, key: str, value: str | None) -> None:
        """Keep ``value`` under ``key``; ``None`` removes it."""
        self.set_diagnoses({}, meta={key: value})

    def set_diagnoses(
        self,
        diagnoses: Mapping[int, dict[str, Any] | None],
        *,
        meta: Mapping[str, str | None] | None = None,
    ) -> int:
        """Replace the diagnosis of many builds and set ``meta`` keys in one transaction
        (so a cursor moves exactly with the work it records); returns rows changed."""
        for key in meta or {}:
            if key == "schema_version":
                raise ValueError("schema_version is managed by migrations")
        rows = [
            (len(MIGRATIONS), None if d is None else _dumps(d), int(i))
            for i, d in diagnoses.items()
        ]
        with self._write() as db:
            changed = 0
            if rows:
                before = db.total_changes
                db.executemany(
                    "UPDATE builds SET record_version = ?, diagnosis = ? WHERE id = ?", rows
                )
                changed = db.total_changes - before
            for key, value in (meta or {}).items():
                if value is None:
                    db.execute("DELETE FROM meta WHERE key = ?", (key,))
                else:
                    db.execute(
                        "INSERT INTO meta (key, value) VALUES (?, ?) "
                        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                        (key, value),
                    )
            return changed


def _corrupt_hint(path: Path) -> str:
    return (
        f"pitstop did not change it; move {path.name} aside (it holds your build history) "
        "and pitstop will start a new one"
    )


# --- buffered writer ------------------------------------------------------------------------


class LogWriter:
    """Buffered writer for one build: assigns seq (1, 2, 3… no gaps) and flushes every
    ``interval`` seconds (100 ms) or ``max_lines`` lines (1000), whichever comes first.

    A background thread flushes idle buffers; a failed background flush is raised by the
    next ``add``/``flush``/``close`` (the lines stay buffered and are retried).
    """

    def __init__(
        self, store: Store, build_id: int, *, interval: float = 0.1, max_lines: int = 1000
    ) -> None:
        self.build_id = build_id
        self._store = store
        self._interval = interval
        self._max_lines = max_lines
        self._seq = store.last_seq(build_id)  # continue after lines already stored
        self._buffer: list[LogLine] = []
        self._oldest = 0.0  # monotonic time the oldest buffered line arrived
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._failure: BaseException | None = None
        self._closed = False

    @property
    def last_seq(self) -> int:
        """The seq of the latest line added (stored or still buffered)."""
        return self._seq

    def add(self, step: str, stream: str, text: str, ts: float | None = None) -> LogLine:
        with self._lock:
            if self._closed or self._failure is not None:
                self._check()
            self._seq += 1
            line = LogLine(self._seq, time.time() if ts is None else ts, step, str(stream), text)
            buffer = self._buffer
            if not buffer:
                self._oldest = time.monotonic()
            buffer.append(line)
            if len(buffer) >= self._max_lines:
                self._flush_locked()
            elif self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name=f"pitstop-log-{self.build_id}", daemon=True
                )
                self._thread.start()
        return line

    def flush(self) -> None:
        """Write buffered lines now (also retries after a failed background flush)."""
        with self._lock:
            self._failure = None
            self._flush_locked()

    def close(self) -> None:
        """Flush what is buffered and stop the timer thread. Idempotent."""
        if self._closed:
            return
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        with self._lock:
            self._closed = True
            self._failure = None
            self._flush_locked()

    def __enter__(self) -> LogWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _check(self) -> None:
        if self._closed:
            raise StoreError(f"the log writer for build {self.build_id} is closed")
        if self._failure is not None:
            failure, self._failure = self._failure, None
            raise failure

    def _flush_locked(self) -> None:
        if self._buffer:
            self._store.append_lines(self.build_id, self._buffer)
            self._buffer = []

    def _run(self) -> None:
        tick = max(self._interval / 2, 0.005)
        while not self._stop.wait(tick):
            with self._lock:
                if not self._buffer or time.monotonic() - self._oldest < self._interval:
                    continue
                try:
                    self._flush_locked()
                except BaseException as exc:  # surfaced by the next add/flush/close
                    self._failure = exc
