"""The real build image on the real engine: tools, user, no baked CA, fast warm path."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from runner.image import LABEL, bootstrap, ensure_image, image_status
from runner.versions import COREPACK_VERSION, DEFAULT_NODE_VERSION, NPM_VERSION

pytestmark = pytest.mark.docker

PROBE = "dev.pitstop.test"


def run(client, tag: str, script: str, **kwargs: object) -> str:
    """Run ``script`` in a throwaway container from ``tag``; its stdout+stderr as text."""
    output = client.containers.run(
        tag,
        ["bash", "-c", script],
        remove=True,
        network_mode="none",
        labels={LABEL: "1", PROBE: "image"},
        **kwargs,
    )
    return output.decode().strip()


def test_image_has_the_tools(docker_client, build_image: str) -> None:
    lines = run(
        docker_client,
        build_image,
        "node --version; npm --version; npx --version; corepack --version;"
        " git --version; python3 --version; make --version | head -1; g++ --version | head -1;"
        " python3 -m venv /tmp/venv && /tmp/venv/bin/python -c 'print(\"venv ok\")'",
    ).splitlines()
    assert lines[0] == f"v{DEFAULT_NODE_VERSION}"
    assert lines[1] == NPM_VERSION
    assert lines[2] == NPM_VERSION
    assert lines[3] == COREPACK_VERSION
    assert lines[4].startswith("git version 2.")
    assert lines[5].startswith("Python 3.11")
    assert lines[6].startswith("GNU Make")
    assert lines[7].startswith("g++")
    assert lines[8] == "venv ok"


@pytest.mark.parametrize("user", [None, "1000", "1000:1000"])
def test_user_is_1000_with_a_writable_home(docker_client, build_image: str, user) -> None:
    out = run(
        docker_client,
        build_image,
        "id -u; id -g; echo $HOME; pwd; touch /workspace/x ~/.npm/x && echo writable",
        **({"user": user} if user else {}),
    )
    assert out.splitlines() == ["1000", "1000", "/home/pitstop", "/workspace", "writable"]


def test_no_certificate_is_baked_in(docker_client, build_image: str) -> None:
    env = docker_client.images.get(build_image).attrs["Config"]["Env"]
    names = {item.split("=", 1)[0] for item in env}
    assert not names & {"NODE_EXTRA_CA_CERTS", "SSL_CERT_FILE", "npm_config_cafile"}
    out = run(
        docker_client,
        build_image,
        "grep -c 'BEGIN CERTIFICATE' /etc/ssl/certs/ca-certificates.crt;"
        " ls /usr/share/ca-certificates/*/*.crt | wc -l;"
        " ls -A /usr/local/share/ca-certificates | wc -l",
    )
    in_bundle, from_debian, local = (int(n) for n in out.split())
    assert in_bundle == from_debian > 100  # Debian's own CA set and nothing else
    assert local == 0


def test_warm_ensure_image_is_fast_and_labelled(docker_client, build_image: str) -> None:
    messages: list[tuple[str, str]] = []
    downloads = Path(os.environ["PITSTOP_HOME"]) / "cache" / "downloads"
    # a fresh download cache: tarballs come again (verified), the image is still found
    tag = ensure_image(docker_client, downloads=downloads, progress=lambda *m: messages.append(m))
    assert tag == build_image
    start = time.monotonic()
    tag = ensure_image(docker_client, downloads=downloads, progress=lambda *m: messages.append(m))
    warm = time.monotonic() - start
    assert tag == build_image
    assert warm < 5, f"warm ensure_image took {warm:.1f}s"
    assert not [m for m in messages if m[0] == "image" and m[1].startswith("building")]
    image = docker_client.images.get(tag)
    assert image.labels[LABEL] == "1"
    assert image.labels["dev.pitstop.node"] == DEFAULT_NODE_VERSION
    status = image_status(docker_client, downloads=downloads)
    assert status["tag"] == tag and status["present"] is True
    assert status["size"] and int(status["size"]) > 100_000_000
    assert status["base_present"] is True


@pytest.mark.slow
@pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("debootstrap") is None, reason="needs root and debootstrap"
)
def test_debootstrap_base_imports_and_runs(
    docker_client, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The offline base path end to end, with a tiny package set under its own tag."""
    monkeypatch.setattr(bootstrap, "PACKAGES", ("ca-certificates",))
    monkeypatch.setattr(bootstrap, "RECIPE_VERSION", f"test-{os.getpid()}")
    messages: list[tuple[str, str]] = []
    base = bootstrap.build_base(docker_client, tmp_path, lambda *m: messages.append(m))
    try:
        assert base.ref == bootstrap.base_tag(("ca-certificates",))
        assert any(m[1].startswith("debootstrap: I: Retrieving") for m in messages)
        assert list(tmp_path.iterdir()) == [], "the temporary root filesystem is removed"
        image = docker_client.images.get(base.ref)
        assert image.labels[LABEL] == "1"
        out = run(docker_client, base.ref, "cat /etc/debian_version; ls /etc/ssl/certs | wc -l")
        version, certs = out.split()
        assert version.startswith("12.")
        assert int(certs) > 100
    finally:
        docker_client.images.remove(base.ref, force=True)


ADDON = r"""
set -e
mkdir /tmp/addon && cd /tmp/addon
echo '{"targets":[{"target_name":"hello","sources":["hello.cc"]}]}' > binding.gyp
printf '#include <node_api.h>\nstatic napi_value Init(napi_env env, napi_value exports)'\
' { return exports; }\nNAPI_MODULE(NODE_GYP_MODULE_NAME, Init)\n' > hello.cc
echo '{"name":"addon","version":"1.0.0"}' > package.json
npm install --foreground-scripts --no-audit 2>&1
node -e 'require("./build/Release/hello.node"); console.log("addon loaded")'
"""


def test_native_addon_builds_without_network(docker_client, build_image: str) -> None:
    """node-gyp finds the image's Node headers (nothing to download), and npm stays quiet."""
    out = run(docker_client, build_image, ADDON)
    assert out.endswith("addon loaded"), out
    assert "Unknown env config" not in out
    assert "gyp info ok" in out
