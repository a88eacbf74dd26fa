"""Outputs appear whole or not at all."""

from __future__ import annotations

import pytest

from espnet_lowrank.atomic import atomic_dir, atomic_file, atomic_write_text


def test_file_replaced_only_when_complete(tmp_path):
    out = tmp_path / "sub" / "RESULTS.md"
    atomic_write_text(out, "old\n")
    with pytest.raises(RuntimeError):
        with atomic_file(out) as tmp:
            assert tmp.parent == out.parent and tmp.name.endswith(".md")
            tmp.write_text("half")
            raise RuntimeError("crash while writing")
    assert out.read_text() == "old\n"
    assert sorted(p.name for p in out.parent.iterdir()) == ["RESULTS.md"]  # no leftovers
    atomic_write_text(out, "new\n")
    assert out.read_text() == "new\n"


def test_suffixes_are_kept_for_format_detection(tmp_path):
    with atomic_file(tmp_path / "packed.tar.gz") as tmp:
        assert tmp.name.endswith(".tar.gz")
        tmp.write_bytes(b"x")
    assert (tmp_path / "packed.tar.gz").read_bytes() == b"x"


def test_dir_failure_leaves_nothing_and_success_keeps_other_entries(tmp_path):
    out = tmp_path / "model"
    with pytest.raises(ValueError):
        with atomic_dir(out) as work:
            (work / "config.yaml").write_text("half")
            raise ValueError("check failed")
    assert not out.exists() and list(tmp_path.iterdir()) == []
    with atomic_dir(out) as work:
        (work / "config.yaml").write_text("v1")
        (work / "plots").mkdir()
        (work / "plots" / "a.png").write_text("a")
    (out / "notes.txt").write_text("user's file")
    with atomic_dir(out) as work:
        (work / "config.yaml").write_text("v2")
        (work / "plots").mkdir()
        (work / "plots" / "b.png").write_text("b")
    assert (out / "config.yaml").read_text() == "v2"
    assert (out / "notes.txt").read_text() == "user's file"
    assert [p.name for p in (out / "plots").iterdir()] == ["b.png"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]
