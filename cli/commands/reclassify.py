"""``pitstop reclassify``: re-read every stored failed build with the current rules.

Idempotent (a diagnosis is replaced only when the current rules say something else) and
resumable: each batch of new diagnoses is written in the same transaction as a cursor
(the ``reclassify.state`` meta key), so after an interruption the next run continues
after the last build written and every build is reclassified exactly once.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import multiprocessing
import os
import signal
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import typer

if TYPE_CHECKING:
    from rich.console import Console

    from runner.models import BuildRecord
    from runner.store import Store

STATE_KEY = "reclassify.state"
BATCH = 200  # builds per read page and per write transaction
MAX_KEPT_CHANGES = 1000  # changes remembered across an interruption
SHOWN = 30  # changes listed in the human report
PARALLEL_MIN = 400  # builds left before worker processes are worth their start-up


def register(app: typer.Typer) -> None:
    app.command("reclassify")(reclassify)


def rules_fingerprint() -> str:
    """Identifies the rule table, so a resumed run knows the rules did not change."""
    from runner.diagnose import RULES

    return hashlib.sha256(repr(RULES).encode()).hexdigest()[:16]


@dataclass
class Progress:
    """What a (possibly resumed) reclassification has done so far; kept as JSON."""

    fingerprint: str
    cursor: int = 0
    started_at: float = field(default_factory=time.time)
    resumed_from: int | None = None
    processed: int = 0
    unchanged: int = 0
    updated: int = 0  # same code, new details (group, evidence, wording)
    kept: int = 0  # verdicts the runner knew without the log
    changed_total: int = 0
    changed: list[dict[str, Any]] = field(default_factory=list)
    transitions: Counter[str] = field(default_factory=Counter)
    errors: list[int] = field(default_factory=list)

    def to_json(self) -> str:
        data = {**self.__dict__, "transitions": dict(self.transitions)}
        return json.dumps(data, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> Progress:
        data = json.loads(text)
        data["transitions"] = Counter(data.get("transitions", {}))
        return cls(**data)

    def record(self, build_id: int, old: dict[str, Any] | None, new: dict[str, Any]) -> bool:
        """Count one build's outcome; True if its stored diagnosis must be replaced."""
        self.processed += 1
        if old == new:
            self.unchanged += 1
            return False
        old_code = (old or {}).get("code")
        if old_code == new.get("code"):
            self.updated += 1
            return True
        self.changed_total += 1
        self.transitions[f"{old_code or 'none'} → {new.get('code')}"] += 1
        if len(self.changed) < MAX_KEPT_CHANGES:
            self.changed.append({"build": build_id, "old": old_code, "new": new.get("code")})
        return True

    def report(self, total: int, seconds: float) -> dict[str, Any]:
        """The summary printed at the end (``seconds``: this invocation's run time)."""
        return {
            "total": total,
            "processed": self.processed,
            "changed": self.changed,
            "changed_total": self.changed_total,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "kept": self.kept,
            "errors": self.errors,
            "resumed_from": self.resumed_from,
            "seconds": round(seconds, 3),
            "transitions": [
                {"old": k.split(" → ")[0], "new": k.split(" → ")[1], "count": n}
                for k, n in self.transitions.most_common()
            ],
        }


def classify(record: BuildRecord, lines: list[str]) -> dict[str, Any]:
    """The current rules' diagnosis of one stored build, JSON-normalised."""
    from cli.commands.explain import rediagnose

    return json.loads(json.dumps(rediagnose(record, lines)))


def default_jobs() -> int:
    """Worker processes to use: the CPUs this process may run on (at most 8)."""
    try:
        n = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        n = os.cpu_count() or 1
    return max(1, min(n, 8))


_WORKER_STORE: Store | None = None


def _init_worker(db: str) -> None:
    global _WORKER_STORE
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and saves
    from runner.store import Store

    _WORKER_STORE = Store(Path(db))


