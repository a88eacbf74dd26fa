"""The rescore and nprr command-line tools on a tiny word LM and synthetic N-best."""

import pytest
import yaml

from espnet_lowrank.bin import nprr as nprr_cli
from espnet_lowrank.bin import rescore
from espnet_lowrank.rescoring.combine import grid_search
from espnet_lowrank.rescoring.lm_scorer import LMScorer, score_nbest
from espnet_lowrank.rescoring.nbest import read_nbest

HYPS = {
    "u1": [("the cat sat on mat", -2.0), ("the cat sat on a mat", -2.3), ("a cat", -4.0)],
    "u2": [("to cat", -1.0), ("two cat", -1.1)],
    "u3": [("see the sea", -0.5)],
}
REF = "u1 the cat sat on a mat\nu2 two cat\nu3 see the sea\n"


def _lm_args(word_lm):
    return ["--lm_train_config", str(word_lm[0]), "--lm_file", str(word_lm[1])]


def test_rescore_tunes_on_dev_and_applies_on_test(word_lm, nbest_dir, tmp_path):
    dec = nbest_dir(HYPS, token=True)
    ref = tmp_path / "ref"
    ref.write_text(REF)
    out = tmp_path / "out"
    res = rescore.main(
        _lm_args(word_lm)
        + [
            "--dev_nbest_dir",
            str(dec),
            "--dev_ref",
            str(ref),
            "--lm_weight_grid",
            "0,0.5,1",
            "--length_bonus_grid",
            "0,1,2",
            "--nbest_dir",
            str(dec),
            "--ref",
            str(ref),
            "--out_dir",
            str(out),
        ]
    )
    w = yaml.safe_load((out / "rescore_weights.yaml").read_text())
    # same grid search done through the library
    scorer = LMScorer.from_files(*word_lm)
    scored = score_nbest(read_nbest([dec]), scorer)
    refs = dict(line.split(" ", 1) for line in REF.splitlines())
    best = grid_search(scored, refs, [0, 0.5, 1], [0, 1, 2])
    assert (w["lm_weight"], w["length_bonus"]) == (best.lm_weight, best.length_bonus)
    assert res["wer_rescored"] == pytest.approx(best.wer)  # dev == test here
    assert res["wer_oracle"] == 0.0
    assert res["wer_1best"] == pytest.approx(2 / 11)
    text = (out / "1best_recog/text").read_text().splitlines()
    assert [line.split()[0] for line in text] == ["u1", "u2", "u3"]
    assert (out / "1best_recog/token").is_file() and (out / "1best_recog/score").is_file()
    # the tuned weights are reusable
    res2 = rescore.main(
        _lm_args(word_lm)
        + [
            "--weights",
            str(out / "rescore_weights.yaml"),
            "--nbest_dir",
            str(dec),
            "--out_dir",
            str(tmp_path / "out2"),
        ]
    )
    assert (tmp_path / "out2/1best_recog/text").read_text() == "\n".join(text) + "\n"
    assert "wer_rescored" not in res2


def test_rescore_reference_mismatch_names_ids(word_lm, nbest_dir, tmp_path):
    dec = nbest_dir(HYPS)
    ref = tmp_path / "ref"
    ref.write_text("u1 the cat\nu2 two cat\nu9 x\n")
    with pytest.raises(ValueError, match=r"\['u9'\].*\['u3'\]"):
        rescore.main(
            _lm_args(word_lm)
            + [
                "--nbest_dir",
                str(dec),
                "--ref",
                str(ref),
                "--lm_weight",
                "0.5",
                "--length_bonus",
                "0",
                "--out_dir",
                str(tmp_path / "o"),
            ]
        )


def test_rescore_needs_one_weight_source(word_lm, nbest_dir, tmp_path):
    dec = nbest_dir(HYPS)
    with pytest.raises(SystemExit, match="exactly one weight source"):
        rescore.main(_lm_args(word_lm) + ["--nbest_dir", str(dec), "--out_dir", str(tmp_path)])


def test_nprr_cli(word_lm, nbest_dir, tmp_path):
    dec = nbest_dir(HYPS)
    ref = tmp_path / "ref"
    ref.write_text(REF)
    out = tmp_path / "nprr.yaml"
    res = nprr_cli.main(
        _lm_args(word_lm)
        + [
            "--nbest_dir",
            str(dec),
            "--ref",
            str(ref),
            "--lm_weight",
            "0.5",
            "--length_bonus",
            "1",
            "--p",
            "1.0",
            "--seeds",
            "0",
            "1",
            "--out",
            str(out),
            "--write_perturbed",
            str(tmp_path / "pert"),
        ]
    )
    saved = yaml.safe_load(out.read_text())
    assert saved == res
    for mode in ("1best", "nbest"):
        r = res[mode]
        assert r["nprr"] == pytest.approx((r["wer_perturbed"] - r["wer_clean"]) / r["wer_clean"])
        assert len(r["wer_per_seed"]) == 2
        assert r["nprr_std"] >= 0 and len(r["nprr_per_seed"]) == 2
    # word LM: homophones restricted to its token list (to/two/too but not sea/see)
    pert = read_nbest([tmp_path / "pert" / "nbest_seed0"])
    assert pert["u3"][0].text == "see the sea"
    assert pert["u2"][0].text != "to cat"
