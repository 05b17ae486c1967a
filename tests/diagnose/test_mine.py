"""Unknown failures: likely error lines are highlighted and the same failure groups."""

from __future__ import annotations

from runner.diagnose import diagnose
from runner.diagnose.mine import Miner, group_lines, likely_error_lines, score, template


def unknown_log(workdir: str, build: str) -> list[str]:
    # a made-up tool's failure: no rule knows it
    return [
        "$ quasar-gen build --prod",
        "info  compiling 42 pages",
        "warn  deprecated option 'legacy' in quasar.conf.js",
        f"QuasarGenError: template partial 'header' missing for page {workdir}/pages/about.md",
        f"  at render ({workdir}/node_modules/quasar-gen/lib/render.js:88:11)",
        f"build {build} finished with errors",
        "error Command failed with exit code 1.",
    ]


def test_unknown_failure_highlights_the_error_line():
    d = diagnose(unknown_log("/home/ann/site", "a1b2c3d4e5"))
    assert d.code == "unknown"
    assert d.evidence[0].line == 4
    assert all("Command failed" not in e.text for e in d.evidence)
    assert all("deprecated" not in e.text for e in d.evidence)


def test_same_new_failure_in_several_logs_is_one_group():
    logs = [
        unknown_log("/home/ann/site", "a1b2c3d4e5"),
        unknown_log("/srv/ci/work/8812", "ffe0123abcd"),
        unknown_log("/Users/bo/dev/blog", "0badc0de99"),
    ]
    groups = {diagnose(log).group for log in logs}
    assert len(groups) == 1
    (group,) = groups
    assert "ann" not in group and "QuasarGenError" in group


def test_miner_merges_lines_that_differ_in_a_name():
    lines = [
        "QuasarGenError: template partial 'header' missing for page <PATH>",
        "QuasarGenError: template partial 'footer' missing for page <PATH>",
        "QuasarGenError: template partial 'nav' missing for page <PATH>",
        "Segfault in worker 3",
    ]
    clusters = group_lines(lines)
    assert clusters[0].size == 3
    assert clusters[0].template == "QuasarGenError: template partial <*> missing for page <PATH>"
    assert len(clusters) == 2


def test_miner_keeps_different_failures_apart():
    m = Miner()
    a = m.add("error: could not compile crate foo")
    b = m.add("warning: something else entirely here")
    assert a.id != b.id


def test_scoring():
    assert score("error Command failed with exit code 1.") == 0
    assert score("    at Object.<anonymous> (/x.js:1:1)") == 0
    assert score("npm warn deprecated inflight@1.0.6: not supported") == 0
    assert score("Error: something broke") == 3
    assert score("the thing could not be done") == 1
    assert likely_error_lines([(0, "ok"), (1, "Error: x"), (2, "could not y")], limit=1) == [1]


def test_template_masks_paths_and_numbers():
    assert (
        template("failed at /home/x/a.js:3:4 after 12 tries") == "failed at <PATH> after <N> tries"
    )