def _work(task: tuple[int, dict[str, Any]]) -> dict[str, Any] | None:
    """In a worker: read one build's lines and classify them (None if that failed)."""
    from runner.diagnose import diagnose

    build_id, inputs = task
    assert _WORKER_STORE is not None
    try:
        lines = _WORKER_STORE.log_texts(build_id)
        return json.loads(json.dumps(diagnose(lines, **inputs).to_dict()))
    except Exception:
        return None


_KEPT: Final = "kept"


def _outcomes(
    page: list[BuildRecord], store: Store, pool: Executor | None
) -> Iterator[tuple[BuildRecord, dict[str, Any] | str | None]]:
    """Each build of a page with its new diagnosis (``_KEPT``, or None on error), in order."""
    from cli.commands.explain import classifier_inputs, runner_known

    known = [runner_known(r.diagnosis) for r in page]
    results: Iterator[dict[str, Any] | None] | None = None
    if pool is not None:
        tasks = [(r.id, classifier_inputs(r)) for r, k in zip(page, known, strict=True) if not k]
        results = pool.map(_work, tasks, chunksize=4)
    for record, is_known in zip(page, known, strict=True):
        if is_known:
            yield record, _KEPT
        elif results is not None:
            yield record, next(results)
        else:
            try:
                yield record, classify(record, store.log_texts(record.id))
            except Exception:  # one unreadable build must not stop the run
                yield record, None


def run(
    store: Store, *, restart: bool = False, on_build: Any = None, jobs: int | None = None
) -> tuple[Progress, int]:
    """Reclassify every failed/timed-out build after the saved cursor (or all with
    ``restart``); returns the progress and how many builds the whole run covers.
    ``on_build(n)`` is called after each build; with many builds left, ``jobs`` worker
    processes classify in parallel. Interruptions keep the work already written."""
    with _single_run(store.path.with_name("reclassify.lock")):
        return _run(store, restart=restart, on_build=on_build, jobs=jobs)


