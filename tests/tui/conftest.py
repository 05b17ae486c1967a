"""Fixture builds for the viewer, written through the store's public API."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from runner.models import OutputInfo, Phase, Status, StepTiming
from runner.store import LogWriter, Store

T0 = 1_735_812_000.0  # 2025-01-02 10:00:00 UTC: fixed so screens are reproducible

DIAGNOSIS = {
    "code": "missing-module",
    "phase": "build",
    "title": "A module could not be resolved",
    "explanation": "The bundler could not find 'left-pad', imported from src/main.js.",
    "fix": "Add it to package.json dependencies and commit the lockfile.",
    "evidence": [
        {"line": 16, "text": "Error: Cannot find module 'left-pad'"},
        {"line": 19, "text": "    at src/main.js:3:1"},
    ],
    "secondary": ["node-version-mismatch"],
}


@pytest.fixture(autouse=True)
def viewer_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Colours on (snapshots show them) and a fixed time zone for timestamps."""
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(tmp_path / "history.sqlite") as s:
        yield s


def add_build(
    store: Store,
    *,
    source: str = "acme/site",
    ref: str | None = "main",
    commit: str | None = "4f1c2a9e7b3d5f60a1b2",
    status: Status = Status.SUCCEEDED,
    created_at: float = T0,
    lines: list[tuple[str, str, str]] | None = None,
    diagnosis: dict | None = None,
    phase: Phase | None = None,
    output: OutputInfo | None = None,
) -> int:
    """A finished (or running) build with ``lines`` of (step, stream, text), 0.25 s apart."""
    build_id = store.create_build(source=source, ref=ref, root=".", created_at=created_at)
    lines = lines or []
    writer = LogWriter(store, build_id)
    steps: list[StepTiming] = []
    current, started = None, created_at
    for i, (step, stream, text) in enumerate(lines):
        ts = created_at + 0.25 * (i + 1)
        if step != current:
            if current is not None:
                steps.append(StepTiming(current, started, ts, exit_code=0))
            current, started = step, ts
        writer.add(step, stream, text, ts=ts)
    writer.close()
    end = created_at + 0.25 * (len(lines) + 1)
    if current is not None:
        failed = status == Status.FAILED
        steps.append(StepTiming(current, started, end, exit_code=1 if failed else 0))
    store.update_build(
        build_id,
        status=status,
        commit=commit,
        started_at=created_at,
        finished_at=end if status.terminal else None,
        steps=steps,
        phase=phase,
        diagnosis=diagnosis,
        output=output,
        error="build failed: `npm run build` exited with code 1"
        if status == Status.FAILED
        else None,
    )
    return build_id


def failing_lines() -> list[tuple[str, str, str]]:
    lines = [
        ("clone", "system", "pitstop: source acme/site"),
        ("clone", "system", "pitstop: building 4f1c2a9e7b3d"),
    ]
    lines += [("install", "system", "$ npm ci")]
    lines += [
        ("install", "stdout", f"\x1b[32madded\x1b[0m {n} packages in {n / 10:.1f}s")
        for n in range(5, 50, 5)
    ]
    lines += [("build", "system", "$ npm run build")]
    lines += [("build", "stdout", "> site@1.0.0 build"), ("build", "stdout", "> vite build")]
    lines += [("build", "stderr", "Error: Cannot find module 'left-pad'")]
    lines += [
        ("build", "stderr", "Require stack:"),
        ("build", "stderr", "- /workspace/src/main.js"),
    ]
    lines += [("build", "stderr", "    at src/main.js:3:1")]
    lines += [("build", "stderr", "warning: " + "x" * 300_000)]
    lines += [
        ("build", "stdout", f"\x1b[33mwarn\x1b[0m unused export {name}") for name in ("a", "b", "c")
    ]
    return lines


@pytest.fixture
def builds(store: Store) -> dict[str, int]:
    return make_builds(store)


def make_builds(store: Store) -> dict[str, int]:
    """Three builds: an old success, a failure with a diagnosis, a newer success."""
    ok = add_build(
        store,
        lines=[("install", "stdout", "ok"), ("build", "stdout", "built in 1.2s")],
        output=OutputInfo("/tmp/pitstop/outputs/1", 12, 34567),
    )
    failed = add_build(
        store,
        source="acme/shop",
        ref="feature/cart",
        commit="9a8b7c6d5e4f3a2b1c0d",
        status=Status.FAILED,
        phase=Phase.BUILD,
        created_at=T0 + 3600,
        lines=failing_lines(),
        diagnosis=DIAGNOSIS,
    )
    newer = add_build(
        store,
        source=".",
        ref=None,
        commit=None,
        created_at=T0 + 7200,
        lines=[("build", "stdout", "done")],
    )
    return {"ok": ok, "failed": failed, "newer": newer}


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    """Run ``async def`` tests on a fresh event loop (Pilot needs one; no plugin needed)."""
    if not inspect.iscoroutinefunction(pyfuncitem.obj):
        return None
    names = pyfuncitem._fixtureinfo.argnames
    asyncio.run(pyfuncitem.obj(**{name: pyfuncitem.funcargs[name] for name in names}))
    return True
