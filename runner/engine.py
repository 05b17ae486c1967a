"""The only module that talks to Docker: one labelled container per build, steps run as execs.

A build container starts from the build image with ``sleep infinity`` under an init, gets the
source and the CA bundle copied in (``put_archive``, so remote engines work too), runs each step
with ``exec`` while stdout and stderr stream line by line, hands the output back with
``get_archive`` and is always removed.
"""

from __future__ import annotations

import codecs
import contextlib
import io
import os
import queue
import socket
import tarfile
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from runner.cache import replace_dir
from runner.errors import EnvironmentProblem, PitstopError
from runner.models import OutputInfo, Stream
from runner.processes import pid_alive

if TYPE_CHECKING:
    import docker

    from runner import stale_images

LABEL = "dev.pitstop.managed"
LABEL_BUILD = "dev.pitstop.build"
LABEL_PID = "dev.pitstop.pid"
LABEL_HOST = "dev.pitstop.host"
LABEL_CREATED = "dev.pitstop.created"
LABEL_STORE = "dev.pitstop.store"  # which history database the build id belongs to

#: Seconds a ``docker commit`` of installed dependencies may take.
COMMIT_TIMEOUT = 1800
REMOVE_TIMEOUT = 600
#: Read timeout of every other engine call once the engine has answered a ping.
OPERATION_TIMEOUT = 300

#: A partial line longer than this is emitted without waiting for its newline.
MAX_LINE = 64 * 1024

OnOutput = Callable[[Stream, str, float], None]


class PathMissing(PitstopError):
    """A path asked for in the container does not exist."""


@dataclass(frozen=True)
class ContainerSpec:
    """How to start one build container."""

    image: str
    build_id: int
    env: Mapping[str, str] = field(default_factory=dict)
    workdir: str = "/workspace"
    user: str = "1000:1000"
    volumes: Mapping[str, str] = field(default_factory=dict)  # volume name → container path
    extra_hosts: Mapping[str, str] = field(default_factory=dict)
    mem_limit: str | None = None
    nano_cpus: int | None = None
    pids_limit: int | None = 4096
    labels: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ExecResult:
    """How one step ended. ``exit_code`` is None when the process never reported one."""

    exit_code: int | None
    oom_killed: bool = False
    timed_out: bool = False
    canceled: bool = False


class LineSplitter:
    """Turns byte chunks of one stream into complete text lines (raw ``\\r`` kept)."""

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._buffer = ""

    def feed(self, chunk: bytes) -> list[str]:
        self._buffer += self._decoder.decode(chunk)
        *lines, self._buffer = self._buffer.split("\n")
        while len(self._buffer) > MAX_LINE:
            lines.append(self._buffer[:MAX_LINE])
            self._buffer = self._buffer[MAX_LINE:]
        return lines

    def close(self) -> list[str]:
        self._buffer += self._decoder.decode(b"", final=True)
        rest, self._buffer = self._buffer, ""
        return [rest] if rest else []


def _tar_directory(src: Path, exclude: Iterable[str], uid: int, gid: int) -> io.BufferedRandom:
    """A tar (in a spooled temp file) of ``src``'s contents, owned by ``uid:gid``."""
    excluded = set(exclude)
    spool = tempfile.TemporaryFile()  # noqa: SIM115 - handed to the caller, who closes it

    def owner(info: tarfile.TarInfo) -> tarfile.TarInfo | None:
        if PurePosixPath(info.name).name in excluded:
            return None
        info.uid, info.gid, info.uname, info.gname = uid, gid, "pitstop", "pitstop"
        return info

    with tarfile.open(fileobj=spool, mode="w") as tar:
        for entry in sorted(src.iterdir()):
            tar.add(entry, arcname=entry.name, filter=owner)
    spool.seek(0)
    return spool  # type: ignore[return-value]


def _tar_file(name: str, content: bytes, mode: int = 0o644) -> bytes:
    """A tar holding file ``name`` (a relative POSIX path) and entries for its parent dirs."""
    buf = io.BytesIO()
    now = int(time.time())
    with tarfile.open(fileobj=buf, mode="w") as tar:
        parts = PurePosixPath(name).parts
        for i in range(1, len(parts)):
            folder = tarfile.TarInfo("/".join(parts[:i]))
            folder.type, folder.mode, folder.mtime = tarfile.DIRTYPE, 0o755, now
            tar.addfile(folder)
        info = tarfile.TarInfo(name)
        info.size, info.mode, info.mtime = len(content), mode, now
        tar.addfile(info, io.BytesIO(content))
    return buf.getvalue()


