"""One build, start to finish: source → plan → container → install → build → output.

The orchestration talks to its gateways (source, image, engine, store) through the small
interfaces they expose and reports everything through Events; it never prints.
"""

from __future__ import annotations

import contextlib
import os
import posixpath
import re
import shutil
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import Any

from runner import events as ev
from runner.build_cache import BuildCaches
from runner.cache import digest_files
from runner.container_env import (
    CA_PATH,
    PACKAGE_MANAGER_ENV,
    container_environment,
    host_ca_bundle,
)
from runner.errors import (
    DetectError,
    EnvironmentProblem,
    ExitCode,
    PitstopError,
    SourceError,
    UsageError,
)
from runner.models import OutputInfo, Phase, Plan, Status, StepTiming, Stream
from runner.paths import Paths
from runner.provision import (
    TOOLCHAIN_MOUNT,
    TOOLCHAIN_VOLUME,
    Provisioning,
    failure_code,
    provisioning_for,
)

WORKSPACE = "/workspace"

#: The command that brings a package manager's lockfile in line with its manifests.
RELOCK = {
    "npm": "npm install",
    "pnpm": "pnpm install",
    "yarn": "yarn install",
    "bun": "bun install",
}


def diagnosis_context(plan: Plan | None) -> dict[str, str]:
    """What the plan tells the classifier that a log cannot (the project's own commands)."""
    pm = plan.package_manager.name if plan else None
    return {"relock": RELOCK[pm]} if pm in RELOCK else {}


#: ``rule`` of a diagnosis the runner knew without reading the log (a provision exit code,
#: a planning error); re-classification keeps such verdicts.
RUNNER_RULE = "runner"

#: Variable names whose values are masked in every log line, as hosted build systems do.
SECRET_NAME = re.compile(
    r"TOKEN|SECRET|PASSWORD|PASSWD|PRIVATE|CREDENTIAL|AUTH|(^|_)(API_?)?KEY($|_)", re.I
)

#: Package-manager stores shared by every build (named volume → path in the container).
STORE_VOLUMES = {
    "pitstop-store-npm": "/home/pitstop/.npm",
    TOOLCHAIN_VOLUME: TOOLCHAIN_MOUNT,  # toolchains, corepack, yarn, pnpm, bun and pip stores
}


@dataclass(frozen=True)
class BuildRequest:
    """What the user asked to build."""

    source: str = "."
    ref: str | None = None
    worktree: bool = False
    out: Path | None = None
    timeout: float = 20 * 60.0
    root: str | None = None
    env: tuple[tuple[str, str], ...] = ()
    cwd: Path = field(default_factory=Path.cwd)
    no_cache: bool = False
    secrets: tuple[tuple[str, str], ...] = ()

    def secret_values(self) -> tuple[str, ...]:
        """Values never to show: ``secrets``, and ``env`` values whose names look secret."""
        values = [v for _, v in self.secrets]
        values += [v for k, v in self.env if SECRET_NAME.search(k)]
        return tuple(sorted({v for v in values if len(v) >= 4}, key=len, reverse=True))


@dataclass(frozen=True)
class BuildResult:
    """How a build ended; ``exit_code`` is the process exit code pitstop should use."""

    build_id: int
    status: Status
    phase: Phase | None
    exit_code: ExitCode
    step_exit_code: int | None
    error: str | None
    hint: str | None
    duration: float
    steps: tuple[StepTiming, ...]
    output: OutputInfo | None
    plan: Plan | None
    commit: str | None
    diagnosis: dict[str, Any] | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "build_id": self.build_id,
            "status": str(self.status),
            "phase": str(self.phase) if self.phase else None,
            "exit_code": int(self.exit_code),
            "step_exit_code": self.step_exit_code,
            "error": self.error,
            "hint": self.hint,
            "duration": round(self.duration, 3),
            "steps": [s.to_dict() for s in self.steps],
            "output": self.output.to_dict() if self.output else None,
            "commit": self.commit,
            "diagnosis": self.diagnosis,
        }


class _Stop(Exception):
    """Ends the build early with a recorded status and phase."""

    def __init__(
        self,
        status: Status,
        phase: Phase | None,
        message: str,
        hint: str | None = None,
        step_exit_code: int | None = None,
        oom_killed: bool = False,
    ) -> None:
        super().__init__(message)
        self.status, self.phase, self.message, self.hint = status, phase, message, hint
        self.step_exit_code, self.oom_killed = step_exit_code, oom_killed
        self.code: str | None = None  # a diagnosis code known without reading the log


