"""Events a build emits; sinks (console, store, NDJSON) consume them.

Each event is a frozen dataclass whose ``to_dict()`` carries a ``type`` field; that dict is
exactly one line of ``--json`` output (see README, "NDJSON events").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any, ClassVar


@dataclass(frozen=True)
class Event:
    """Base class: ``type`` names the event in NDJSON."""

    type: ClassVar[str] = "event"

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.type, **asdict(self)}


@dataclass(frozen=True)
class BuildStarted(Event):
    type: ClassVar[str] = "build_started"
    build_id: int
    source: str
    ref: str | None
    ts: float


@dataclass(frozen=True)
class SourceResolved(Event):
    type: ClassVar[str] = "source_resolved"
    build_id: int
    commit: str | None
    root: str
    snapshot: bool
    ts: float


@dataclass(frozen=True)
class PlanReady(Event):
    type: ClassVar[str] = "plan"
    build_id: int
    plan: dict[str, Any]
    ts: float


@dataclass(frozen=True)
class StepStarted(Event):
    type: ClassVar[str] = "step_started"
    build_id: int
    step: str
    command: str | None
    ts: float


@dataclass(frozen=True)
class Log(Event):
    type: ClassVar[str] = "log"
    build_id: int
    seq: int
    step: str
    stream: str
    text: str
    ts: float


@dataclass(frozen=True)
class Progress(Event):
    """Long preparation work (image bootstrap) reporting what it is doing."""

    type: ClassVar[str] = "progress"
    build_id: int | None
    task: str
    message: str
    ts: float


@dataclass(frozen=True)
class StepFinished(Event):
    type: ClassVar[str] = "step_finished"
    build_id: int
    step: str
    status: str
    exit_code: int | None
    duration: float
    ts: float
    note: str | None = None


@dataclass(frozen=True)
class BuildFinished(Event):
    type: ClassVar[str] = "build_finished"
    build_id: int
    status: str
    phase: str | None
    exit_code: int | None
    error: str | None
    hint: str | None
    duration: float
    output: dict[str, Any] | None
    diagnosis: dict[str, Any] | None
    ts: float


Sink = Callable[[Event], None]


def fan_out(*sinks: Sink) -> Sink:
    """One sink that forwards every event to each of ``sinks`` in order."""

    def emit(event: Event) -> None:
        for sink in sinks:
            sink(event)

    return emit
