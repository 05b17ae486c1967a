"""The caching side of one build: output memo, installed dependencies, framework caches.

``BuildCaches`` is driven by :class:`runner.build.Build` at fixed points (after planning,
around install, before and after the build). Every decision is recorded in ``record`` —
stored with the build — so ``pitstop why`` can say what hit, what missed and why.
"""

from __future__ import annotations

import platform
import shlex
import shutil
import tempfile
import time
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from runner.cache import DEPS_REPOSITORY, BuildCache, CacheNotSaved, replace_dir
from runner.cache_keys import Key, framework_scope, install_key, output_key
from runner.models import OutputInfo, Stream

if TYPE_CHECKING:
    from runner.build import Build

WORKSPACE = "/workspace"

#: What an install leaves outside ``node_modules`` and must survive a source refresh.
_DEPENDENCY_NAMES = (
    "node_modules",
    ".venv",
    ".pnp.cjs",
    ".pnp.loader.mjs",
    "unplugged",
    "install-state.gz",
)

_CLEAR_SOURCE = (
    "find {ws} -mindepth 1 \\( "
    + " -o ".join(f"-name {n}" for n in _DEPENDENCY_NAMES)
    + " \\) -prune -o \\( -type f -o -type l \\) -exec rm -f {{}} + ; "
    "find {ws} -mindepth 1 \\( -name node_modules -o -name .venv \\) -prune -o "
    "-type d -empty -print0 | xargs -0 -r rmdir --ignore-fail-on-non-empty 2>/dev/null; true"
)


def max_cache_bytes(env: dict[str, str]) -> int:
    """``PITSTOP_CACHE_MAX`` (``10G``, ``500M``, bytes) or the default 10 GiB."""
    from runner.cache import DEFAULT_MAX_BYTES

    raw = env.get("PITSTOP_CACHE_MAX", "").strip().upper()
    if not raw:
        return DEFAULT_MAX_BYTES
    units = {"K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4}
    number, unit = (raw[:-1], raw[-1]) if raw[-1] in units else (raw, "")
    try:
        return int(float(number.removesuffix("I").removesuffix("B")) * units.get(unit, 1))
    except ValueError:
        return DEFAULT_MAX_BYTES


def _ago(ts: float) -> str:
    seconds = max(0, int(time.time() - ts))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit} ago"
    return f"{seconds}s ago"