@contextlib.contextmanager
def _single_run(path: Path) -> Iterator[None]:
    """Refuse to run while another ``pitstop reclassify`` works on the same history."""
    from runner.errors import EnvironmentProblem

    try:
        import fcntl
    except ImportError:  # not POSIX: no lock
        yield
        return
    with open(path, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise EnvironmentProblem(
                "another `pitstop reclassify` is already running on this history",
                hint="wait for it to finish; an interrupted run resumes where it stopped",
            ) from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _run(store: Store, *, restart: bool, on_build: Any, jobs: int | None) -> tuple[Progress, int]:
    from runner.models import Status

    statuses = (Status.FAILED, Status.TIMED_OUT)
    fingerprint = rules_fingerprint()
    saved = None if restart else store.get_meta(STATE_KEY)
    progress = Progress(fingerprint)
    if saved:
        try:
            previous = Progress.from_json(saved)
        except (ValueError, TypeError):
            previous = None
        if previous is not None and previous.fingerprint == fingerprint:
            progress = previous
            progress.resumed_from = progress.cursor
    left = store.count_builds(statuses=statuses, after_id=progress.cursor)
    total = progress.processed + left
    jobs = default_jobs() if jobs is None else jobs
    pool = None
    if jobs > 1 and left >= PARALLEL_MIN:
        pool = ProcessPoolExecutor(
            max_workers=jobs,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_init_worker,
            initargs=(str(store.path),),
        )
    pending: dict[int, dict[str, Any]] = {}

    def save(cursor: int) -> None:
        progress.cursor = cursor
        store.set_diagnoses(pending, meta={STATE_KEY: progress.to_json()})
        pending.clear()

    try:
        while True:
            page = store.failed_builds(progress.cursor, BATCH, statuses=statuses)
            if not page:
                break
            done = progress.cursor
            try:
                for record, new in _outcomes(page, store, pool):
                    if new is _KEPT:
                        progress.processed += 1
                        progress.kept += 1
                    elif new is None or isinstance(new, str):
                        progress.processed += 1
                        progress.errors.append(record.id)
                    elif progress.record(record.id, record.diagnosis, new):
                        pending[record.id] = new
                    done = record.id
                    if on_build is not None:
                        on_build(progress.processed)
            except BaseException:
                if done != progress.cursor:
                    with contextlib.suppress(Exception):  # the first failure is the one to see
                        save(done)  # keep what this page finished
                raise
            save(page[-1].id)
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
    store.set_meta(STATE_KEY, None)
    return progress, total


def reclassify(
    ctx: typer.Context,
    restart: bool = typer.Option(
        False, "--restart", help="Start over instead of resuming an interrupted run."
    ),
    jobs: int = typer.Option(
        0, "--jobs", "-j", help="Worker processes (0: one per CPU; 1: no workers)."
    ),
    json_out: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """Re-run the current rules over every stored failed build and report what changed."""
    from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeRemainingColumn

    from runner.errors import UsageError
    from runner.models import Status

    if jobs < 0:
        raise UsageError("--jobs cannot be negative", hint="0 uses one worker per CPU")
    app_ctx = ctx.obj
    store = app_ctx.store
    err = app_ctx.err_console
    bar = None
    if err.is_terminal:
        from rich.progress import Progress as Bar

        bar = Bar(
            TextColumn("reclassifying"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=err,
            transient=True,
        )
    task = None

    def tick(n: int) -> None:
        if bar is not None and task is not None:
            bar.update(task, completed=n)

    t0 = time.monotonic()
    try:
        if bar is not None:
            bar.start()
            statuses = (Status.FAILED, Status.TIMED_OUT)
            task = bar.add_task("reclassify", total=store.count_builds(statuses=statuses))
        progress, total = run(store, restart=restart, on_build=tick, jobs=jobs or None)
    except KeyboardInterrupt:
        if bar is not None:
            bar.stop()
        err.print(
            "reclassify interrupted; what was done is saved: run `pitstop reclassify` "
            "again to continue",
            markup=False,
        )
        raise typer.Exit(130) from None
    finally:
        if bar is not None:
            bar.stop()
    report = progress.report(total, time.monotonic() - t0)
    if json_out:
        typer.echo(json.dumps(report, indent=2))
        return
    _print(app_ctx.console, report)


def _print(console: Console, report: dict[str, Any]) -> None:
    from rich.text import Text

    if not report["total"]:
        console.print("no failed builds to reclassify")
        return
    head = Text(f"reclassified {report['processed']} failed build(s)", style="bold")
    head.append(f" in {report['seconds']:.1f}s")
    if report["resumed_from"] is not None:
        head.append(f" (resumed after build #{report['resumed_from']})", style="dim")
    console.print(head)
    console.print(
        f"  {report['changed_total']} changed, {report['updated']} updated details, "
        f"{report['unchanged']} unchanged"
        + (f", {report['kept']} kept (known to the runner)" if report["kept"] else ""),
        markup=False,
    )
    for change in report["changed"][:SHOWN]:
        console.print(
            Text.assemble(
                (f"  #{change['build']:<6} ", "bold"),
                (str(change["old"] or "none"), "dim"),
                " → ",
                (str(change["new"]), "cyan"),
            )
        )
    more = report["changed_total"] - min(SHOWN, len(report["changed"]))
    if more > 0:
        console.print(f"  … and {more} more (`--json` lists them)", markup=False)
    if len(report["transitions"]) > 1 or more > 0:
        console.print(Text("by change", style="bold"))
        for t in report["transitions"]:
            console.print(f"  {t['count']:>6}  {t['old']} → {t['new']}", markup=False)
    if report["errors"]:
        ids = ", ".join(f"#{i}" for i in report["errors"][:10])
        console.print(
            Text(f"could not reclassify {len(report['errors'])} build(s): {ids}", style="red")
        )