class BuildContainer:
    """A running build container. Always call :meth:`remove` (it is idempotent)."""

    def __init__(self, engine: DockerEngine, container: Any, spec: ContainerSpec) -> None:
        self._engine = engine
        self._container = container
        self.spec = spec
        self.id: str = container.id
        self._removed = False

    @property
    def api(self) -> Any:
        return self._engine.client.api

    def put_directory(self, src: Path, dest: str, *, exclude: Iterable[str] = (".git",)) -> None:
        """Copy the contents of host directory ``src`` into ``dest`` (which must exist)."""
        uid, gid = (int(x) for x in self.spec.user.split(":"))
        with _tar_directory(src, exclude, uid, gid) as archive:
            self.api.put_archive(self.id, dest, archive)

    def put_file(self, path: str, content: bytes, *, base: str, mode: int = 0o644) -> None:
        """Write one file at absolute container path ``path``; folders below ``base`` (which
        must exist) are created."""
        relative = PurePosixPath(path).relative_to(base)
        self.api.put_archive(self.id, base, _tar_file(str(relative), content, mode))

    def run(
        self,
        command: str,
        *,
        workdir: str,
        on_output: OnOutput,
        deadline: float | None = None,
        cancel: threading.Event | None = None,
        env: Mapping[str, str] | None = None,
    ) -> ExecResult:
        """Run ``command`` under ``bash -c`` and stream its lines as they arrive.

        ``deadline`` is a ``time.monotonic()`` instant: past it the container is killed and the
        result says ``timed_out``. Setting ``cancel`` does the same with ``canceled``.
        """
        exec_id = self.api.exec_create(
            self.id,
            ["bash", "-c", command],
            workdir=workdir,
            environment=dict(env or {}),
            stdout=True,
            stderr=True,
        )["Id"]
        stream = self.api.exec_start(exec_id, stream=True, demux=True)
        chunks: queue.Queue[tuple[Stream, bytes] | None] = queue.Queue()

        def pump() -> None:
            try:
                for out, err in stream:
                    if out:
                        chunks.put((Stream.STDOUT, out))
                    if err:
                        chunks.put((Stream.STDERR, err))
            except Exception:  # the stream breaks when the container is killed
                pass
            finally:
                chunks.put(None)

        threading.Thread(target=pump, name=f"pitstop-exec-{exec_id[:12]}", daemon=True).start()
        splitters = {Stream.STDOUT: LineSplitter(), Stream.STDERR: LineSplitter()}
        timed_out = canceled = False
        while True:
            try:
                item = chunks.get(timeout=0.1)
            except queue.Empty:
                item = ...
            if not (timed_out or canceled):
                if deadline is not None and time.monotonic() >= deadline:
                    timed_out = True
                    self.kill()
                elif cancel is not None and cancel.is_set():
                    canceled = True
                    self.kill()
            if item is None:
                break
            if item is ...:
                continue
            which, data = item
            now = time.time()
            for line in splitters[which].feed(data):
                on_output(which, line, now)
        for which, splitter in splitters.items():
            for line in splitter.close():
                on_output(which, line, time.time())
        info = self.api.exec_inspect(exec_id)
        code = info.get("ExitCode")
        oom = False
        if code not in (0, None):
            try:
                state = self.api.inspect_container(self.id)["State"]
                oom = bool(state.get("OOMKilled"))
            except Exception:
                oom = False
        return ExecResult(exit_code=code, oom_killed=oom, timed_out=timed_out, canceled=canceled)

    def list_directory(self, path: str) -> list[str]:
        """Names directly under ``path`` in the container (empty if it does not exist)."""
        try:
            stream, _ = self.api.get_archive(self.id, path)
        except Exception:
            return []
        with tempfile.TemporaryFile() as spool:
            for chunk in stream:
                spool.write(chunk)
            spool.seek(0)
            with tarfile.open(fileobj=spool, mode="r|") as tar:
                names = set()
                for member in tar:
                    parts = PurePosixPath(member.name).parts
                    if len(parts) >= 2:
                        names.add(parts[1])
        return sorted(names)

    def copy_out(
        self, path: str, dest: Path, *, skip: frozenset[str] = frozenset({".git"})
    ) -> OutputInfo:
        """Copy directory ``path`` out of the container into ``dest``, replacing it atomically;
        top-level entries named in ``skip`` stay behind (an output of ``.`` never publishes
        the build's ``.git``)."""
        import docker.errors

        try:
            stream, stat = self.api.get_archive(self.id, path)
        except docker.errors.NotFound as exc:
            raise PathMissing(f"{path} does not exist in the build container") from exc
        if not (int(stat.get("mode", 0)) & (1 << 31)):  # os.ModeDir in Go's FileMode
            raise PathMissing(f"{path} is not a directory")
        dest.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", dir=dest.parent))
        files = size = 0
        try:
            with tempfile.TemporaryFile() as spool:
                for chunk in stream:
                    spool.write(chunk)
                spool.seek(0)
                with tarfile.open(fileobj=spool, mode="r") as tar:
                    members = []
                    for member in tar.getmembers():
                        parts = PurePosixPath(member.name).parts[1:]
                        if not parts or parts[0] in skip:
                            continue
                        member.name = str(PurePosixPath(*parts))
                        members.append(member)
                        if member.isfile():
                            files += 1
                            size += member.size
                    tar.extractall(staging, members=members, filter="data")
            replace_dir(staging, dest)
        except BaseException:
            _rmtree(staging)
            raise
        return OutputInfo(path=str(dest), files=files, bytes=size)

    def save_archive(self, path: str, dest: Path) -> int | None:
        """Write a tar of ``path`` (file or directory) to host file ``dest`` atomically;
        returns its size, or None when ``path`` does not exist."""
        import docker.errors

        try:
            stream, _ = self.api.get_archive(self.id, path)
        except docker.errors.NotFound:
            return None
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.name}.", dir=dest.parent)
        try:
            with os.fdopen(fd, "wb") as out:
                for chunk in stream:
                    out.write(chunk)
            os.replace(tmp_name, dest)
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise
        return dest.stat().st_size

    def load_archive(self, archive: Path, dest: str) -> None:
        """Extract host tar ``archive`` into container directory ``dest`` (which must exist)."""
        with archive.open("rb") as data:
            self.api.put_archive(self.id, dest, data)

    def image_env(self) -> dict[str, str]:
        """The environment the container's image defines (PATH among it)."""
        env = self.api.inspect_container(self.id)["Config"].get("Env") or []
        return dict(item.split("=", 1) for item in env if "=" in item)

    def commit(self, repository: str, tag: str, labels: Mapping[str, str]) -> str:
        """Snapshot the container's filesystem as image ``repository:tag``; returns its id.

        The image keeps the build image's configuration, so nothing given to a step (which
        pitstop passes per exec, never at create time) is baked into it. The container is
        idle between steps, so it is not paused; committing tens of thousands of files can
        take minutes, so the client's short read timeout does not apply."""
        with _patient(self.api, COMMIT_TIMEOUT):
            result = self.api.commit(
                self.id,
                repository=repository,
                tag=tag,
                conf={"Labels": {LABEL: "1", **labels}},
                pause=False,
            )
        return str(result["Id"])

    def kill(self) -> None:
        with contextlib.suppress(Exception):
            self._container.kill()

    def remove(self) -> None:
        if self._removed:
            return
        try:
            # deleting a writable layer of many small files (node_modules) can take minutes
            with _patient(self.api, REMOVE_TIMEOUT):
                self._container.remove(force=True, v=True)
        except Exception as exc:
            import docker.errors

            if not isinstance(exc, docker.errors.NotFound):
                raise
        self._removed = True


