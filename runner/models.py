"""Frozen data passed between pitstop's stages: plans, log lines, build records.

Every noun here is a frozen dataclass with ``to_dict()`` (JSON-ready) and, where it is
stored, ``from_dict()``. Nothing in this module does I/O.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any


class Status(StrEnum):
    """Lifecycle of one build: queued → running → one terminal state."""

    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELED = "canceled"
    TIMED_OUT = "timed_out"
    ERRORED = "errored"

    @property
    def terminal(self) -> bool:
        return self not in (Status.QUEUED, Status.RUNNING)


class Phase(StrEnum):
    """Where a build failed: the failure categories of a hosted build system."""

    INIT = "init"
    CLONE = "clone"
    INSTALL = "install"
    BUILD = "build"
    OUTPUT = "output"
    HEALTH = "health"
    TIMEOUT = "timeout"


class Stream(StrEnum):
    """Which stream a log line came from; ``system`` lines are pitstop's own."""

    STDOUT = "stdout"
    STDERR = "stderr"
    SYSTEM = "system"


@dataclass(frozen=True)
class Choice:
    """One detected value and why it was chosen (``source`` is human-readable)."""

    value: str | None
    source: str

    def to_dict(self) -> dict[str, Any]:
        return {"value": self.value, "source": self.source}


@dataclass(frozen=True)
class PackageManager:
    """The package manager a plan installs with; ``version`` None means the image's own."""

    name: str
    version: str | None
    source: str
    integrity: str | None = None  # ``algo.hex`` the download must match (packageManager +hash)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Runtime:
    """A language runtime (``node``, ``python``) at a version, with the reason."""

    name: str
    version: str
    source: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Framework:
    """The detected framework (``id`` is stable, ``name`` is for people)."""

    id: str
    name: str
    source: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Plan:
    """Everything needed to build one app, decided before any container starts.

    Paths (``root``, ``workspace_root``, ``output_dir``, ``cache_dirs``) are POSIX paths
    relative to the repository (checkout) root; ``output_dir`` and ``cache_dirs`` are
    relative to ``root``.
    """

    root: str
    workspace_root: str
    package_manager: PackageManager
    runtimes: tuple[Runtime, ...]
    framework: Framework | None
    install_command: str | None
    build_command: str | None
    output_dir: str
    cache_dirs: tuple[str, ...] = ()
    env: tuple[tuple[str, str], ...] = ()
    warnings: tuple[str, ...] = ()
    reasons: tuple[tuple[str, str], ...] = field(default=())

    def runtime(self, name: str) -> Runtime | None:
        return next((r for r in self.runtimes if r.name == name), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "root": self.root,
            "workspace_root": self.workspace_root,
            "package_manager": self.package_manager.to_dict(),
            "runtimes": {r.name: {"version": r.version, "source": r.source} for r in self.runtimes},
            "framework": self.framework.to_dict() if self.framework else None,
            "install_command": self.install_command,
            "build_command": self.build_command,
            "output_dir": self.output_dir,
            "cache_dirs": list(self.cache_dirs),
            "env": dict(self.env),
            "warnings": list(self.warnings),
            "reasons": [{"what": what, "why": why} for what, why in self.reasons],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Plan:
        fw = data.get("framework")
        return cls(
            root=data["root"],
            workspace_root=data["workspace_root"],
            package_manager=PackageManager(**data["package_manager"]),
            runtimes=tuple(
                Runtime(name=name, version=v["version"], source=v["source"])
                for name, v in data.get("runtimes", {}).items()
            ),
            framework=Framework(**fw) if fw else None,
            install_command=data.get("install_command"),
            build_command=data.get("build_command"),
            output_dir=data["output_dir"],
            cache_dirs=tuple(data.get("cache_dirs", ())),
            env=tuple(sorted(data.get("env", {}).items())),
            warnings=tuple(data.get("warnings", ())),
            reasons=tuple((r["what"], r["why"]) for r in data.get("reasons", ())),
        )


@dataclass(frozen=True)
class LogLine:
    """One stored line of a build's log. ``seq`` starts at 1 and has no gaps per build."""

    seq: int
    ts: float
    step: str
    stream: str
    text: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class StepTiming:
    """How long one step took and how it ended."""

    step: str
    started_at: float
    finished_at: float
    exit_code: int | None = None
    skipped: bool = False
    note: str | None = None

    @property
    def duration(self) -> float:
        return max(0.0, self.finished_at - self.started_at)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "duration": round(self.duration, 3)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StepTiming:
        data = {k: v for k, v in data.items() if k != "duration"}
        return cls(**data)


@dataclass(frozen=True)
class OutputInfo:
    """The build output copied to the host."""

    path: str
    files: int
    bytes: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class BuildRecord:
    """One build as stored in history."""

    id: int
    source: str
    ref: str | None
    commit: str | None
    root: str
    status: Status
    phase: Phase | None
    created_at: float
    started_at: float | None = None
    finished_at: float | None = None
    exit_code: int | None = None
    error: str | None = None
    plan: Plan | None = None
    steps: tuple[StepTiming, ...] = ()
    output: OutputInfo | None = None
    diagnosis: dict[str, Any] | None = None
    caches: dict[str, Any] | None = None
    memo_key: str | None = None

    @property
    def duration(self) -> float | None:
        if self.started_at is None or self.finished_at is None:
            return None
        return max(0.0, self.finished_at - self.started_at)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "source": self.source,
            "ref": self.ref,
            "commit": self.commit,
            "root": self.root,
            "status": str(self.status),
            "phase": str(self.phase) if self.phase else None,
            "created_at": self.created_at,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "duration": self.duration,
            "exit_code": self.exit_code,
            "error": self.error,
            "plan": self.plan.to_dict() if self.plan else None,
            "steps": [s.to_dict() for s in self.steps],
            "output": self.output.to_dict() if self.output else None,
            "diagnosis": self.diagnosis,
            "caches": self.caches,
        }
