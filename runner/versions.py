"""Pinned versions of what pitstop's build image provides by default."""

from __future__ import annotations

#: Node.js in the build image, and the default when a project asks for no version.
#: The 24 line is LTS (maintained until 2028) and every current framework supports it.
DEFAULT_NODE_VERSION = "24.22.3"

#: npm installed next to Node in the build image (the registry's Node packages lack it).
NPM_VERSION = "11.21.2"

#: Corepack in the build image (Node stops bundling it from 25 on); runs yarn and pnpm pins.
COREPACK_VERSION = "0.36.0"
