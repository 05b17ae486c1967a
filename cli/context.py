"""The composition root passed to every command: console, paths and gateway factories."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from runner.paths import Paths

if TYPE_CHECKING:
    from rich.console import Console

    from runner.store import Store


@dataclass
class AppContext:
    """Shared state for one invocation; heavy parts are created on first use."""

    debug: bool = False
    paths: Paths = field(default_factory=Paths.default)

    @cached_property
    def console(self) -> Console:
        from rich.console import Console

        return Console(highlight=False, soft_wrap=True)

    @cached_property
    def err_console(self) -> Console:
        from rich.console import Console

        return Console(stderr=True, highlight=False, soft_wrap=True)

    @cached_property
    def store(self) -> Store:
        from runner.store import Store

        return Store(self.paths.database)

    def build_cache(self) -> Any:
        """The host-side build cache, capped by ``PITSTOP_CACHE_MAX`` (default 10 GiB)."""
        import os

        from runner.build_cache import max_cache_bytes
        from runner.cache import BuildCache

        return BuildCache(self.paths.build_cache, max_cache_bytes(dict(os.environ)))

    def connect_engine(self) -> Any:
        from runner.engine import DockerEngine

        return DockerEngine.connect()

    def new_build(self, request: Any, *, emit: Any, cancel: Any) -> Any:
        """A :class:`runner.build.Build` wired to this invocation's store, paths and engine."""
        from runner.build import Build

        return Build(
            request,
            store=self.store,
            paths=self.paths,
            emit=emit,
            connect_engine=self.connect_engine,
            ensure_image=self.ensure_image,
            cancel=cancel,
        )

    def ensure_image(self, client: Any, progress: Any, force: bool = False) -> str:
        from runner.image import ensure_image

        return ensure_image(client, downloads=self.paths.downloads, progress=progress, force=force)