#: Host variables that steer detection (runtime versions), as hosted builds read them.
DETECTION_VARIABLES = (
    "NODE_VERSION",
    "PYTHON_VERSION",
    "PNPM_VERSION",
    "YARN_VERSION",
    "BUN_VERSION",
)


def detection_env(host_env: Mapping[str, str]) -> dict[str, str]:
    """The part of the host environment that detection reads."""
    return {k: host_env[k] for k in DETECTION_VARIABLES if k in host_env}


def app_root_for(source_root: str, root: str | None) -> str:
    """The app root in the repository: ``--root`` is relative to the folder SOURCE named."""
    if root is None:
        return source_root
    return posixpath.normpath(posixpath.join(source_root or ".", root)).removeprefix("./")


def store_volumes(volumes: Mapping[str, str], host_env: Mapping[str, str]) -> dict[str, str]:
    """Volume names with ``PITSTOP_VOLUME_PREFIX`` (default ``pitstop``) in place of
    ``pitstop``, so benchmarks and experiments can use stores of their own."""
    prefix = host_env.get("PITSTOP_VOLUME_PREFIX", "pitstop")
    return {
        (prefix + name.removeprefix("pitstop")) if name.startswith("pitstop") else name: path
        for name, path in volumes.items()
    }


def _check_out_dir(out: Path, cwd: Path) -> None:
    """Refuse output targets that would replace something precious."""
    target = out.resolve()
    precious = {Path.home().resolve(), Path("/").resolve(), cwd.resolve(), *cwd.resolve().parents}
    if target in precious or (target / ".git").exists():
        raise UsageError(
            f"refusing to replace {target} with build output",
            "pass --out a dedicated directory such as ./dist-pitstop",
        )


