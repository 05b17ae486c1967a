"""The build container's environment: CA variables, proxies, loopback rewriting."""

from __future__ import annotations

import pytest

from runner.container_env import CA_PATH, container_environment, host_ca_bundle


def test_ca_variables_point_at_the_injected_bundle() -> None:
    env = container_environment({}, with_ca=True).env
    for name in (
        "NODE_EXTRA_CA_CERTS",
        "npm_config_cafile",
        "SSL_CERT_FILE",
        "PIP_CERT",
        "GIT_SSL_CAINFO",
        "REQUESTS_CA_BUNDLE",
        "YARN_HTTPS_CA_FILE_PATH",
    ):
        assert env[name] == CA_PATH


def test_without_a_bundle_no_ca_variable_is_set() -> None:
    env = container_environment({}, with_ca=False).env
    assert "NODE_EXTRA_CA_CERTS" not in env
    assert env["CI"] == "true"


@pytest.mark.parametrize(
    ("host", "expected", "mapped"),
    [
        ({"HTTPS_PROXY": "http://proxy.corp:3128"}, "http://proxy.corp:3128", False),
        ({"https_proxy": "http://127.0.0.1:8080"}, "http://host.docker.internal:8080", True),
        (
            {"HTTPS_PROXY": "http://user@localhost:8080/"},
            "http://user@host.docker.internal:8080/",
            True,
        ),
        ({"HTTPS_PROXY": "http://localhostify.example:1"}, "http://localhostify.example:1", False),
    ],
)
def test_proxies_are_forwarded_in_both_spellings(
    host: dict[str, str], expected: str, mapped: bool
) -> None:
    result = container_environment(host, with_ca=False)
    assert result.env["HTTPS_PROXY"] == expected
    assert result.env["https_proxy"] == expected
    assert ("host.docker.internal" in result.extra_hosts) is mapped


def test_no_proxy_is_not_rewritten() -> None:
    env = container_environment({"NO_PROXY": "localhost,127.0.0.1"}, with_ca=False).env
    assert env["NO_PROXY"] == env["no_proxy"] == "localhost,127.0.0.1"


def test_extra_variables_win() -> None:
    env = container_environment({}, with_ca=False, extra={"CI": "1", "FOO": "bar"}).env
    assert env["CI"] == "1" and env["FOO"] == "bar"


def test_host_bundle_prefers_ssl_cert_file(tmp_path) -> None:
    bundle = tmp_path / "corp.pem"
    bundle.write_text("-----BEGIN CERTIFICATE-----\n")
    assert host_ca_bundle({"SSL_CERT_FILE": str(bundle)}) == bundle


def test_package_manager_stores_live_on_the_shared_cache_volume() -> None:
    from runner.build import STORE_VOLUMES
    from runner.container_env import PACKAGE_MANAGER_ENV

    env = container_environment({}, with_ca=False).env
    mounts = set(STORE_VOLUMES.values())
    for name in (
        "YARN_CACHE_FOLDER",
        "YARN_GLOBAL_FOLDER",
        "BUN_INSTALL_CACHE_DIR",
        "PIP_CACHE_DIR",
    ):
        assert any(env[name].startswith(m + "/") for m in mounts), name
    assert PACKAGE_MANAGER_ENV["pnpm"]["npm_config_store_dir"].startswith(tuple(mounts))


@pytest.mark.parametrize(
    ("name", "secret"),
    [
        ("API_TOKEN", True),
        ("DEPLOY_KEY", True),
        ("NPM_AUTH", True),
        ("DB_PASSWORD", True),
        ("APIKEY", True),
        ("KEYBOARD_LAYOUT", False),
        ("PUBLIC_URL", False),
        ("NODE_ENV", False),
    ],
)
def test_which_env_names_are_masked(name: str, secret: bool) -> None:
    from runner.build import BuildRequest

    request = BuildRequest(env=((name, "value-1234"),))
    assert (request.secret_values() == ("value-1234",)) is secret
