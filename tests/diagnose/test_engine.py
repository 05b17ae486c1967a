"""Root-cause choice, runner signals, pitstop's own messages and the JSON shape."""

from __future__ import annotations

import json

import pytest

from runner.diagnose import RULES, diagnose, explain_text
from runner.diagnose.match import _Missing

from .conftest import FIXTURES, read_lines


def fixture(name: str) -> list[str]:
    return read_lines(FIXTURES / f"{name}.log")


def test_root_cause_beats_generic_trailers_and_consequences():
    # config load failure is reported first, the missing env var is the cause
    d = diagnose(fixture("env_var_missing/vite-config-throw"))
    assert d.code == "env_var_missing"
    assert d.captures["name"] == "VITE_API_URL"
    assert d.secondary == ("config_error",)


def test_tsconfig_error_outranks_the_errors_it_causes():
    d = diagnose(fixture("config_error/tsc-invalid-option"))
    assert d.code == "config_error"
    assert "module_not_found" in d.secondary


def test_trailers_alone_are_not_a_diagnosis():
    lines = [
        "npm error code 1",
        "npm error A complete log of this run can be found in: /home/u/.npm/_logs/x.log",
        "error Command failed with exit code 1.",
        " ELIFECYCLE  Command failed with exit code 1.",
        "Build failed",
    ]
    d = diagnose(lines)
    assert d.code == "unknown"
    assert d.evidence == ()


def test_cause_found_among_a_long_noisy_log():
    noise = [f"[{i}/9000] transforming src/component-{i}.tsx" for i in range(9000)]
    lines = [*noise, *fixture("module_not_found/vite-relative-import"), *noise[:50]]
    d = diagnose(lines)
    assert d.code == "module_not_found"
    assert d.evidence[0].line == 9006
    assert d.captures["module"] == "./utils/helper.js"


def test_oom_killed_with_exit_137_is_out_of_memory_even_without_text():
    d = diagnose(
        ["> next build", "Creating an optimized production build ..."],
        exit_code=137,
        oom_killed=True,
        failed_step="build",
    )
    assert d.code == "out_of_memory"
    assert d.phase == "build"
    assert d.evidence == ()


def test_oom_killed_wins_over_the_errors_it_causes():
    lines = fixture("typescript_error/npm-run-tsc")
    assert diagnose(lines).code == "typescript_error"
    d = diagnose(lines, exit_code=137, oom_killed=True)
    assert d.code == "out_of_memory"
    assert "typescript_error" in d.secondary


def test_exit_137_alone_is_not_called_oom():
    assert diagnose(["Killed"], exit_code=137).code != "out_of_memory"


def test_heap_message_is_out_of_memory_without_runner_signal():
    d = diagnose(fixture("out_of_memory/vite-build-heap"), exit_code=134)
    assert d.code == "out_of_memory"


@pytest.mark.parametrize(
    ("line", "code", "captures"),
    [
        (
            'pitstop: output directory "dist" was not found; found: src, public, package.json',
            "output_dir_missing",
            {"dir": "dist", "found": "src, public, package.json"},
        ),
        ("pitstop: build timed out after 20m0s", "timeout", {"step": "build", "limit": "20m0s"}),
        (
            "pitstop: install timed out after 10m0s",
            "timeout",
            {"step": "install", "limit": "10m0s"},
        ),
    ],
)
def test_pitstop_phase_messages(line, code, captures):
    d = diagnose(["vite v5.4.21 building for production...", line])
    assert d.code == code
    assert {k: d.captures[k] for k in captures} == captures
    assert d.evidence[0].line == 2


def test_timeout_phase_without_message():
    d = diagnose(["building...", "Error: Command failed"], phase="timeout")
    assert d.code == "timeout"
    assert d.phase == "timeout"


def test_timeout_stops_reading_and_wins():
    lines = ["pitstop: build timed out after 20m0s", "npm error code ENOENT", "sh: 1: x: not found"]
    d = diagnose(lines)
    assert d.code == "timeout"
    assert d.secondary == ()