@contextlib.contextmanager
def _patient(api: Any, seconds: float) -> Iterator[None]:
    """Raise the client's read timeout for one slow call: commits and removals wait on the
    disk, and a loaded machine makes them slow, not failed."""
    previous = api.timeout
    api.timeout = max(previous or 0, seconds)
    try:
        yield
    finally:
        api.timeout = previous


def _rmtree(path: Path) -> None:
    import shutil

    shutil.rmtree(path, ignore_errors=True)


class DockerEngine:
    """A connected Docker engine."""

    def __init__(self, client: docker.DockerClient) -> None:
        self.client = client

    @classmethod
    def connect(cls, timeout: float = 10.0) -> DockerEngine:
        """Connect using DOCKER_HOST / the active context; a clear error when nothing answers."""
        import docker
        import docker.errors

        where = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
        try:
            client = docker.from_env(timeout=int(timeout))
            client.ping()
        except docker.errors.DockerException as exc:
            raise EnvironmentProblem(
                f"no Docker engine answered at {where}",
                "start one (as root: `scripts/ensure-docker.sh`, or "
                "`sudo systemctl start docker`), or point DOCKER_HOST at a running engine",
            ) from exc
        # it answered: from now on a loaded disk makes calls (archives in and out, starts)
        # slow, not failed; the build's own deadline bounds the wait
        client.api.timeout = OPERATION_TIMEOUT
        return cls(client)

    def start(self, spec: ContainerSpec) -> BuildContainer:
        """Create and start a labelled build container that idles until steps are exec'd."""
        labels = {
            LABEL: "1",
            LABEL_BUILD: str(spec.build_id),
            LABEL_PID: str(os.getpid()),
            LABEL_HOST: socket.gethostname(),
            LABEL_CREATED: str(int(time.time())),
            **spec.labels,
        }
        kwargs: dict[str, Any] = {}
        if spec.mem_limit:
            kwargs["mem_limit"] = kwargs["memswap_limit"] = spec.mem_limit
        if spec.nano_cpus:
            kwargs["nano_cpus"] = spec.nano_cpus
        container = self.client.containers.create(
            spec.image,
            command=["sleep", "infinity"],
            name=f"pitstop-build-{spec.build_id}-{os.getpid()}",
            init=True,
            labels=labels,
            user=spec.user,
            working_dir=spec.workdir,
            environment=dict(spec.env),
            volumes={name: {"bind": path, "mode": "rw"} for name, path in spec.volumes.items()},
            extra_hosts=dict(spec.extra_hosts) or None,
            cap_drop=["ALL"],
            security_opt=["no-new-privileges:true"],
            pids_limit=spec.pids_limit,
            log_config={"type": "local"},
            detach=True,
            **kwargs,
        )
        build = BuildContainer(self, container, spec)
        try:
            container.start()
        except BaseException:
            build.remove()
            raise
        return build

    def image_exists(self, ref: str) -> bool:
        import docker.errors

        try:
            self.client.images.get(ref)
        except docker.errors.ImageNotFound:
            return False
        return True

    def image_size(self, ref: str) -> int:
        """Bytes of image ``ref`` including its base layers (0 when absent)."""
        import docker.errors

        try:
            return int(self.client.images.get(ref).attrs.get("Size") or 0)
        except docker.errors.ImageNotFound:
            return 0

    def image_infos(self, repositories: Iterable[str]) -> list[stale_images.ImageInfo]:
        """Every tag of pitstop's images in ``repositories`` (labelled as pitstop's)."""
        from runner.stale_images import ImageInfo

        wanted = set(repositories)
        out = []
        for image in self.client.images.list(filters={"label": f"{LABEL}=1"}):
            layers = tuple((image.attrs.get("RootFS") or {}).get("Layers") or ())
            for ref in image.tags:
                if ref.partition(":")[0] in wanted:
                    out.append(ImageInfo(ref, image.id, layers))
        return out

    def used_image_ids(self) -> set[str]:
        """Ids of the images any container (running or stopped) was created from."""
        return {c.attrs.get("Image", "") for c in self.client.containers.list(all=True)}

    def layers_size(self) -> int:
        """Bytes of all image layers on the engine (what removing images frees)."""
        return int(self.client.df().get("LayersSize") or 0)

    def remove_image(self, ref: str) -> bool:
        """Remove image ``ref``; False when it is gone already or in use by a container."""
        import docker.errors
        import requests.exceptions

        try:
            with _patient(self.client.api, REMOVE_TIMEOUT):
                self.client.images.remove(ref, noprune=False)
        except (
            docker.errors.ImageNotFound,
            docker.errors.APIError,
            requests.exceptions.RequestException,
        ):
            return False
        return True

    def volume_sizes(self, names: Iterable[str]) -> dict[str, int]:
        """Disk usage of named volumes (bytes; those absent are left out)."""
        wanted = set(names)
        usage = self.client.api.df().get("Volumes") or []
        return {
            v["Name"]: int((v.get("UsageData") or {}).get("Size") or 0)
            for v in usage
            if v.get("Name") in wanted
        }

    def remove_volume(self, name: str) -> bool:
        import docker.errors

        try:
            self.client.volumes.get(name).remove(force=True)
        except (docker.errors.NotFound, docker.errors.APIError):
            return False
        return True

    def leftovers(self) -> list[dict[str, str]]:
        """pitstop's containers on this engine, with their labels."""
        found = self.client.containers.list(all=True, filters={"label": f"{LABEL}=1"})
        return [{"id": c.id, "name": c.name, **c.labels} for c in found]

    def sweep(self, *, all_owners: bool = False) -> list[str]:
        """Remove pitstop containers whose owning process on this host is gone."""
        removed = []
        host = socket.gethostname()
        for c in self.client.containers.list(all=True, filters={"label": f"{LABEL}=1"}):
            pid = int(c.labels.get(LABEL_PID, "0") or 0)
            mine = c.labels.get(LABEL_HOST) == host
            if all_owners or (mine and not pid_alive(pid)):
                try:
                    c.remove(force=True, v=True)
                    removed.append(c.name)
                except Exception:
                    continue
        return removed


def store_label(database: Path) -> str:
    """The value of :data:`LABEL_STORE` for a history database."""
    import hashlib

    return hashlib.sha256(str(Path(database).resolve()).encode()).hexdigest()[:16]
