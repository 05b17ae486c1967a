"""The environment a build container gets: CA bundle variables, proxies, CI defaults. Pure."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

#: Where the host's CA bundle is placed inside every build container.
CA_PATH = "/etc/pitstop/ca-certificates.crt"

#: Host bundles tried in order when SSL_CERT_FILE does not name one.
HOST_CA_CANDIDATES = (
    "/etc/ssl/certs/ca-certificates.crt",  # Debian, Ubuntu, Alpine
    "/etc/pki/tls/certs/ca-bundle.crt",  # Fedora, RHEL
    "/etc/ssl/cert.pem",  # macOS, Alpine
)

_CA_VARIABLES = (
    "NODE_EXTRA_CA_CERTS",
    "npm_config_cafile",
    "YARN_HTTPS_CA_FILE_PATH",
    "SSL_CERT_FILE",
    "REQUESTS_CA_BUNDLE",
    "PIP_CERT",
    "GIT_SSL_CAINFO",
    "CURL_CA_BUNDLE",
)
_PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "ALL_PROXY")
_LOOPBACK = re.compile(r"(?<=[/@])(localhost|127\.0\.0\.1|\[::1\])(?=[:/]|$)")

BASE_ENV = {
    "HOME": "/home/pitstop",
    "CI": "true",
    "PITSTOP": "1",
    "NO_UPDATE_NOTIFIER": "1",
    "npm_config_update_notifier": "false",
    "npm_config_fund": "false",
    # use cached tarballs without revalidating each (registries behind proxies often send no
    # cache headers); every tarball is still checked against the lockfile's integrity
    "npm_config_prefer_offline": "true",
    "COREPACK_ENABLE_DOWNLOAD_PROMPT": "0",
    "LANG": "C.UTF-8",
    # a local build reports nothing home (and prints no telemetry notices into the log)
    "DO_NOT_TRACK": "1",
    "TURBO_TELEMETRY_DISABLED": "1",
    "NEXT_TELEMETRY_DISABLED": "1",
    "ASTRO_TELEMETRY_DISABLED": "1",
    "GATSBY_TELEMETRY_DISABLED": "1",
}

#: Package-manager stores, all under the shared cache volume mounted at ~/.cache (npm's own
#: cache is ~/.npm, a volume of its own). Shared by every build and project.
STORE_ENV = {
    "YARN_CACHE_FOLDER": "/home/pitstop/.cache/yarn",  # yarn classic
    "YARN_GLOBAL_FOLDER": "/home/pitstop/.cache/yarn-berry",  # yarn 2+ global cache
    "BUN_INSTALL_CACHE_DIR": "/home/pitstop/.cache/bun",
    "PIP_CACHE_DIR": "/home/pitstop/.cache/pip",
}


@dataclass(frozen=True)
class ContainerEnvironment:
    env: dict[str, str]
    extra_hosts: dict[str, str] = field(default_factory=dict)


#: Per package manager: settings that would make other tools warn if set for every build.
#: pnpm reads only ``npm_config_store_dir`` (``pnpm_config_*`` and ``PNPM_HOME`` do not move
#: the store onto the volume: pnpm then picks a store beside the project); npm warns about it.
PACKAGE_MANAGER_ENV = {
    "pnpm": {"npm_config_store_dir": "/home/pitstop/.cache/pnpm-store"},
}


def host_ca_bundle(host_env: Mapping[str, str]) -> Path | None:
    """The host's CA bundle: SSL_CERT_FILE if it names a file, else the first known path."""
    for candidate in (host_env.get("SSL_CERT_FILE"), *HOST_CA_CANDIDATES):
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    return None


def container_environment(
    host_env: Mapping[str, str],
    *,
    with_ca: bool,
    extra: Mapping[str, str] | None = None,
) -> ContainerEnvironment:
    """Variables for a build container, given the host's environment.

    Proxy variables are forwarded in both spellings; a proxy on the host's loopback becomes
    ``host.docker.internal``, which the engine maps to the host gateway.
    """
    env = {**BASE_ENV, **STORE_ENV}
    extra_hosts: dict[str, str] = {}
    if with_ca:
        env.update(dict.fromkeys(_CA_VARIABLES, CA_PATH))
    for name in _PROXY_VARIABLES:
        value = host_env.get(name) or host_env.get(name.lower())
        if not value:
            continue
        if name != "NO_PROXY":
            rewritten = _LOOPBACK.sub("host.docker.internal", value)
            if rewritten != value:
                extra_hosts["host.docker.internal"] = "host-gateway"
            value = rewritten
        env[name] = env[name.lower()] = value
    env.update(extra or {})
    return ContainerEnvironment(env=env, extra_hosts=extra_hosts)