def test_phase_prefers_rules_of_that_phase():
    lines = ["npm error code E404", "sh: 1: vite: not found"]
    assert diagnose(lines, failed_step="build").code == "command_not_found"
    assert diagnose(lines, failed_step="install").code == "package_not_found"


def test_to_dict_is_json_with_the_documented_keys():
    d = diagnose(fixture("engine_incompatible/pnpm-unsupported-engine"), failed_step="install")
    data = json.loads(json.dumps(d.to_dict()))
    for key in ("code", "phase", "title", "group", "explanation", "fix", "evidence", "secondary"):
        assert key in data
    assert data["evidence"][0] == {"line": 1, "text": d.evidence[0].text}
    assert data["phase"] == "install"
    assert "22.12.0" in data["title"] and "v20.20.2" in data["title"]


def test_network_error_names_the_host():
    assert diagnose(fixture("network_error/node-fetch-fonts")).captures["host"] == (
        "fonts.googleapis.com"
    )
    d = diagnose(fixture("network_error/git-clone-github"), phase="clone")
    assert d.captures["host"] == "github.com" and d.phase == "clone"


def test_explain_text_cleans_a_github_actions_paste():
    raw = (
        "2024-05-01T10:00:00.1234567Z ##[group]Run npm ci\n"
        "2024-05-01T10:00:00.2234567Z \x1b[36;1mnpm ci\x1b[0m\n"
        "2024-05-01T10:00:00.3234567Z ##[endgroup]\n"
        + "".join(
            f"2024-05-01T10:00:01.0000000Z {line}\n"
            for line in fixture("lockfile_out_of_sync/npm-ci-missing-dep")[:6]
        )
        + "2024-05-01T10:00:02.0000000Z ##[error]Process completed with exit code 1.\n"
    )
    d = explain_text(raw)
    assert d.code == "lockfile_out_of_sync"
    assert d.evidence[0].line == 6  # line numbers of the pasted text
    assert d.evidence[0].text.startswith("npm error `npm ci` can only install")


def test_explain_text_netlify_and_cloudflare_prefixes():
    netlify = "1:23:45 PM: $ npm run build\n1:23:46 PM: sh: 1: astro: not found\n"
    assert explain_text(netlify).captures["command"] == "astro"
    cf = "12:34:56.789\tInstalling project dependencies: npm clean-install\n" + "\n".join(
        f"12:34:57.001\t{line}" for line in fixture("engine_incompatible/npm-engine-strict")
    )
    assert explain_text(cf).code == "engine_incompatible"


def test_ansi_coloured_output_is_matched():
    d = diagnose(fixture("typescript_error/tsc-pretty"))
    assert d.code == "typescript_error"
    assert "\x1b" not in d.evidence[0].text


def test_every_rule_renders_without_captures():
    from runner.diagnose.match import _derived

    for rule in RULES:
        values = _Missing(dict(rule.defaults))
        values.update(_derived({}))
        for text in (rule.title, rule.explanation, rule.fix):
            rendered = text.format_map(values)
            assert "?" not in rendered.replace("????", "") or "?" in text, (rule.id, rendered)


def test_rule_ids_unique_and_codes_cover_the_issue():
    ids = [r.id for r in RULES]
    assert len(ids) == len(set(ids))
    codes = {r.code for r in RULES}
    required = {
        "lockfile_out_of_sync",
        "dependency_conflict",
        "package_not_found",
        "version_not_found",
        "engine_incompatible",
        "registry_auth_failed",
        "network_error",
        "integrity_error",
        "native_build_failed",
        "wrong_package_manager",
        "python_version_unavailable",
        "module_not_found",
        "missing_export",
        "typescript_error",
        "syntax_error",
        "command_not_found",
        "missing_script",
        "out_of_memory",
        "output_dir_missing",
        "prerender_error",
        "lint_error",
        "disk_full",
        "permission_denied",
        "clone_failed",
        "config_error",
        "env_var_missing",
        "timeout",
    }
    assert required <= codes
    for rule in RULES:
        assert rule.category in ("init", "clone", "install", "build", "output", "health", "timeout")
        assert rule.fault in ("user", "platform")
