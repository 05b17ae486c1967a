"""The cache directory: atomic entries, digests, least-recently-used eviction."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from runner.cache import BuildCache, CacheNotSaved, digest_files


def make_output(tmp_path: Path, name: str = "out", size: int = 100) -> Path:
    out = tmp_path / name
    (out / "assets").mkdir(parents=True)
    (out / "index.html").write_text("<h1>hi</h1>")
    (out / "assets" / "app.js").write_bytes(b"x" * size)
    return out


def test_digests_skip_dependencies_and_vcs_and_see_content_and_mode(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.js").write_text("one")
    (tmp_path / "node_modules" / "x").mkdir(parents=True)
    (tmp_path / "node_modules" / "x" / "i.js").write_text("dep")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "HEAD").write_text("ref")
    (tmp_path / "link").symlink_to("/etc/passwd")
    first = digest_files(tmp_path)
    assert sorted(first) == ["link", "src/a.js"]
    (tmp_path / "src" / "a.js").chmod(0o755)
    assert digest_files(tmp_path)["src/a.js"] != first["src/a.js"]
    (tmp_path / "src" / "a.js").chmod(0o644)
    assert digest_files(tmp_path) == first
    (tmp_path / "src" / "a.js").write_text("two")
    assert digest_files(tmp_path)["src/a.js"] != first["src/a.js"]


def test_memo_round_trip(tmp_path: Path) -> None:
    cache = BuildCache(tmp_path / "cache")
    cache.save_memo("k" * 64, make_output(tmp_path), {"build_id": 3})
    found = cache.load_memo("k" * 64)
    assert found is not None
    output, meta = found
    assert (output / "index.html").read_text() == "<h1>hi</h1>"
    assert meta["build_id"] == 3 and meta["files"] == 2
    assert cache.load_memo("z" * 64) is None


def test_a_failed_save_leaves_no_entry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = BuildCache(tmp_path / "cache")
    real = shutil.copy2

    def fail_midway(src: str, dst: str, **kw: object) -> object:
        if os.fspath(src).endswith("app.js"):
            raise OSError(28, "No space left on device")
        return real(src, dst, **kw)

    monkeypatch.setattr(shutil, "copy2", fail_midway)
    with pytest.raises(CacheNotSaved, match="disk is full"):
        cache.save_memo("k" * 64, make_output(tmp_path), {})
    assert cache.load_memo("k" * 64) is None
    assert list((tmp_path / "cache" / "memo").iterdir()) == []


def test_an_interrupted_save_leaves_no_entry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = BuildCache(tmp_path / "cache")

    def interrupt(*a: object, **kw: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "rename", interrupt)
    with pytest.raises(KeyboardInterrupt):
        cache.save_memo("k" * 64, make_output(tmp_path), {})
    monkeypatch.undo()
    assert cache.load_memo("k" * 64) is None
    cache.save_memo("k" * 64, make_output(tmp_path, "out2"), {})  # and a later save works
    assert cache.load_memo("k" * 64) is not None


def test_prune_evicts_least_recently_used_first(tmp_path: Path) -> None:
    cache = BuildCache(tmp_path / "cache")
    for i, key in enumerate(("a", "b", "c")):
        cache.save_memo(key * 64, make_output(tmp_path, f"o{i}", size=1000), {})
        past = time.time() - 100 + i
        os.utime(cache.memo_dir(key * 64), (past, past))
    cache.load_memo("a" * 64)  # used just now: newest
    per_entry = cache.entries()[0].size
    evicted = cache.prune(max_bytes=per_entry * 2)
    assert [e.name for e in evicted] == ["b" * 32]
    assert cache.load_memo("a" * 64) and cache.load_memo("c" * 64)
    assert cache.total() <= per_entry * 2


def test_framework_archives_fall_back_to_the_default_branch(tmp_path: Path) -> None:
    cache = BuildCache(tmp_path / "cache")
    main = cache.framework_archive("scope", "main", ".next/cache")
    main.parent.mkdir(parents=True)
    main.write_bytes(b"tar")
    assert cache.find_framework("scope", ["feature/x", "main"], ".next/cache") == main
    assert cache.find_framework("scope", ["feature/x"], ".next/cache") is None
