"""Read-only views of a source tree, so detection is a pure function of file contents."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import Protocol


class Tree(Protocol):
    """A read-only file tree addressed by POSIX paths relative to its root."""

    def read_text(self, path: str) -> str | None:
        """The file's text, or None when it is absent (or not a file)."""

    def is_file(self, path: str) -> bool: ...

    def is_dir(self, path: str) -> bool: ...

    def listdir(self, path: str) -> list[str]:
        """Names directly under ``path`` (sorted); empty when it is not a directory."""


def _norm(path: str) -> str:
    p = PurePosixPath(path)
    parts = [part for part in p.parts if part not in ("", ".")]
    return "/".join(parts)


class MemoryTree:
    """A tree held in memory: ``{"package.json": "{...}", "src/main.js": ""}``."""

    def __init__(self, files: Mapping[str, str]) -> None:
        self._files = {_norm(k): v for k, v in files.items()}
        dirs: set[str] = {""}
        for name in self._files:
            parts = name.split("/")
            for i in range(1, len(parts)):
                dirs.add("/".join(parts[:i]))
        self._dirs = dirs

    def read_text(self, path: str) -> str | None:
        return self._files.get(_norm(path))

    def is_file(self, path: str) -> bool:
        return _norm(path) in self._files

    def is_dir(self, path: str) -> bool:
        return _norm(path) in self._dirs

    def listdir(self, path: str) -> list[str]:
        base = _norm(path)
        if base not in self._dirs:
            return []
        prefix = f"{base}/" if base else ""
        names = {
            entry[len(prefix) :].split("/", 1)[0]
            for entry in (*self._files, *self._dirs)
            if entry.startswith(prefix) and entry != base
        }
        return sorted(n for n in names if n)


class DirTree:
    """A tree backed by a directory on disk (a checkout). Paths never escape the root."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def _resolve(self, path: str) -> Path | None:
        target = (self.root / _norm(path)).resolve()
        if target != self.root and self.root not in target.parents:
            return None
        return target

    def read_text(self, path: str) -> str | None:
        target = self._resolve(path)
        if target is None or not target.is_file():
            return None
        return target.read_text(encoding="utf-8", errors="replace")

    def is_file(self, path: str) -> bool:
        target = self._resolve(path)
        return target is not None and target.is_file()

    def is_dir(self, path: str) -> bool:
        target = self._resolve(path)
        return target is not None and target.is_dir()

    def listdir(self, path: str) -> list[str]:
        target = self._resolve(path)
        if target is None or not target.is_dir():
            return []
        return sorted(p.name for p in target.iterdir())
