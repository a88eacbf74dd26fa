"""``python -m espnet_lowrank.bin.lora_rescoring``: the driver's rescoring steps in-process."""

import pytest
import yaml

from espnet_lowrank.bin import lora_rescoring
from espnet_lowrank.bin.lora_rescoring import parse_pairs

from .conftest import write_nbest_dir

NBEST = {
    "dev": {"d1": [("to cat", -1.0), ("two cat", -1.2)], "d2": [("the mat", -0.5)]},
    "test": {"t1": [("too", -1.0), ("two", -1.1)], "t2": [("a cat sat", -2.0)]},
}
REFS = {"dev": "d1 two cat\nd2 the mat\n", "test": "t1 two\nt2 the cat sat\n"}


def test_parse_pairs():
    assert parse_pairs(["a=x,y", "b=z,w"], "--system", 2) == {"a": ("x", "y"), "b": ("z", "w")}
    for bad in (["a=x"], ["=x,y"], ["a"], ["a=x,"]):
        with pytest.raises(SystemExit, match="expected NAME=PATH,PATH"):
            parse_pairs(bad, "--system", 2)
    with pytest.raises(SystemExit, match="'a' given twice"):
        parse_pairs(["a=x", "a=y"], "--strategy", 1)


def test_grid_values_starting_with_a_minus_are_attached_to_their_option():
    argv = ["rescore", "--length_bonus_grid", "-1:2:0.5", "--lm_weight_grid", "0:1:0.1", "-x"]
    assert lora_rescoring.attach_grid_values(argv) == [
        "rescore",
        "--length_bonus_grid=-1:2:0.5",
        "--lm_weight_grid=0:1:0.1",
        "-x",
    ]
    assert lora_rescoring.attach_grid_values(["--lm_weight_grid"]) == ["--lm_weight_grid"]


def test_rescore_nprr_report_through_the_cli(word_lm, tmp_path):
    for dset, hyps in NBEST.items():
        write_nbest_dir(tmp_path / "nbest" / dset, hyps)
        (tmp_path / "refs" / dset).mkdir(parents=True)
        (tmp_path / "refs" / dset / "text").write_text(REFS[dset])
    vocab = tmp_path / "vocab.txt"
    vocab.write_text("x1 to two too the\n")
    common = ["--system", f"base={word_lm[0]},{word_lm[1]}",
              "--nbest_root", str(tmp_path / "nbest"), "--ref_root", str(tmp_path / "refs"),
              "--out_root", str(tmp_path / "out"), "--nbest", "2"]  # fmt: skip
    # a grid starting below zero, as length bonuses do, passes argparse
    grids = ["--lm_weight_grid", "0,1", "--length_bonus_grid", "-1:0:1"]
    res = lora_rescoring.main(["rescore", *common, "--dev_set", "dev",
                               "--test_sets", "dev", "test", *grids])  # fmt: skip
    assert list(res["base"]) == ["dev", "test"]
    nprr = lora_rescoring.main(["nprr", *common, "--test_sets", "test", "--vocab", str(vocab),
                                "--p", "1", "--seeds", "0", "1"])  # fmt: skip
    saved = yaml.safe_load((tmp_path / "out/base/test/nprr.yaml").read_text())
    assert saved == nprr["base"]["test"] and saved["homophone_words"] == 3
    out = tmp_path / "table.md"
    text = lora_rescoring.main(["report", "--nbest_root", str(tmp_path / "nbest"),
                                "--ref_root", str(tmp_path / "refs"),
                                "--out_root", str(tmp_path / "out"), "--dev_set", "dev",
                                "--test_sets", "test", "--base", "base", "--nbest", "2",
                                "--out", str(out)])  # fmt: skip
    assert out.read_text() == text and text.startswith("### ")
    assert f"|test|base|0|{res['base']['test']['lm_weight']:g}|" in text


def test_lm_data_through_the_cli(tmp_path):
    tokens = tmp_path / "tokens.txt"
    tokens.write_text("<blank>\n<unk>\nyes\nno\n<sos/eos>\n")
    text = tmp_path / "text"
    text.write_text("u1 yes no\nu2 no\n")
    counts = lora_rescoring.main(["lm-data", "--text", str(text), "--valid_text", str(text),
                                  "--out_dir", str(tmp_path / "out"), "--token_type", "word",
                                  "--token_list", str(tokens), "--bpemodel", "none"])  # fmt: skip
    assert counts["train_tokens"] == 3
    assert (tmp_path / "out/valid_shape.word").read_text() == "u1 2,5\nu2 1,5\n"
