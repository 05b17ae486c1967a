"""Cache keys as content hashes of everything that can change a result. Pure.

Each key is built from named *components* (``{"file:package-lock.json": "<digest>", "node":
"24.22.3", …}``) so pitstop can always say which input differs when a key misses.
"""

from __future__ import annotations

import hashlib
import json
import posixpath
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from runner.models import Plan

#: Bump to invalidate every key after a change in how caches are made.
KEY_VERSION = "1"

#: Files an install reads, wherever they are in the workspace (outside dependency folders).
INSTALL_FILE_NAMES = frozenset(
    {
        "package.json",
        "package-lock.json",
        "npm-shrinkwrap.json",
        "yarn.lock",
        "pnpm-lock.yaml",
        "pnpm-workspace.yaml",
        "bun.lock",
        "bun.lockb",
        "bunfig.toml",
        ".npmrc",
        ".yarnrc",
        ".yarnrc.yml",
        ".pnpmfile.cjs",
        "requirements.txt",
        "requirements-dev.txt",
        "constraints.txt",
        "pyproject.toml",
        "poetry.lock",
        "uv.lock",
        "Pipfile",
        "Pipfile.lock",
        "setup.py",
        "setup.cfg",
    }
)
#: Folders (relative to the workspace root) whose every file an install may read.
INSTALL_DIRS = (".yarn/patches", ".yarn/releases", ".yarn/plugins", "patches")

#: Folders never part of any key: dependencies, VCS data, pitstop's own state.
SKIP_DIRS = frozenset({".git", "node_modules", ".venv", ".pitstop"})


@dataclass(frozen=True)
class Key:
    """A cache key and the components it was made of."""

    kind: str
    digest: str
    components: Mapping[str, str] = field(default_factory=dict)

    @property
    def short(self) -> str:
        return self.digest[:16]

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "key": self.digest, "components": dict(self.components)}


def make_key(kind: str, components: Mapping[str, str]) -> Key:
    """``Key`` whose digest is the sha256 of the sorted components."""
    doc = json.dumps(
        {"v": KEY_VERSION, "kind": kind, **dict(sorted(components.items()))}, sort_keys=True
    )
    return Key(kind, hashlib.sha256(doc.encode()).hexdigest(), dict(components))


def _under(path: str, folder: str) -> bool:
    return folder in ("", ".") or path == folder or path.startswith(folder.rstrip("/") + "/")


def _rel(path: str, folder: str) -> str:
    return path if folder in ("", ".") else posixpath.relpath(path, folder)


def install_files(files: Mapping[str, str], workspace_root: str) -> dict[str, str]:
    """The digests of the files an install in ``workspace_root`` reads, keyed by their path
    relative to it. ``files`` maps every repository path to its content digest."""
    out = {}
    for path, digest in files.items():
        if not _under(path, workspace_root):
            continue
        rel = _rel(path, workspace_root)
        name = posixpath.basename(rel)
        if name in INSTALL_FILE_NAMES or any(_under(rel, d) for d in INSTALL_DIRS):
            out[rel] = digest
    return out


def _toolchain(plan: Plan) -> dict[str, str]:
    pm = plan.package_manager
    parts = {"package_manager": f"{pm.name} {pm.version or 'image default'}"}
    for runtime in plan.runtimes:
        parts[runtime.name] = runtime.version
    return parts


def install_key(
    plan: Plan, files: Mapping[str, str], *, image: str, arch: str, extra: Mapping[str, str] = {}
) -> Key:
    """Key of the installed dependencies: manifests and lockfiles, package manager, runtimes,
    install command, image and platform."""
    components = {f"file:{p}": d for p, d in install_files(files, plan.workspace_root).items()}
    components.update(_toolchain(plan))
    components.update(
        {
            "install_command": plan.install_command or "",
            "workspace_root": plan.workspace_root or ".",
            "image": image,
            "arch": arch,
            **extra,
        }
    )
    return make_key("install", components)


def tree_digest(files: Mapping[str, str]) -> str:
    """One digest for a set of (path, digest) pairs."""
    h = hashlib.sha256()
    for path in sorted(files):
        h.update(path.encode())
        h.update(b"\0")
        h.update(files[path].encode())
        h.update(b"\n")
    return h.hexdigest()


def source_files(
    files: Mapping[str, str], plan: Plan, members: Iterable[str] = ()
) -> dict[str, str]:
    """The files whose content can change the build's output: everything under the app root,
    the workspace root's own files (configs, lockfiles) and the workspace packages the app
    uses (``members``, repository paths)."""
    roots = [plan.root, *members]
    out = {}
    for path, digest in files.items():
        if any(_under(path, r) for r in roots) or (
            _under(path, plan.workspace_root) and "/" not in _rel(path, plan.workspace_root)
        ):
            out[path] = digest
    return out


def output_key(
    plan: Plan,
    files: Mapping[str, str],
    *,
    image: str,
    arch: str,
    env: Mapping[str, str],
    members: Iterable[str] = (),
    extra: Mapping[str, str] = {},
) -> Key:
    """Key of the whole build (the output memo): source tree, plan and commands, declared
    environment, runtimes and package manager, image and platform."""
    sources = source_files(files, plan, members)
    plan_doc = plan.to_dict()
    plan_doc.pop("reasons", None)
    plan_doc.pop("warnings", None)
    components = {
        "source": tree_digest(sources),
        "plan": hashlib.sha256(json.dumps(plan_doc, sort_keys=True).encode()).hexdigest(),
        "install_command": plan.install_command or "",
        "build_command": plan.build_command or "",
        "output_dir": plan.output_dir,
        "image": image,
        "arch": arch,
        **_toolchain(plan),
        **{f"env:{k}": hashlib.sha256(v.encode()).hexdigest()[:16] for k, v in env.items()},
        **extra,
    }
    return make_key("output", components)


def framework_scope(source_location: str, root: str) -> str:
    """The per-project, per-app part of a framework cache's name."""
    return hashlib.sha256(f"{source_location}\0{root or '.'}".encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Difference:
    component: str
    before: str | None
    after: str | None

    def describe(self) -> str:
        name = self.component.removeprefix("file:").removeprefix("env:")
        if self.component.startswith("file:"):
            if self.before is None:
                return f"{name} added"
            if self.after is None:
                return f"{name} removed"
            return f"{name} changed"
        if self.component.startswith("env:"):
            state = "set" if self.before is None else "unset" if self.after is None else "changed"
            return f"env {name} {state}"
        if self.component in ("source", "plan"):
            return f"{self.component} changed"
        return f"{name} {self.before or '-'} → {self.after or '-'}"


def differences(before: Mapping[str, str], after: Mapping[str, str]) -> list[Difference]:
    """Components whose value differs between two keys' components, sorted by name."""
    names = sorted(set(before) | set(after))
    return [
        Difference(n, before.get(n), after.get(n)) for n in names if before.get(n) != after.get(n)
    ]


def changed_paths(before: Mapping[str, str], after: Mapping[str, str]) -> list[str]:
    """Paths added, removed or changed between two file listings."""
    return sorted(p for p in set(before) | set(after) if before.get(p) != after.get(p))
