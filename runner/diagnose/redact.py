"""Masking that turns one build's text into a stable, shareable *group*.

Groups and anything aggregated across builds must never hold user paths, home
directories, account or build ids, hashes, tokens, emails or credentials in URLs.
``redact`` replaces them with placeholders (``<PATH>``, ``<HASH>``, ``<TOKEN>``...)
and collapses numbers, so the same failure in two checkouts gives the same string.
"""

from __future__ import annotations

import re

from runner.diagnose.clean import strip_ansi

# Order matters: secrets and credentials first, then URLs, paths, hashes, numbers.
_SUBS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p), r)
    for p, r in (
        # URL credentials: scheme://user:secret@host -> scheme://<CREDENTIALS>@host
        (r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s:@]+(?::[^/\s@]*)?@", r"\1<CREDENTIALS>@"),
        # well-known token shapes
        (
            r"\b(?:npm_[A-Za-z0-9]{20,}|gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}"
            r"|glpat-[A-Za-z0-9_-]{20,}|xox[abprs]-[A-Za-z0-9-]{10,}|sk-[A-Za-z0-9_-]{20,}"
            r"|AKIA[0-9A-Z]{16}|AIza[0-9A-Za-z_-]{30,})\b",
            "<TOKEN>",
        ),
        (r"\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}", "<TOKEN>"),  # JWT
        (r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}", r"\1 <TOKEN>"),
        (
            r"(?i)((?:_authToken|_auth|_password|token|secret|password|passwd|api[_-]?key"
            r"|access[_-]?key|client[_-]?secret)\s*[=:]\s*)[\"']?[^\s\"',;]+",
            r"\1<TOKEN>",
        ),
        (r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[a-zA-Z]{2,}\b", "<EMAIL>"),
        # integrity strings and long hex / ids
        (r"\b(?:sha(?:1|256|384|512)|md5)-[A-Za-z0-9+/]{16,}={0,2}", "<HASH>"),
        (
            r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b",
            "<ID>",
        ),
        (r"\b(?=[0-9a-f]*[a-f])(?=[0-9a-f]*[0-9])[0-9a-f]{7,}\b", "<HASH>"),
        (r"\b(?=[0-9A-F]*[A-F])(?=[0-9A-F]*[0-9])[0-9A-F]{12,}\b", "<HASH>"),
        (r"\b\d*[A-Za-z]+\d+[A-Za-z\d]*_[A-Za-z\d_]{16,}\b", "<ID>"),
        # URLs keep scheme and host only; file URLs and paths (home dirs included) go
        (r"\b((?:https?|git|ssh|wss?)://[^/\s'\"`]+)/[^\s'\"<>`)]*", r"\1/<PATH>"),
        (r"\bfile:///?[^\s'\"`)<>]+", "<PATH>"),
        (r"(?<![\w.:/])~?/[^\s'\"`:()<>,;]*[A-Za-z0-9_][^\s'\"`:()<>,;]*", "<PATH>"),
        (r"\b[A-Za-z]:\\[^\s'\"`:()<>,;]+", "<PATH>"),
        (r"(?<![\w/<])\.{1,3}/[^\s'\"`:()<>,;]+", "<PATH>"),
        (r"(?<![\w/<@.])[\w@+-][\w.@+-]*(?:/[\w.@+-]+)+\.[A-Za-z][\w]{0,9}\b", "<PATH>"),
        (
            r"(?<![\w/<@.-])[\w-]+\.(?:[cm]?[jt]sx?|vue|svelte|astro|json|ya?ml|toml|css|scss"
            r"|html|mdx?|py|rb|go|rs|c|cc|cpp|h|hpp|lock|lockb)\b",
            "<PATH>",
        ),
        # numbers last (keeps codes such as TS2307, E404 and ERR_PNPM_FETCH_404 intact)
        (r"(?<![\w.])\d+(?:\.\d+)*(?![\w])", "<N>"),
    )
)
_SPACES = re.compile(r"\s+")
_PLACEHOLDER_RUN = re.compile(r"(<PATH>)(?:[:(]<N>(?:[:,]<N>)*\)?)+")

MAX_GROUP = 200


def redact(text: str) -> str:
    """Mask private and variable parts of one line; collapse whitespace."""
    text = strip_ansi(text).strip()
    for pattern, repl in _SUBS:
        text = pattern.sub(repl, text)
    text = _PLACEHOLDER_RUN.sub(r"\1", text)
    text = _SPACES.sub(" ", text)
    return text[:MAX_GROUP]


def mask_spans(line: str, spans: list[tuple[int, int, str]]) -> str:
    """Replace ``(start, end, NAME)`` spans of ``line`` with ``<NAME>`` (non-overlapping)."""
    out, pos = [], 0
    for start, end, name in sorted(spans):
        if start < pos or start == end:
            continue
        out.append(line[pos:start])
        out.append(f"\x00{name.upper()}\x01")  # protected from later masking
        pos = end
    out.append(line[pos:])
    return "".join(out)


def redact_masked(line: str, spans: list[tuple[int, int, str]]) -> str:
    """``mask_spans`` then ``redact``, keeping the span placeholders intact."""
    masked = mask_spans(line, spans)
    return redact(masked).replace("\x00", "<").replace("\x01", ">")
