"""Privacy masking of groups and cleaning of pasted logs."""

from __future__ import annotations

import pytest

from runner.diagnose import diagnose
from runner.diagnose.clean import clean_line, clean_text, strip_ansi
from runner.diagnose.redact import redact


@pytest.mark.parametrize(
    ("text", "must_not_contain", "placeholder"),
    [
        ("EACCES: permission denied, open '/home/alice/app/dist/x.js'", "alice", "<PATH>"),
        ("failed in /Users/bob/Projects/site/src/a.ts", "bob", "<PATH>"),
        (r"error at C:\Users\carol\site\index.js", "carol", "<PATH>"),
        ("see ~/private/notes.txt", "private", "<PATH>"),
        (
            "fatal: reference is not a tree: 3f9c2a1b7d8e4f60a1b2c3d4e5f60718293a4b5c",
            "3f9c2a1b",
            "<HASH>",
        ),
        ("build 6f1c0e4e-8a31-4d5e-9b2a-1c2d3e4f5a6b failed", "6f1c0e4e", "<ID>"),
        (
            "wanted sha512-41Cifkg6e8TylSpdtTpeLVMqvSBEVzTttHvERD741+pnZ8ANv0004"
            "MRL43QKPDlK9cGvNp6NZWZUBlbGXYxxng==",
            "41Cifkg",
            "<HASH>",
        ),
        (
            "//registry.npmjs.org/:_authToken=npm_Zx81abcdefghijABCDEFGHIJ0123456789",
            "Zx81",
            "<TOKEN>",
        ),
        (
            "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTYifQ.abcdefghijklmnop",
            "eyJhbGci",
            "<TOKEN>",
        ),
        ("ghp_abcdefghijklmnopqrstuvwxyz0123456789 leaked", "ghp_abc", "<TOKEN>"),
        ("commit by dev.person@example.com failed", "dev.person", "<EMAIL>"),
        (
            "fatal: unable to access 'https://bob:s3cret@git.example.com/team/app.git/'",
            "s3cret",
            "<CREDENTIALS>",
        ),
        (
            "GET https://registry.example.com/@acme%2fsecret-app: Unauthorized",
            "secret-app",
            "<PATH>",
        ),
        ("DATABASE_URL password=hunter2 rejected", "hunter2", "<TOKEN>"),
    ],
)
def test_redact_masks_private_parts(text, must_not_contain, placeholder):
    out = redact(text)
    assert must_not_contain not in out
    assert placeholder in out


def test_redact_keeps_stable_codes():
    assert redact("error TS2307: Cannot find module") == "error TS2307: Cannot find module"
    assert "ERR_PNPM_FETCH_404" in redact(" ERR_PNPM_FETCH_404  GET x")
    assert redact("npm error code E404") == "npm error code E404"


def test_same_failure_in_two_checkouts_gives_one_group():
    a = diagnose(["Error: EACCES: permission denied, mkdir '/home/alice/site/node_modules'"])
    b = diagnose(["Error: EACCES: permission denied, mkdir '/srv/ci/build-8812/node_modules'"])
    assert a.code == b.code == "permission_denied"
    assert a.group == b.group
    assert "alice" in a.evidence[0].text  # evidence for one build keeps its real text


def test_group_of_credentials_url_is_masked():
    d = diagnose(
        [
            "fatal: unable to access 'https://x-token:ghp_abcdefghijklmnopqrstuvwxyz0123@"
            "github.com/acme/private.git/': Could not resolve host: github.com"
        ]
    )
    assert d.code == "network_error"
    assert "ghp_" not in d.group and "acme" not in d.group
    assert d.captures["host"] == "github.com"


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("2024-05-01T10:00:00.1234567Z npm error code E404", "npm error code E404"),
        ("2024-05-01T10:00:00.1234567Z ##[group]Run npm ci", "Run npm ci"),
        ("2024-05-01T10:00:00.1234567Z ##[endgroup]", ""),
        ("##[error]Process completed with exit code 1.", "Process completed with exit code 1."),
        ("::error file=app.js,line=1::boom", "boom"),
        ("12:34:56.789\tsh: 1: vite: not found", "sh: 1: vite: not found"),
        ('[12:34:56.789] Running "npm run build"', 'Running "npm run build"'),
        ("3:04:05 PM: Build failed", "Build failed"),
        ("\x1b[31merror\x1b[39m TS2322", "error TS2322"),
        ("Progress: 1\rProgress: 2\rProgress: done", "Progress: done"),
        ("\x1b]8;;https://x.dev\x07link\x1b]8;;\x07", "link"),
        ("19:50:29 [build] output", "19:50:29 [build] output"),
    ],
)
def test_clean_line(raw, clean):
    assert clean_line(raw) == clean


def test_clean_text_keeps_line_count():
    text = "a\r\n##[endgroup]\r\nb\n"
    assert clean_text(text) == ["a", "", "b"]
    assert strip_ansi("plain") == "plain"
