"""text_shape.<token_type> files: '<key> <len>,<vocab>'."""

from pathlib import Path

import pytest

from espnet_lowrank.recipe.shapes import append_vocab_size


def test_append_vocab_size(tmp_path: Path) -> None:
    (tmp_path / "tokens.txt").write_text("<blank>\n<unk>\na\nb\n<sos/eos>\n")
    (tmp_path / "text_shape").write_text("u1 3\nu2 7\n")
    append_vocab_size(tmp_path / "text_shape", tmp_path / "tokens.txt", tmp_path / "out")
    assert (tmp_path / "out").read_text() == "u1 3,5\nu2 7,5\n"


def test_bad_shape_line_names_file(tmp_path: Path) -> None:
    (tmp_path / "tokens.txt").write_text("a\n")
    (tmp_path / "text_shape").write_text("u1 3 4\n")
    with pytest.raises(ValueError, match="text_shape:1"):
        append_vocab_size(tmp_path / "text_shape", tmp_path / "tokens.txt", tmp_path / "o")
