"""Where build caches live on the host, written atomically and bounded by size.

- ``memo/<key>/``: the output memo: a finished build's output and who built it.
- ``framework/<scope>/<branch>/<name>.tar``: framework incremental caches (``.next/cache``…).
- ``deps/<key>.json``: the index entry of an installed-dependencies image kept by the engine.
- ``listings/<build id>.json``: the file digests a build saw, so ``pitstop why`` can name
  the files that changed.

Every entry is written under a temporary name and renamed into place, so a failed or
canceled build never leaves a partial entry. Entries record their size and last use; ``prune``
evicts the least recently used until the total fits the cap.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import re
import shutil
import stat
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from runner.cache_keys import SKIP_DIRS

DEFAULT_MAX_BYTES = 10 * 1024**3
DEPS_REPOSITORY = "pitstop-deps"


class CacheNotSaved(Exception):
    """Saving an entry failed (disk full, permissions); the build goes on without it."""


@dataclass(frozen=True)
class Entry:
    kind: str  # "output", "framework", "deps"
    name: str
    size: int
    last_used: float
    path: Path
    project: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "name": self.name,
            "size": self.size,
            "last_used": self.last_used,
            "project": self.project,
        }


def digest_files(root: Path) -> dict[str, str]:
    """``{posix path: digest}`` for every file under ``root`` outside dependency and VCS
    folders; a symlink's digest is of its target text, so links never escape the tree."""
    out: dict[str, str] = {}
    root = root.resolve()
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS)
        base = Path(folder)
        rel_base = base.relative_to(root).as_posix()
        for name in files:
            path = base / name
            rel = name if rel_base == "." else f"{rel_base}/{name}"
            try:
                info = path.lstat()
                if stat.S_ISLNK(info.st_mode):
                    data = b"link:" + os.readlink(path).encode()
                    out[rel] = hashlib.blake2b(data, digest_size=16).hexdigest()
                elif stat.S_ISREG(info.st_mode):
                    h = hashlib.blake2b(digest_size=16)
                    h.update(b"x" if info.st_mode & 0o111 else b"-")
                    with path.open("rb") as handle:
                        while chunk := handle.read(1 << 20):
                            h.update(chunk)
                    out[rel] = h.hexdigest()
            except OSError:
                continue
        for name in dirs:
            path = base / name
            if path.is_symlink():
                rel = name if rel_base == "." else f"{rel_base}/{name}"
                data = b"link:" + os.readlink(path).encode()
                out[rel] = hashlib.blake2b(data, digest_size=16).hexdigest()
    return out


def replace_dir(new: Path, dest: Path) -> None:
    """Move ``new`` to ``dest``; a previous ``dest`` is swapped out first, then deleted, so
    ``dest`` is always either the old tree or the new one."""
    old = None
    if dest.exists():
        old = dest.with_name(f".{dest.name}.old-{os.getpid()}-{time.time_ns()}")
        dest.rename(old)
    new.rename(dest)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _tree_size(path: Path) -> tuple[int, int]:
    files = size = 0
    for folder, _, names in os.walk(path):
        for name in names:
            try:
                size += (Path(folder) / name).lstat().st_size
                files += 1
            except OSError:
                continue
    return files, size


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name)[:80] or "_"


def _write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as handle:
            json.dump(data, handle)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _not_saved(exc: OSError) -> CacheNotSaved:
    full = exc.errno == errno.ENOSPC or (
        isinstance(exc, shutil.Error) and os.strerror(errno.ENOSPC) in str(exc)
    )
    return CacheNotSaved("the disk is full" if full else str(exc))


