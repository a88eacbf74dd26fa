"""Merging the n-best tables of split decoding jobs."""

from pathlib import Path

import pytest

from espnet_lowrank.recipe.merge_decode import merge_decode_dirs


def _job(root: Path, name: str, hyps: dict) -> Path:
    d = root / name
    for n in (1, 2):
        (d / f"{n}best_recog").mkdir(parents=True)
        for table in ("text", "score"):
            rows = [f"{k} {v}{n}" for k, v in hyps.items()]
            (d / f"{n}best_recog" / table).write_text("\n".join(rows) + "\n")
    return d


def test_merge_sorts_and_covers(tmp_path: Path) -> None:
    (tmp_path / "wav.scp").write_text("a x\nb x\nc x\n")
    j1 = _job(tmp_path, "output.1", {"c": "hyp c", "a": "hyp a"})
    j2 = _job(tmp_path, "output.2", {"b": "hyp b"})
    names = merge_decode_dirs([j1, j2], tmp_path / "out", tmp_path / "wav.scp")
    assert names == ["1best_recog", "2best_recog"]
    assert (tmp_path / "out/2best_recog/text").read_text() == "a hyp a2\nb hyp b2\nc hyp c2\n"
    assert (tmp_path / "out/text").read_text() == "a hyp a1\nb hyp b1\nc hyp c1\n"
    assert (tmp_path / "out/1best_recog/score").is_file()


def test_missing_key_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "wav.scp").write_text("a x\nb x\n")
    j1 = _job(tmp_path, "output.1", {"a": "hyp"})
    with pytest.raises(ValueError, match="1 missing"):
        merge_decode_dirs([j1], tmp_path / "out", tmp_path / "wav.scp")


def test_duplicate_key_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "wav.scp").write_text("a x\n")
    j1 = _job(tmp_path, "output.1", {"a": "hyp"})
    j2 = _job(tmp_path, "output.2", {"a": "hyp"})
    with pytest.raises(ValueError, match="also decoded"):
        merge_decode_dirs([j1, j2], tmp_path / "out", tmp_path / "wav.scp")
