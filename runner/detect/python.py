"""Python projects: the interpreter version, the dependency installer and a virtualenv.

Version order: ``PYTHON_VERSION`` → ``.python-version`` → ``runtime.txt`` →
``.tool-versions`` → ``build.tools.python`` in ``.readthedocs.yaml`` → ``requires-python``
(PEP 621, or Poetry's ``python`` dependency) →
:data:`~runner.detect.resolve.DEFAULT_PYTHON_VERSION`.  Dependencies come from
``requirements.txt`` (pip), ``uv.lock`` (uv), ``poetry.lock`` / ``[tool.poetry]``
(Poetry), ``Pipfile`` (Pipenv) or a ``pyproject.toml`` (pip, the project itself), installed
into :data:`VENV` in the folder that holds them.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from runner.detect import resolve
from runner.detect.files import ancestors, join, read_toml
from runner.detect.tree import Tree

#: The virtualenv, relative to the folder holding the dependency files.
VENV = ".venv"

_DEP_FILES = ("requirements.txt", "uv.lock", "poetry.lock", "Pipfile", "pyproject.toml")
#: Documentation-only requirement files, used when the project has no main dependency file.
_DOC_REQUIREMENTS = (
    "docs/requirements.txt",
    "doc/requirements.txt",
    "requirements-docs.txt",
    "docs-requirements.txt",
    "requirements/docs.txt",
)


@dataclass
class PythonDecision:
    version: str
    source: str
    project_dir: str  # tree path where dependencies are declared (and the venv lives)
    installer: str | None  # pip | uv | poetry | pipenv | None
    install_command: str | None
    dep_source: str | None
    warnings: list[str] = field(default_factory=list)


def has_python_signals(tree: Tree, root: str) -> bool:
    return any(
        tree.is_file(join(root, n))
        for n in (*_DEP_FILES, "runtime.txt", ".python-version", "setup.py")
    )


def _tool_versions(text: str, names: tuple[str, ...]) -> str | None:
    for line in text.splitlines():
        words = line.split("#", 1)[0].split()
        if len(words) >= 2 and words[0] in names:
            return words[1]
    return None


_RTD_PYTHON = re.compile(
    r"^build:[ \t]*\n(?:[ \t]+.*\n|[ \t]*\n)*?[ \t]+tools:[ \t]*\n"
    r"(?:[ \t]+.*\n|[ \t]*\n)*?[ \t]+python:[ \t]*[\"']?(\d+\.\d+(?:\.\d+)?)[\"']?[ \t]*(?:#.*)?$",
    re.M,
)


def _rtd_python(text: str) -> str | None:
    """``build.tools.python`` of a Read the Docs config, when it is a CPython X.Y."""
    m = _RTD_PYTHON.search(text if text.endswith("\n") else text + "\n")
    return m.group(1) if m else None


def _version(
    tree: Tree,
    root: str,
    env: Mapping[str, str],
    pyproject: dict[str, Any] | None,
    pyproject_path: str,
    request: tuple[str, str] | None = None,
) -> tuple[resolve.Resolved, str]:
    if request is not None:
        return resolve.resolve_python_exact(request[0], request[1]), request[1]
    if env.get("PYTHON_VERSION"):
        return resolve.resolve_python_exact(env["PYTHON_VERSION"], "PYTHON_VERSION"), (
            "PYTHON_VERSION"
        )
    for folder in ancestors(root):
        path = join(folder, ".python-version")
        text = tree.read_text(path)
        if text is not None and resolve.clean_request(text):
            return resolve.resolve_python_exact(resolve.clean_request(text), path), path
        path = join(folder, "runtime.txt")
        text = tree.read_text(path)
        if text is not None and text.strip():
            return resolve.resolve_python_exact(text.strip(), path), path
        path = join(folder, ".tool-versions")
        text = tree.read_text(path)
        found = _tool_versions(text, ("python",)) if text is not None else None
        if found:
            return resolve.resolve_python_exact(found, path), path
    for folder in ancestors(root):
        for name in (".readthedocs.yaml", ".readthedocs.yml"):
            path = join(folder, name)
            text = tree.read_text(path)
            found = _rtd_python(text) if text is not None else None
            if found:
                return resolve.resolve_python_exact(found, path), f"build.tools.python in {path}"
    if pyproject:
        spec = (pyproject.get("project") or {}).get("requires-python")
        where = f"requires-python in {pyproject_path}"
        if not spec:
            poetry = ((pyproject.get("tool") or {}).get("poetry") or {}).get("dependencies") or {}
            if isinstance(poetry.get("python"), str):
                spec = resolve.poetry_to_pep440(poetry["python"])
                where = f"tool.poetry.dependencies.python in {pyproject_path}"
        if isinstance(spec, str) and spec.strip():
            return resolve.resolve_python_range(spec, where), where
    return resolve.Resolved(resolve.DEFAULT_PYTHON_VERSION), "pitstop default (the image's Python)"


def decide(
    tree: Tree,
    root: str,
    env: Mapping[str, str],
    request: tuple[str, str] | None = None,
) -> PythonDecision:
    """Python version and dependency install for an app rooted at ``root``.

    ``request`` is an explicit (version, where) that beats every file in the tree.
    """
    project_dir = root
    for folder in ancestors(root):
        if any(tree.is_file(join(folder, n)) for n in _DEP_FILES):
            project_dir = folder
            break
    pyproject_path = join(project_dir, "pyproject.toml")
    pyproject = read_toml(tree, pyproject_path)
    resolved, source = _version(tree, root, env, pyproject, pyproject_path, request)
    warnings = [resolved.warning] if resolved.warning else []
    if resolved.note:
        source = f"{source} ({resolved.note})"

    venv = VENV
    create = f"python3 -m venv {venv}"
    pip = f"{venv}/bin/python -m pip install"
    tool = (pyproject or {}).get("tool") or {}
    has = lambda name: tree.is_file(join(project_dir, name))  # noqa: E731
    installer: str | None
    doc_reqs = next((n for n in _DOC_REQUIREMENTS if has(n)), None)
    if has("requirements.txt"):
        installer, dep = "pip", join(project_dir, "requirements.txt")
        cmd = f"{create} && {pip} -r requirements.txt"
    elif doc_reqs and not has("uv.lock") and not has("poetry.lock"):
        installer, dep = "pip", join(project_dir, doc_reqs)
        extra = " ." if pyproject is not None and "project" in pyproject else ""
        cmd = f"{create} && {pip} -r {doc_reqs}{extra}"
    elif has("uv.lock"):
        installer, dep = "uv", join(project_dir, "uv.lock")
        # --inexact keeps uv itself in the venv it installs into.
        cmd = f"{create} && {pip} uv && {venv}/bin/uv sync --locked --inexact"
    elif has("poetry.lock") or "poetry" in tool:
        installer, dep = (
            "poetry",
            join(project_dir, "poetry.lock" if has("poetry.lock") else "pyproject.toml"),
        )
        cmd = f"{create} && {pip} poetry && . {venv}/bin/activate && poetry install --no-root"
    elif has("Pipfile"):
        installer, dep = "pipenv", join(project_dir, "Pipfile")
        deploy = " --deploy" if has("Pipfile.lock") else ""
        cmd = (
            f"{create} && {pip} pipenv && . {venv}/bin/activate && pipenv install --system{deploy}"
        )
    elif pyproject is not None and "project" in pyproject:
        installer, dep = "pip", pyproject_path
        cmd = f"{create} && {pip} ."
    else:
        installer, dep, cmd = None, None, None
    if installer is None:
        warnings.append(
            "no requirements.txt, pyproject.toml or Pipfile: nothing is installed before the "
            "build; list the build's Python packages (e.g. mkdocs) in requirements.txt"
        )
    return PythonDecision(resolved.version, source, project_dir, installer, cmd, dep, warnings)


def python_bin(decision: PythonDecision, root: str) -> str:
    """The venv's interpreter as seen from the app root."""
    if decision.installer is None:
        return "python3"
    rel = posixpath.relpath(decision.project_dir or ".", root or ".")
    return join(rel, VENV, "bin", "python") if rel != "." else f"{VENV}/bin/python"


def mkdocs_requirement_warning(tree: Tree, decision: PythonDecision) -> str | None:
    """Warn when MkDocs is not among the declared dependencies."""
    if decision.dep_source is None:
        return None
    text = tree.read_text(decision.dep_source) or ""
    if re.search(r"mkdocs", text, re.I):
        return None
    return f"mkdocs is not listed in {decision.dep_source}; the build needs it installed"