class Build:
    """Runs one :class:`BuildRequest`. Create, then call :meth:`run` once."""

    def __init__(
        self,
        request: BuildRequest,
        *,
        store: Any,
        paths: Paths,
        emit: ev.Sink,
        connect_engine: Callable[[], Any],
        ensure_image: Callable[[Any, Callable[[str, str], None]], str],
        host_env: Mapping[str, str] | None = None,
        cancel: threading.Event | None = None,
    ) -> None:
        from runner.store import LogWriter

        self.request = request
        self.store = store
        self.paths = paths
        self.emit = emit
        self.connect_engine = connect_engine
        self.ensure_image = ensure_image
        self.host_env = dict(os.environ if host_env is None else host_env)
        self.cancel = cancel or threading.Event()
        self.build_id = store.create_build(
            source=request.source, ref=request.ref, root=request.root or ""
        )
        self.writer = LogWriter(store, self.build_id)
        self._secrets = request.secret_values()
        self.steps: list[StepTiming] = []
        self.plan: Plan | None = None
        self.commit: str | None = None
        self.output: OutputInfo | None = None
        self._deadline = 0.0
        self._started: float | None = None
        self.spec: Any = None
        self.checkout: Any = None
        self._container: Any = None
        self._workdir: Path | None = None
        self._engine: Any = None
        self._image: str | None = None
        self._env: dict[str, str] = {}
        self._files: dict[str, str] = {}
        self.caches = BuildCaches(self)

    # -- reporting ---------------------------------------------------------------------------

    def log(
        self, step: str, text: str, stream: Stream = Stream.SYSTEM, ts: float | None = None
    ) -> None:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        line = self.writer.add(step, str(stream), text, ts)
        self.emit(
            ev.Log(self.build_id, line.seq, step, str(stream), text, line.ts),
        )

    def _step(self, step: str, command: str | None = None) -> float:
        self.emit(ev.StepStarted(self.build_id, step, command, time.time()))
        if command:
            self.log(step, f"$ {command}")
        return time.time()

    def _finish_step(
        self,
        step: str,
        started: float,
        *,
        exit_code: int | None = None,
        status: str = "ok",
        note: str | None = None,
        skipped: bool = False,
    ) -> None:
        now = time.time()
        timing = StepTiming(step, started, now, exit_code=exit_code, skipped=skipped, note=note)
        self.steps.append(timing)
        self.store.update_build(self.build_id, steps=self.steps)
        self.emit(
            ev.StepFinished(self.build_id, step, status, exit_code, timing.duration, now, note)
        )

    def _remaining(self) -> float:
        return self._deadline - time.monotonic()

    def _check_time(self) -> None:
        if self.cancel.is_set():
            raise KeyboardInterrupt
        if self._remaining() <= 0:
            raise _Stop(Status.TIMED_OUT, Phase.TIMEOUT, self._timeout_message())

    def _timeout_message(self) -> str:
        minutes, seconds = divmod(int(self.request.timeout), 60)
        return f"pitstop: build timed out after {minutes}m{seconds}s"

    # -- the build ---------------------------------------------------------------------------

    def run(self) -> BuildResult:
        started = self._started = time.time()
        self._deadline = time.monotonic() + self.request.timeout
        self.store.update_build(self.build_id, status=Status.RUNNING, started_at=started)
        self.emit(ev.BuildStarted(self.build_id, self.request.source, self.request.ref, started))
        status, phase, error, hint, step_code, oom = Status.SUCCEEDED, None, None, None, None, False
        self._known_code: str | None = None
        try:
            self._run_steps()
            step_code = 0
        except _Stop as stop:
            status, phase, error, hint = stop.status, stop.phase, stop.message, stop.hint
            step_code, oom = stop.step_exit_code, stop.oom_killed
            self._known_code = stop.code
        except KeyboardInterrupt:
            status, phase, error = Status.CANCELED, None, "pitstop: build canceled"
            self.log("pitstop", error)
        except EnvironmentProblem as exc:
            status, phase, error, hint = Status.ERRORED, Phase.INIT, exc.message, exc.hint
            self.log("init", f"pitstop: {exc.message}")
        except Exception as exc:  # a bug or an engine failure: record it, never lose the build
            status, phase = Status.ERRORED, Phase.INIT
            error = f"pitstop: internal error: {type(exc).__name__}: {exc}"
            self.log("pitstop", error)
            self._cleanup()
            self._finalize(started, status, phase, error, hint, step_code, oom)
            raise
        self._cleanup()
        return self._finalize(started, status, phase, error, hint, step_code, oom)

    def _run_steps(self) -> None:
        checkout = self._clone()
        self._make_plan(checkout)
        self._check_time()
        assert self.plan is not None
        plan = self.plan
        try:
            self._prepare_engine()
        except EnvironmentProblem as problem:
            # No engine: an unchanged build can still be answered from the output memo.
            if not self._replay_offline(checkout, problem):
                raise
            return
        if self.caches.replay_memo(checkout):
            return
        deps_image = self.caches.find_deps()
        self._start_container(checkout, deps_image)
        self._provision()
        if plan.install_command:
            if deps_image:
                self.caches.skip_install(deps_image)
            else:
                self._exec("install", plan.install_command, plan.workspace_root, Phase.INSTALL)
                self.caches.save_deps()
        self.caches.restore_framework()
        if plan.build_command:
            self._exec("build", plan.build_command, plan.root, Phase.BUILD)
        self._collect_output()
        self.caches.save_after_success()

    def _clone(self) -> Any:
        from runner import source

        step = "clone"
        t0 = self._step(step)
        self._workdir = self.paths.workdirs / f"{self.build_id}-{os.getpid()}"
        if self._workdir.exists():
            shutil.rmtree(self._workdir)
        self._workdir.parent.mkdir(parents=True, exist_ok=True)
        try:
            spec = source.parse_source(self.request.source, cwd=self.request.cwd)
            self.spec = spec
            self.log(step, f"pitstop: source {spec.display}")
            checkout = source.checkout(
                spec,
                self._workdir,
                mirrors=self.paths.mirrors,
                ref=self.request.ref,
                worktree=self.request.worktree,
                timeout=max(1.0, self._remaining()),
                on_output=lambda text: self.log(step, text, Stream.STDERR),
            )
        except (SourceError, UsageError) as exc:
            self.log(step, f"pitstop: clone failed: {exc.message}")
            if exc.hint:
                self.log(step, f"pitstop: hint: {exc.hint}")
            self._finish_step(step, t0, status="failed")
            raise _Stop(Status.FAILED, Phase.CLONE, exc.message, exc.hint) from exc
        for warning in checkout.warnings:
            self.log(step, f"pitstop: warning: {warning}")
        self.commit = checkout.commit
        root = app_root_for(checkout.app_root, self.request.root)
        root = str(PurePosixPath(root)) if root not in ("", ".") else ""
        self.store.update_build(self.build_id, commit=checkout.commit, root=root or ".")
        self.emit(
            ev.SourceResolved(
                self.build_id, checkout.commit, root or ".", checkout.snapshot, time.time()
            )
        )
        what = checkout.commit[:12] if checkout.commit else "a snapshot of the folder"
        self.log(step, f"pitstop: building {what}" + (f" (app root {root})" if root else ""))
        self.checkout = replace(checkout, app_root=root)
        self._files = digest_files(checkout.path)
        self._finish_step(step, t0)
        return self.checkout

    def _make_plan(self, checkout: Any) -> None:
        from runner.detect import plan_for
        from runner.detect.tree import DirTree

        step = "plan"
        t0 = self._step(step)
        try:
            env = {**detection_env(self.host_env), **dict(self.request.env)}
            plan = plan_for(DirTree(checkout.path), checkout.app_root, env=env)
        except DetectError as exc:
            self.log(step, f"pitstop: {exc.message}")
            if exc.hint:
                self.log(step, f"pitstop: hint: {exc.hint}")
            self._finish_step(step, t0, status="failed")
            phase = Phase(getattr(exc, "phase", Phase.INIT))
            stop = _Stop(Status.FAILED, phase, exc.message, exc.hint)
            stop.code = getattr(exc, "code", None)
            raise stop from exc
        self.plan = plan
        self.store.update_build(self.build_id, plan=plan)
        self.emit(ev.PlanReady(self.build_id, plan.to_dict(), time.time()))
        from runner.plan_render import plan_lines

        for line in plan_lines(plan):
            self.log(step, f"pitstop: {line}")
        self._finish_step(step, t0)

    def _prepare_engine(self) -> None:
        """Connect to the engine, sweep leftovers and make sure the build image exists."""
        step = "init"
        self._init_started = self._step(step)
        engine = self.connect_engine()
        self._engine = engine
        swept = engine.sweep()
        if swept:
            self.log(
                step, f"pitstop: removed {len(swept)} leftover container(s): {', '.join(swept)}"
            )

        def progress(task: str, message: str) -> None:
            self.emit(ev.Progress(self.build_id, task, message, time.time()))
            self.log(step, f"pitstop: [{task}] {message}")

        self._image = self.ensure_image(engine.client, progress)
        with contextlib.suppress(OSError):
            self._last_image_file.parent.mkdir(parents=True, exist_ok=True)
            self._last_image_file.write_text(self._image)
        self._check_time()

    @property
    def _last_image_file(self) -> Path:
        return self.paths.cache / "last-build-image"

    def _replay_offline(self, checkout: Any, problem: EnvironmentProblem) -> bool:
        """With no engine, replay the output memo keyed on the image last used; else False."""
        try:
            self._image = self._last_image_file.read_text().strip()
        except OSError:
            return False
        if not self._image or self.request.no_cache or not self.caches.memo_available():
            return False
        self.log(
            "init",
            f"pitstop: warning: {problem.message}; the output memo matches, so "
            "nothing needs building",
        )
        return self.caches.replay_memo(checkout)

    def _start_container(self, checkout: Any, deps_image: str | None = None) -> None:
        """Start the build container (from the installed-dependencies image on a hit) and
        copy the CA bundle and the source in. Step environment goes to each exec, never to
        the container, so a committed image holds none of it."""
        step = "init"
        assert self._image is not None
        image = deps_image or self._image
        ca = host_ca_bundle(self.host_env)
        prov = provisioning_for(self.plan, env=self.host_env) if self.plan else Provisioning()
        self._provisioning = prov
        extra = prov.container_env()
        if self.plan:
            extra.update(PACKAGE_MANAGER_ENV.get(self.plan.package_manager.name, {}))
        extra.update(dict(self.plan.env) if self.plan else {})
        extra.update(dict(self.request.env))
        extra.update(dict(self.request.secrets))
        environment = container_environment(self.host_env, with_ca=ca is not None, extra=extra)
        self._env = environment.env
        from runner.engine import LABEL_STORE, ContainerSpec, store_label

        spec = ContainerSpec(
            image=image,
            build_id=self.build_id,
            workdir=WORKSPACE,
            volumes=store_volumes({**STORE_VOLUMES, **prov.volumes}, self.host_env),
            extra_hosts=environment.extra_hosts,
            labels={LABEL_STORE: store_label(self.store.path)},
        )
        self._container = self._engine.start(spec)
        self.log(step, f"pitstop: container {self._container.id[:12]} from {image}")
        if ca is not None:
            self._container.put_file(CA_PATH, ca.read_bytes(), base="/etc")
            self.log(step, f"pitstop: CA bundle from {ca} available at {CA_PATH}")
        if deps_image:
            self.caches.clear_stale_source()
        self._container.put_directory(checkout.path, WORKSPACE, exclude=(".git", "node_modules"))
        self._put_git_metadata(checkout, step)
        self._finish_step(step, self._init_started)

    def _provision(self) -> None:
        """Install the toolchains the plan needs that the image lacks (phase install)."""
        prov = getattr(self, "_provisioning", None)
        if prov is None or prov.script is None:
            return
        script = "/tmp/pitstop-provision.sh"
        self._container.put_file(script, prov.script.encode(), base="/tmp")
        said: list[str] = []
        try:
            self._exec(
                "provision",
                f"bash {script}",
                "",
                Phase.INSTALL,
                on_line=lambda text: said.append(text) if text.startswith("pitstop: ") else None,
            )
        except _Stop as stop:
            known = failure_code(stop.step_exit_code)
            if said:
                stop.message = said[-1].removeprefix("pitstop: ")
            if known:
                stop.code, stop.hint = known
            raise

    def _exec(
        self,
        step: str,
        command: str,
        where: str,
        phase: Phase,
        on_line: Callable[[str], None] | None = None,
    ) -> None:
        self._check_time()
        t0 = self._step(step, command)
        workdir = str(PurePosixPath(WORKSPACE, where)) if where not in ("", ".") else WORKSPACE

        def on_output(stream: Stream, text: str, ts: float) -> None:
            self.log(step, text, stream, ts)
            if on_line is not None:
                on_line(text)

        result = self._container.run(
            command,
            workdir=workdir,
            on_output=on_output,
            deadline=self._deadline,
            cancel=self.cancel,
            env=self._env,
        )
        if result.canceled:
            self._finish_step(step, t0, exit_code=result.exit_code, status="canceled")
            raise KeyboardInterrupt
        if result.timed_out:
            message = self._timeout_message()
            self.log(step, message)
            self._finish_step(step, t0, exit_code=result.exit_code, status="timed_out")
            raise _Stop(
                Status.TIMED_OUT, Phase.TIMEOUT, message, "raise --timeout or make the step faster"
            )
        if result.exit_code != 0:
            note = "out of memory" if result.oom_killed else None
            self._finish_step(step, t0, exit_code=result.exit_code, status="failed", note=note)
            raise _Stop(
                Status.FAILED,
                phase,
                f"{step} failed: `{command}` exited with code {result.exit_code}",
                step_exit_code=result.exit_code,
                oom_killed=result.oom_killed,
            )
        self._finish_step(step, t0, exit_code=0)

    def _output_dest(self) -> Path:
        """Where the output goes on the host (checked so nothing precious is replaced)."""
        dest = (self.request.out or self.paths.outputs / str(self.build_id)).resolve()
        _check_out_dir(dest, self.request.cwd)
        dest.parent.mkdir(parents=True, exist_ok=True)
        return dest

    def _collect_output(self) -> None:
        from runner.engine import PathMissing

        assert self.plan is not None
        step = "output"
        t0 = self._step(step)
        plan = self.plan
        app = (
            PurePosixPath(WORKSPACE, plan.root)
            if plan.root not in ("", ".")
            else PurePosixPath(WORKSPACE)
        )
        source = posixpath.normpath(
            str(app / plan.output_dir)
        )  # outputs may sit above the app (nx)
        dest = self._output_dest()
        try:
            self.output = self._container.copy_out(source, dest)
        except PathMissing as exc:
            found = self._container.list_directory(str(app))
            listing = ", ".join(found) if found else "nothing"
            message = (
                f'pitstop: output directory "{plan.output_dir}" was not found; found: {listing}'
            )
            self.log(step, message)
            self._finish_step(step, t0, status="failed")
            raise _Stop(
                Status.FAILED,
                Phase.OUTPUT,
                message.removeprefix("pitstop: "),
                "set the output directory in pitstop.toml ([build] output_dir) or fix the build "
                "so it writes there",
            ) from exc
        self.log(
            step,
            f"pitstop: copied {self.output.files} files ({self.output.bytes} bytes) to {dest}",
        )
        self.store.update_build(self.build_id, output=self.output)
        self._finish_step(step, t0)

    def _put_git_metadata(self, checkout: Any, step: str) -> None:
        """A depth-1 ``.git`` of the commit being built, so build scripts can ask git."""
        from runner import source

        spec = self.spec
        if checkout.commit is None or spec is None or self._workdir is None:
            return
        meta = self._workdir.with_name(self._workdir.name + ".git-meta")
        shutil.rmtree(meta, ignore_errors=True)
        try:
            if spec.kind == "repo":
                repo = Path(spec.location) if checkout.snapshot else checkout.path
                origin = source.config_value(Path(spec.location), "remote.origin.url")
            else:
                repo, origin = checkout.path, spec.location
            source.git_metadata(repo, checkout.commit, meta, ref=checkout.ref, origin=origin)
            self._container.put_directory(meta, WORKSPACE, exclude=())
        except (PitstopError, OSError) as exc:
            message = exc.message if isinstance(exc, PitstopError) else str(exc)
            self.log(step, f"pitstop: warning: no .git in the build ({message})")
            return
        finally:
            shutil.rmtree(meta, ignore_errors=True)
        self.log(step, f"pitstop: .git holds commit {checkout.commit[:12]} (depth 1)")

    # -- the end -----------------------------------------------------------------------------

    def _cleanup(self) -> None:
        if self._container is not None:
            container, self._container = self._container, None
            try:
                container.remove()
            except Exception as exc:  # the verdict stands; the next pitstop sweeps it
                self.log(
                    "pitstop",
                    f"pitstop: warning: container {container.id[:12]} could not be removed "
                    f"({type(exc).__name__}: {exc}); the next pitstop command removes it",
                )
        if self._workdir is not None:
            shutil.rmtree(self._workdir, ignore_errors=True)

    def _finalize(
        self,
        started: float,
        status: Status,
        phase: Phase | None,
        error: str | None,
        hint: str | None,
        step_code: int | None,
        oom: bool,
    ) -> BuildResult:
        self.writer.flush()
        diagnosis = None
        if status in (Status.FAILED, Status.TIMED_OUT):
            diagnosis = self._diagnose(phase, step_code, oom)
            if self._known_code and (diagnosis or {}).get("code") != self._known_code:
                diagnosis = {
                    "code": self._known_code,
                    "phase": str(phase) if phase else None,
                    "title": error,
                    "explanation": error,
                    "fix": hint,
                    "evidence": [],
                    "secondary": [],
                    "rule": RUNNER_RULE,  # known without reading the log
                }
        finished = time.time()
        self.writer.close()
        self.store.update_build(
            self.build_id,
            status=status,
            phase=phase,
            finished_at=finished,
            exit_code=step_code,
            error=error,
            diagnosis=diagnosis,
            caches=self.caches.record or None,
        )
        exit_code = {
            Status.SUCCEEDED: ExitCode.OK,
            Status.CANCELED: ExitCode.INTERRUPTED,
            Status.ERRORED: ExitCode.ENVIRONMENT,
        }.get(status, ExitCode.BUILD_FAILED)
        result = BuildResult(
            build_id=self.build_id,
            status=status,
            phase=phase,
            exit_code=exit_code,
            step_exit_code=step_code,
            error=error,
            hint=hint,
            duration=finished - started,
            steps=tuple(self.steps),
            output=self.output,
            plan=self.plan,
            commit=self.commit,
            diagnosis=diagnosis,
        )
        self.emit(
            ev.BuildFinished(
                self.build_id,
                str(status),
                str(phase) if phase else None,
                step_code,
                error,
                hint,
                result.duration,
                self.output.to_dict() if self.output else None,
                diagnosis,
                finished,
            )
        )
        return result

    def _diagnose(
        self, phase: Phase | None, step_code: int | None, oom: bool
    ) -> dict[str, Any] | None:
        try:
            from runner.diagnose import diagnose
        except ImportError:
            return None
        lines = [line.text for line in self.store.iter_lines(self.build_id)]
        failed = self.steps[-1].step if self.steps else None
        context = diagnosis_context(self.plan)
        try:
            result = diagnose(
                lines,
                failed_step=failed,
                exit_code=step_code,
                oom_killed=oom,
                phase=str(phase) if phase else None,
                context=context,
            )
        except Exception as exc:  # the classifier must never lose a build
            return {"code": "unknown", "title": f"classifier error: {exc}"}
        return result.to_dict()


def run_build(request: BuildRequest, **kwargs: Any) -> BuildResult:
    """Convenience: ``Build(request, **kwargs).run()``."""
    return Build(request, **kwargs).run()


__all__ = ["Build", "BuildRequest", "BuildResult", "PitstopError", "run_build"]
