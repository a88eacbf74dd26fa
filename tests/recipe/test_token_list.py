"""Token lists in ESPnet's layout (<blank>, <unk>, by frequency, <sos/eos>)."""

from pathlib import Path

import pytest

from espnet_lowrank.bin.recipe_tools import main as recipe_tools
from espnet_lowrank.recipe.token_list import build_token_list, train_bpe


def test_char_list_order(tmp_path: Path) -> None:
    tokens = build_token_list(["ab a", "b b"], "char", tmp_path / "tokens.txt")
    # counts: b=3, a=2, <space>=2 -> ties broken by token
    assert tokens == ["<blank>", "<unk>", "b", "<space>", "a", "<sos/eos>"]
    assert (tmp_path / "tokens.txt").read_text().split() == tokens


def test_word_list(tmp_path: Path) -> None:
    tokens = build_token_list(["go up", "go"], "word", tmp_path / "t.txt")
    assert tokens == ["<blank>", "<unk>", "go", "up", "<sos/eos>"]


def test_bpe_via_cli(tmp_path: Path) -> None:
    text = tmp_path / "text"
    text.write_text("".join(f"u{i} yes no up down go stop\n" for i in range(20)))
    assert recipe_tools(["token-list", "--token_type", "bpe", "--nbpe", "15",
                         "--text", str(text), "--out_dir", str(tmp_path / "bpe")]) == 0  # fmt: skip
    tokens = (tmp_path / "bpe" / "tokens.txt").read_text().split()
    assert (tmp_path / "bpe" / "bpe.model").is_file()
    assert tokens[:2] == ["<blank>", "<unk>"] and tokens[-1] == "<sos/eos>"
    assert len(tokens) == len(set(tokens)) and 3 < len(tokens) <= 17


def test_bpe_too_large_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="could not train 5000"):
        train_bpe(["a b c"], tmp_path / "bpe", 5000)


def test_bad_token_type(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="token_type"):
        build_token_list(["a"], "phn", tmp_path / "t.txt")
