"""Make pasted CI logs look like a plain terminal transcript, line for line.

Cleaning never adds or removes lines, so line numbers in a diagnosis still point at the
text the user pasted. Handles ANSI colours, carriage-return progress output, timestamp
prefixes (GitHub Actions, Cloudflare Pages, Vercel, Netlify, ISO-8601, docker build,
Cloud Foundry, Heroku, numbered log viewers), monorepo task prefixes (``web:build:``)
and GitHub's ``##[group]`` / ``::group::`` markers.
"""

from __future__ import annotations

import re

ANSI_RE = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI: colours, cursor moves
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)"  # OSC: hyperlinks, titles
    r"|\x1b[@-Z\\-_]"  # two-byte escapes
)

_PREFIXES = re.compile(
    r"^(?:"
    r"\ufeff"
    r"|\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})?[ \t]+"  # ISO
    r"|\[\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?\][ \t]+"  # Vercel: [12:34:56.789]
    r"|\d{1,2}:\d{2}:\d{2}(?:\.\d{1,6})?[ \t]*\|[ \t]?"  # copied log tables: 12:34:56.789 |
    r"|\d{2}:\d{2}:\d{2}\.\d{3}[ \t]+"  # Cloudflare Pages / Vercel: 12:34:56.789
    r"|\d{1,2}:\d{2}:\d{2} ?[AP]M:[ \t]*"  # Netlify: 1:23:45 PM:
    r"|#\d+ \d+\.\d+[ \t]+"  # docker build (plain progress): #8 12.34
    r"|\d{1,4}\.\d{2,3}[ \t]+(?=\S)"  # docker build (error summary): 59.96
    r"|\d{1,6} \| (?=\S)"  # numbered log viewers (CodeBuild, GitHub): 249 |
    r"|\[(?:STG|APP|API|RTR|DEA|CELL)/\d+\][ \t]+(?:OUT|ERR)[ \t]+"  # Cloud Foundry
    r"|remote: "  # git push deploys (Heroku, Dokku)
    r"|[\w@][\w@/.-]*:[A-Za-z][\w:-]*: "  # monorepo task prefixes (turbo): web:build:
    r")"
)
_GH_MARKER = re.compile(
    r"^(?:##\[(?:group|endgroup|section|command|error|warning|notice|debug|info)\]"
    r"|::(?:group|endgroup|error|warning|notice|debug)(?: [^:]*)?::)"
)
_DROP = ("##[endgroup]", "::endgroup::")


def strip_ansi(text: str) -> str:
    """Remove ANSI escape sequences."""
    return ANSI_RE.sub("", text) if "\x1b" in text else text


def terminal_text(line: str) -> str:
    """What a terminal shows for a line with ``\\r`` progress updates: the last segment."""
    if "\r" not in line:
        return line
    parts = [p for p in line.split("\r") if p]
    return parts[-1] if parts else ""


def clean_line(line: str) -> str:
    """Strip colours, progress rewrites, CI timestamp prefixes and workflow markers."""
    line = terminal_text(strip_ansi(line)).rstrip("\n")
    for _ in range(3):  # e.g. a Vercel timestamp in front of a GitHub-style marker
        new = _PREFIXES.sub("", line, count=1)
        if new.strip() in _DROP:
            return ""
        new = _GH_MARKER.sub("", new, count=1)
        if new == line:
            break
        line = new
    return line


def clean_lines(lines: list[str]) -> list[str]:
    """Clean every line; the result has exactly as many lines as the input."""
    return [clean_line(line) for line in lines]


def clean_text(text: str) -> list[str]:
    """Split pasted text into cleaned lines (``\\r\\n`` and ``\\n`` both end a line)."""
    text = text.replace("\r\n", "\n")
    if text.endswith("\n"):
        text = text[:-1]
    return clean_lines(text.split("\n")) if text else []
