"""A build script that only runs the build of another folder of the repository.

``"build": "yarn --cwd website build"`` or ``"build": "cd docs && npm run build"`` at a
repository root means the site is that folder's: its framework decides where the output
lands (``website/build``), while the root's script is what runs.
"""

from __future__ import annotations

import posixpath
import shlex

_MANAGERS = ("npm", "pnpm", "yarn", "bun")
#: Flags that name the folder a manager runs in.
_DIR_FLAGS = ("--cwd", "-C", "--dir", "--prefix")
_OPERATORS = ("&&", "||", ";", "|", "&")


def _words(script: str) -> list[str]:
    try:
        return shlex.split(script)
    except ValueError:
        return script.split()


def _runs_build(words: list[str]) -> bool:
    """``yarn build``, ``npm run build``, ``pnpm run build``, ``bun run build`` (flags dropped)."""
    rest = [w for w in words[1:] if not w.startswith("-")]
    return bool(words) and words[0] in _MANAGERS and rest in (["build"], ["run", "build"])


def delegated_dir(script: str | None) -> str | None:
    """The folder (relative to the script's package) whose build the script runs, if any."""
    if not script:
        return None
    words = _words(script.strip())
    folder: str | None = None
    if len(words) >= 4 and words[0] == "cd" and words[2] == "&&":
        folder, words = words[1], words[3:]
    if any(w in _OPERATORS for w in words):
        return None
    if folder is None and words and words[0] in _MANAGERS:
        for i, word in enumerate(words):
            flag, eq, value = word.partition("=")
            if flag in _DIR_FLAGS:
                folder = value if eq else (words[i + 1] if i + 1 < len(words) else None)
                if not eq and folder is not None:
                    words = words[:i] + words[i + 2 :]
                else:
                    words = words[:i] + words[i + 1 :]
                break
    if folder is None or not _runs_build(words):
        return None
    rel = posixpath.normpath(folder)
    return None if rel in (".", "") or rel.startswith("..") or rel.startswith("/") else rel
