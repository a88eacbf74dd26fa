import argparse

import pytest

from espnet_lowrank.rescoring.lm_data import read_texts, write_lm_data
from tests.tiny_lm import TOKENS


def _tok_args(tmp_path, token_type="word"):
    tokens = tmp_path / "tokens.txt"
    tokens.write_text("\n".join(TOKENS) + "\n")
    return argparse.Namespace(
        token_type=token_type, token_list=str(tokens), bpemodel="none",
        non_linguistic_symbols="none", cleaner="none", g2p="none",
    )  # fmt: skip


def test_texts_concatenated_and_shapes_count_tokens(tmp_path):
    a = tmp_path / "a.txt"
    a.write_text("g1 the cat sat\ng2\ng3 zebra dog\n")  # g2 has no words: dropped
    b = tmp_path / "b.txt"
    b.write_text("i1 two\n")
    dev = tmp_path / "dev.txt"
    dev.write_text("d1 the mat\n")
    counts = write_lm_data([a, b], [dev], _tok_args(tmp_path), tmp_path / "out")
    assert counts == dict(train=3, train_tokens=6, valid=1, valid_tokens=2)
    out = tmp_path / "out"
    assert (out / "train.txt").read_text() == "g1 the cat sat\ng3 zebra dog\ni1 two\n"
    v = len(TOKENS)
    assert (out / "train_shape.word").read_text() == f"g1 3,{v}\ng3 2,{v}\ni1 1,{v}\n"
    assert (out / "valid_shape.word").read_text() == f"d1 2,{v}\n"


def test_char_tokens_count_spaces(tmp_path):
    a = tmp_path / "a.txt"
    a.write_text("g1 ab c\n")
    args = _tok_args(tmp_path, "char")
    write_lm_data([a], [a], args, tmp_path / "out")
    assert (tmp_path / "out/train_shape.char").read_text().startswith("g1 4,")  # a b <space> c


def test_duplicate_ids_and_missing_files_are_named(tmp_path):
    a = tmp_path / "a.txt"
    a.write_text("u1 the cat\n")
    b = tmp_path / "b.txt"
    b.write_text("u2 a\nu1 two\n")
    with pytest.raises(ValueError, match=r"'u1' appears twice: .*a.txt and .*b.txt:2"):
        read_texts([a, b])
    with pytest.raises(FileNotFoundError, match="nope.txt"):
        read_texts([tmp_path / "nope.txt"])
    empty = tmp_path / "empty.txt"
    empty.write_text("u1\n")
    with pytest.raises(ValueError, match="no line with words"):
        read_texts([empty])
