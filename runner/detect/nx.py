"""Nx projects: an app whose ``project.json`` declares a ``build`` target.

In an Nx workspace an app often has no build script; ``nx build <project>`` runs its
target, and the target's ``outputPath`` (or first ``outputs`` entry), relative to the
workspace root, is where the site lands.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from typing import Any

from runner.detect.files import join, read_config_json
from runner.detect.tree import Tree

#: Executors that put the browser build in a ``browser`` folder of the output path.
_APPLICATION_BUILDERS = (":application",)


#: Executor packages whose framework is in the framework table.
EXECUTOR_FRAMEWORKS = {
    "@nx/angular": "angular",
    "@angular/build": "angular",
    "@angular-devkit/build-angular": "angular",
    "@nx/next": "nextjs",
    "@nx/vite": "vite",
    "@nx/remix": "remix",
}


@dataclass(frozen=True)
class NxBuild:
    project: str
    path: str  # the project.json
    output: str | None  # relative to the app root; None when computed or unknown
    framework: str | None = None  # a framework table id, from the target's executor


def _output(target: dict[str, Any], project_root: str) -> str | None:
    """The target's output path relative to the workspace root, or None."""
    options = target.get("options") if isinstance(target.get("options"), dict) else {}
    executor = str(target.get("executor", ""))
    out: Any = options.get("outputPath")
    if isinstance(out, dict):
        base, browser = out.get("base"), out.get("browser", "browser")
        if not isinstance(base, str):
            return None
        path = join(base, browser) if isinstance(browser, str) and browser else base
    elif isinstance(out, str):
        path = join(out, "browser") if executor.endswith(_APPLICATION_BUILDERS) else out
    else:
        outputs = target.get("outputs")
        first = outputs[0] if isinstance(outputs, list) and outputs else None
        if not isinstance(first, str) or "{options." in first:
            return None
        path = first
    path = path.replace("{workspaceRoot}/", "").replace("{workspaceRoot}", "")
    path = path.replace("{projectRoot}", project_root)
    if "{" in path or "*" in path:
        return None
    return posixpath.normpath(path)


def nx_build(tree: Tree, root: str, ws_root: str, pkg: dict[str, Any] | None) -> NxBuild | None:
    """The Nx build target of the app at ``root`` in the Nx workspace at ``ws_root``."""
    if not tree.is_file(join(ws_root, "nx.json")):
        return None
    path = join(root, "project.json")
    data = read_config_json(tree, path)
    if data is None:
        return None
    targets = data.get("targets")
    target = targets.get("build") if isinstance(targets, dict) else None
    if not isinstance(target, dict):
        return None
    name = data.get("name") or (pkg or {}).get("name") or posixpath.basename(root)
    out = _output(target, posixpath.relpath(root or ".", ws_root or "."))
    rel = posixpath.relpath(join(ws_root, out), root or ".") if out else None
    executor = str(target.get("executor", "")).split(":", 1)[0]
    return NxBuild(str(name), path, rel, EXECUTOR_FRAMEWORKS.get(executor))
