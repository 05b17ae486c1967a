"""Where pitstop keeps state: platformdirs locations, overridable with PITSTOP_HOME."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Paths:
    """Resolved state directories. ``PITSTOP_HOME`` puts everything under one folder."""

    data: Path
    cache: Path

    @property
    def database(self) -> Path:
        return self.data / "history.sqlite3"

    @property
    def mirrors(self) -> Path:
        return self.cache / "mirrors"

    @property
    def workdirs(self) -> Path:
        return self.cache / "work"

    @property
    def outputs(self) -> Path:
        return self.data / "outputs"

    @property
    def downloads(self) -> Path:
        return self.cache / "downloads"

    @property
    def build_cache(self) -> Path:
        """Output memos, framework caches and the index of dependency images."""
        return self.cache / "build-cache"

    @classmethod
    def default(cls) -> Paths:
        home = os.environ.get("PITSTOP_HOME")
        if home:
            root = Path(home).expanduser().resolve()
            return cls(data=root / "data", cache=root / "cache")
        import platformdirs

        return cls(
            data=Path(platformdirs.user_data_dir("pitstop", appauthor=False)),
            cache=Path(platformdirs.user_cache_dir("pitstop", appauthor=False)),
        )
