"""Explain failed builds: rule table, matcher, masking and template mining.

``diagnose`` classifies pitstop's own build logs; ``explain_text`` first cleans a log
pasted from elsewhere (GitHub Actions, Cloudflare Pages, Vercel, Netlify).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from runner.diagnose.clean import clean_text
from runner.diagnose.match import Classifier, Diagnosis, Evidence, default_classifier
from runner.diagnose.rules import RULES, Rule

__all__ = ["RULES", "Classifier", "Diagnosis", "Evidence", "Rule", "diagnose", "explain_text"]


def diagnose(
    lines: Sequence[str],
    *,
    failed_step: str | None = None,
    exit_code: int | None = None,
    oom_killed: bool = False,
    phase: str | None = None,
    context: Mapping[str, str] | None = None,
) -> Diagnosis:
    """Say why a build failed, from its log lines and what the runner knows.

    ``failed_step``/``phase`` is the pitstop phase the build failed in (init, clone,
    install, build, output, health, timeout); ``oom_killed`` is the container's
    ``State.OOMKilled``. Evidence line numbers are 1-based indexes into ``lines``.
    ``context`` fills template fields the log cannot, e.g. ``relock`` (the project's own
    lockfile-updating command) in the fix for an out-of-sync lockfile.
    """
    return default_classifier().diagnose(
        lines,
        failed_step=failed_step,
        exit_code=exit_code,
        oom_killed=oom_killed,
        phase=phase,
        context=context,
    )


def explain_text(text: str) -> Diagnosis:
    """Diagnose a pasted log: strip ANSI, CI timestamps and workflow markers first."""
    return diagnose(clean_text(text))
