"""Splitting key tables for --nj jobs."""

from pathlib import Path

import pytest

from espnet_lowrank.recipe.split import split_table


@pytest.mark.parametrize("lines,n,expected", [(10, 3, 3), (2, 5, 2), (7, 1, 1)])
def test_split_partitions_in_order(tmp_path: Path, lines: int, n: int, expected: int) -> None:
    rows = [f"u{i:02d} x{i}" for i in range(lines)]
    (tmp_path / "wav.scp").write_text("\n".join(rows) + "\n")
    m = split_table(tmp_path / "wav.scp", tmp_path / "out", n, prefix="keys")
    assert m == expected
    parts = [(tmp_path / "out" / f"keys.{j}.scp").read_text().splitlines() for j in range(1, m + 1)]
    assert sum(parts, []) == rows
    sizes = [len(p) for p in parts]
    assert max(sizes) - min(sizes) <= 1
    assert not (tmp_path / "out" / f"keys.{m + 1}.scp").exists()


def test_split_errors(tmp_path: Path) -> None:
    (tmp_path / "empty").write_text("")
    with pytest.raises(ValueError, match="empty"):
        split_table(tmp_path / "empty", tmp_path, 2)
    (tmp_path / "t").write_text("a 1\n")
    with pytest.raises(ValueError, match=">= 1"):
        split_table(tmp_path / "t", tmp_path, 0)
