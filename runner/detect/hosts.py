"""Settings a project keeps for its hosted build that pitstop honours.

``netlify.toml`` in the app root (or the nearest parent) may set ``NODE_VERSION``,
``PYTHON_VERSION`` and ``HUGO_VERSION`` in ``[build.environment]``, overridden by
``[context.production.environment]``: they count like the environment variables of the
same names, after the real environment and pitstop.toml.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from runner.detect.files import ancestors, join, parse_toml
from runner.detect.tree import Tree
from runner.errors import DetectError

#: Variables read from a hosted build's environment settings.
VERSION_VARS = ("NODE_VERSION", "PYTHON_VERSION", "HUGO_VERSION")


@dataclass
class HostedEnv:
    path: str | None = None  # the file they came from
    values: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def request(self, name: str) -> tuple[str, str] | None:
        """(value, "NAME in path") when the file sets ``name``."""
        value = self.values.get(name)
        return (value, f"{name} in {self.path}") if value and self.path else None


def _section(data: dict, *keys: str) -> dict:
    for key in keys:
        data = data.get(key) if isinstance(data, dict) else None  # type: ignore[assignment]
    return data if isinstance(data, dict) else {}


def netlify_env(tree: Tree, root: str) -> HostedEnv:
    """The version variables of the nearest ``netlify.toml`` at or above ``root``."""
    for folder in ancestors(root):
        path = join(folder, "netlify.toml")
        text = tree.read_text(path)
        if text is None:
            continue
        try:
            data = parse_toml(path, text)
        except DetectError as exc:
            return HostedEnv(warnings=[f"{exc.message}; its settings are ignored"])
        merged = {
            **_section(data, "build", "environment"),
            **_section(data, "context", "production", "environment"),
        }
        values = {
            k: str(v).strip()
            for k, v in merged.items()
            if k in VERSION_VARS and isinstance(v, str | int | float) and str(v).strip()
        }
        return HostedEnv(path, values)
    return HostedEnv()