class BuildCache:
    """The cache directory. Methods that save raise :class:`CacheNotSaved`, never leave
    partial entries, and tolerate another process saving the same entry at once."""

    def __init__(self, root: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.root = root
        self.max_bytes = max_bytes

    # -- the output memo ---------------------------------------------------------------------

    def memo_dir(self, key: str) -> Path:
        return self.root / "memo" / key[:32]

    def load_memo(self, key: str) -> tuple[Path, dict[str, Any]] | None:
        """The saved output folder and its metadata, or None (also when incomplete)."""
        entry = self.memo_dir(key)
        try:
            meta = json.loads((entry / "meta.json").read_text())
        except (OSError, ValueError):
            return None
        output = entry / "output"
        if meta.get("key") != key or not output.is_dir():
            return None
        self._touch(entry)
        return output, meta

    def save_memo(self, key: str, output: Path, meta: dict[str, Any]) -> None:
        entry = self.memo_dir(key)
        if (entry / "meta.json").is_file():
            return
        entry.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{entry.name}.", dir=entry.parent))
        try:
            shutil.copytree(output, staging / "output", symlinks=True, copy_function=shutil.copy2)
            files, size = _tree_size(staging / "output")
            _write_json(staging / "meta.json", {**meta, "key": key, "files": files, "size": size})
            os.rename(staging, entry)
        except OSError as exc:
            shutil.rmtree(staging, ignore_errors=True)
            if entry.is_dir():  # another build saved it first
                return
            raise _not_saved(exc) from exc
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise

    # -- framework caches --------------------------------------------------------------------

    def framework_archive(self, scope: str, branch: str, name: str) -> Path:
        return self.root / "framework" / scope / _safe(branch) / f"{_safe(name)}.tar"

    def find_framework(self, scope: str, branches: Iterable[str], name: str) -> Path | None:
        """The archive for the first branch that has one (the build's, then the default)."""
        for branch in branches:
            path = self.framework_archive(scope, branch, name)
            if path.is_file():
                self._touch(path)
                return path
        return None

    # -- installed dependencies (images kept by the engine) ----------------------------------

    def deps_index(self, key: str) -> Path:
        return self.root / "deps" / f"{key[:32]}.json"

    def record_deps(self, key: str, tag: str, size: int, project: str) -> None:
        try:
            _write_json(
                self.deps_index(key),
                {"key": key, "tag": tag, "size": size, "project": project, "created": time.time()},
            )
        except OSError as exc:
            raise _not_saved(exc) from exc

    def touch_deps(self, key: str) -> None:
        self._touch(self.deps_index(key))

    # -- file listings for `pitstop why` -----------------------------------------------------

    def save_listing(self, build_id: int, files: dict[str, str]) -> None:
        try:
            _write_json(self.root / "listings" / f"{build_id}.json", files)
        except OSError as exc:
            raise _not_saved(exc) from exc

    def load_listing(self, build_id: int) -> dict[str, str] | None:
        try:
            return json.loads((self.root / "listings" / f"{build_id}.json").read_text())
        except (OSError, ValueError):
            return None

    # -- accounting and eviction -------------------------------------------------------------

    @staticmethod
    def _touch(path: Path) -> None:
        with contextlib.suppress(OSError):
            os.utime(path)

    def entries(self) -> list[Entry]:
        """Every entry with its size and last use, oldest use first."""
        out: list[Entry] = []
        memo = self.root / "memo"
        for entry in sorted(memo.iterdir()) if memo.is_dir() else ():
            if entry.name.startswith("."):
                continue
            try:
                meta = json.loads((entry / "meta.json").read_text())
            except (OSError, ValueError):
                continue
            out.append(
                Entry(
                    "output",
                    entry.name,
                    int(meta.get("size", 0)),
                    entry.stat().st_mtime,
                    entry,
                    meta.get("project"),
                )
            )
        framework = self.root / "framework"
        for archive in framework.rglob("*.tar") if framework.is_dir() else ():
            rel = archive.relative_to(framework)
            out.append(
                Entry(
                    "framework",
                    str(rel),
                    archive.stat().st_size,
                    archive.stat().st_mtime,
                    archive,
                    rel.parts[0],
                )
            )
        deps = self.root / "deps"
        for index in sorted(deps.glob("*.json")) if deps.is_dir() else ():
            try:
                meta = json.loads(index.read_text())
            except (OSError, ValueError):
                continue
            out.append(
                Entry(
                    "deps",
                    meta.get("tag", index.stem),
                    int(meta.get("size", 0)),
                    index.stat().st_mtime,
                    index,
                    meta.get("project"),
                )
            )
        return sorted(out, key=lambda e: e.last_used)

    def total(self) -> int:
        return sum(e.size for e in self.entries())

    def remove(self, entry: Entry, remove_image: Any = None) -> None:
        """Delete one entry (``remove_image(tag)`` drops a deps image from the engine)."""
        if entry.kind == "deps":
            if remove_image is not None:
                remove_image(entry.name)
            entry.path.unlink(missing_ok=True)
        elif entry.path.is_dir():
            trash = entry.path.with_name(f".trash-{entry.path.name}-{os.getpid()}")
            os.rename(entry.path, trash)
            shutil.rmtree(trash, ignore_errors=True)
        else:
            entry.path.unlink(missing_ok=True)

    def prune(self, max_bytes: int | None = None, remove_image: Any = None) -> list[Entry]:
        """Evict least-recently-used entries until the total is at most ``max_bytes``."""
        limit = self.max_bytes if max_bytes is None else max_bytes
        entries = self.entries()
        total = sum(e.size for e in entries)
        evicted = []
        for entry in entries:
            if total <= limit:
                break
            self.remove(entry, remove_image)
            total -= entry.size
            evicted.append(entry)
        return evicted