class BuildCaches:
    """Cache lookups and saves for one build."""

    def __init__(self, build: Build) -> None:
        self.build = build
        self.record: dict[str, Any] = {}
        self.cache = BuildCache(build.paths.build_cache, max_cache_bytes(build.host_env))
        self._install: Key | None = None
        self._output: Key | None = None
        self.arch = platform.machine()

    # -- keys ---------------------------------------------------------------------------------

    @property
    def project(self) -> str:
        checkout = self.build.checkout
        return f"{self.build.spec.location}#{checkout.app_root or '.'}"

    def install_key(self) -> Key:
        if self._install is None:
            b = self.build
            assert b.plan is not None and b._image is not None
            self._install = install_key(b.plan, b._files, image=b._image, arch=self.arch)
        return self._install

    def output_key(self) -> Key:
        if self._output is None:
            b = self.build
            assert b.plan is not None and b._image is not None
            members = self._workspace_members()
            self._output = output_key(
                b.plan,
                b._files,
                image=b._image,
                arch=self.arch,
                env={**dict(b.request.env), **dict(b.request.secrets)},
                members=members,
            )
        return self._output

    def _workspace_members(self) -> list[str]:
        """Folders of workspace packages (every package.json folder under the workspace
        root other than the app): a change there may reach the app's output."""
        b = self.build
        assert b.plan is not None
        ws, root = b.plan.workspace_root, b.plan.root
        if ws == root:
            return []
        prefix = f"{ws}/" if ws else ""
        return sorted(
            {
                str(PurePosixPath(p).parent)
                for p in b._files
                if p.endswith("package.json") and p.startswith(prefix) and "/" in p[len(prefix) :]
            }
            - {root}
        )

    def _note(self, kind: str, key: Key, hit: bool, **extra: Any) -> None:
        self.record[kind] = {"hit": hit, **key.to_dict(), **extra}
        self.record["project"] = self.project

    def _warn(self, what: str, exc: Exception) -> None:
        self.build.log("cache", f"pitstop: warning: {what} not saved: {exc}")

    # -- the output memo ----------------------------------------------------------------------

    def memo_available(self) -> bool:
        """Whether the output memo holds this build's key (no side effects)."""
        return self.cache.load_memo(self.output_key().digest) is not None

    def replay_memo(self, checkout: Any) -> bool:
        """On a memo hit: restore the earlier build's output, replay its log, return True."""
        b = self.build
        key = self.output_key()
        found = None if b.request.no_cache else self.cache.load_memo(key.digest)
        if found is None:
            self._note("output", key, False, reason="--no-cache" if b.request.no_cache else None)
            return False
        saved, meta = found
        original = b.store.find_memo(key.digest)
        b._finish_step("init", b._init_started)
        when = _ago(meta.get("built_at", time.time()))
        took = meta.get("duration")
        origin = f"build #{meta.get('build_id')}"
        b.log(
            "init",
            f"pitstop: cached: built {when} in {took:.1f}s ({origin}); nothing that "
            "could change the result has changed (use --no-cache to build anyway)",
        )
        replayed = list(b.store.iter_lines(original.id)) if original is not None else []
        for step in ("install", "build"):
            t0 = b._step(step)
            for line in replayed:
                if line.step == step:
                    b.log(step, line.text, Stream(line.stream))
            b._finish_step(step, t0, status="cached", skipped=True, note=f"cached: {origin}")
        t0 = b._step("output")
        dest = b._output_dest()
        staging = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", dir=dest.parent))
        try:
            shutil.copytree(saved, staging / "out", symlinks=True)
            replace_dir(staging / "out", dest)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        b.output = OutputInfo(
            path=str(dest), files=int(meta.get("files", 0)), bytes=int(meta.get("size", 0))
        )
        b.log(
            "output",
            f"pitstop: restored {b.output.files} files ({b.output.bytes} bytes) "
            f"from the cache to {dest}",
        )
        b.store.update_build(b.build_id, output=b.output, memo_key=key.digest)
        b._finish_step("output", t0)
        self._note("output", key, True, build_id=meta.get("build_id"))
        return True

    # -- installed dependencies ---------------------------------------------------------------

    def deps_tag(self) -> str:
        return f"{DEPS_REPOSITORY}:{self.install_key().short}"

    def find_deps(self) -> str | None:
        b = self.build
        if not (b.plan and b.plan.install_command):
            return None
        key = self.install_key()
        tag = self.deps_tag()
        if b.request.no_cache:
            self._note("install", key, False, reason="--no-cache")
            return None
        if not b._engine.image_exists(tag):
            self._note("install", key, False)
            return None
        self.cache.touch_deps(key.digest)
        self._note("install", key, True, image=tag)
        return tag

    def clear_stale_source(self) -> None:
        """In a container from a dependencies image: delete the earlier build's source,
        keep what the install made, so the fresh source goes into a clean tree."""
        b = self.build
        b._container.run(
            _CLEAR_SOURCE.format(ws=shlex.quote(WORKSPACE)),
            workdir=WORKSPACE,
            on_output=lambda *a: None,
            env=b._env,
        )

    def skip_install(self, image: str) -> None:
        b = self.build
        assert b.plan is not None
        t0 = b._step("install", b.plan.install_command)
        b.log(
            "install",
            f"pitstop: cached: installed dependencies restored from {image}; "
            "install skipped (lockfiles, manifests, toolchain and image are unchanged)",
        )
        b._finish_step(
            "install", t0, status="cached", skipped=True, note="cached: dependencies restored"
        )

    def save_deps(self) -> None:
        b = self.build
        key = self.install_key()
        tag = self.deps_tag()
        repository, _, version = tag.partition(":")
        t0 = time.time()
        try:
            if not b._engine.image_exists(tag):
                b._container.commit(
                    repository,
                    version,
                    {"dev.pitstop.project": self.project, "dev.pitstop.key": key.digest},
                )
            # what the dependencies add on top of the build image
            size = max(0, b._engine.image_size(tag) - b._engine.image_size(b._image))
            self.cache.record_deps(key.digest, tag, size, self.project)
        except CacheNotSaved as exc:
            self._warn("installed dependencies", exc)
            return
        except Exception as exc:  # an engine refusal must not fail a good build
            self._warn("installed dependencies", exc)
            return
        b.log(
            "install", f"pitstop: saved installed dependencies as {tag} in {time.time() - t0:.1f}s"
        )

    # -- framework caches ---------------------------------------------------------------------

    def _branches(self) -> list[str]:
        ref = self.build.checkout.ref
        return list(dict.fromkeys([ref or "HEAD", "main", "master"]))

    def _framework_paths(self) -> list[tuple[str, str]]:
        b = self.build
        assert b.plan is not None
        app = PurePosixPath(WORKSPACE, b.plan.root) if b.plan.root else PurePosixPath(WORKSPACE)
        return [(d, str(app / d)) for d in b.plan.cache_dirs if "*" not in d]

    def restore_framework(self) -> None:
        b = self.build
        paths = self._framework_paths()
        if not paths:
            return
        scope = framework_scope(b.spec.location, b.checkout.app_root)
        restored: dict[str, Any] = {}
        for name, path in paths:
            archive = (
                None
                if b.request.no_cache
                else self.cache.find_framework(scope, self._branches(), name)
            )
            if archive is None:
                restored[name] = {"hit": False}
                continue
            parent = str(PurePosixPath(path).parent)
            b._container.run(
                f"mkdir -p {shlex.quote(parent)}",
                workdir=WORKSPACE,
                on_output=lambda *a: None,
                env=b._env,
            )
            b._container.load_archive(archive, parent)
            branch = archive.parent.name
            restored[name] = {"hit": True, "branch": branch, "size": archive.stat().st_size}
            b.log(
                "build",
                f"pitstop: restored framework cache {name} "
                f"({archive.stat().st_size} bytes, from branch {branch})",
            )
        self.record["framework"] = restored

    def _save_framework(self) -> None:
        b = self.build
        scope = framework_scope(b.spec.location, b.checkout.app_root)
        branch = self._branches()[0]
        for name, path in self._framework_paths():
            target = self.cache.framework_archive(scope, branch, name)
            try:
                size = b._container.save_archive(path, target)
            except OSError as exc:
                self._warn(f"framework cache {name}", exc)
                continue
            if size is not None:
                b.log("output", f"pitstop: saved framework cache {name} ({size} bytes)")

    # -- after a successful build -------------------------------------------------------------

    def save_after_success(self) -> None:
        b = self.build
        t0 = b._step("cache")
        self._save_framework()
        key = self.output_key()
        if b.output is not None:
            meta = {
                "build_id": b.build_id,
                "built_at": time.time(),
                "project": self.project,
                "duration": time.time() - (b._started or time.time()),
            }
            try:
                self.cache.save_memo(key.digest, Path(b.output.path), meta)
                b.store.update_build(b.build_id, memo_key=key.digest)
            except CacheNotSaved as exc:
                self._warn("build output", exc)
        try:
            self.cache.save_listing(b.build_id, b._files)
        except CacheNotSaved as exc:
            self._warn("file listing", exc)
        evicted = self.cache.prune(remove_image=b._engine.remove_image)
        if evicted:
            freed = sum(e.size for e in evicted)
            b.log(
                "cache",
                f"pitstop: cache over its cap: evicted {len(evicted)} least recently "
                f"used entries ({freed} bytes)",
            )
        b._finish_step("cache", t0)
