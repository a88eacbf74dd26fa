import pytest

from espnet_lowrank.rescoring.combine import ScoredHyp
from espnet_lowrank.rescoring.homophones import build_table, perturb_nbest
from espnet_lowrank.rescoring.nbest import Hypothesis
from espnet_lowrank.rescoring.nprr import evaluate, nprr

TABLE = build_table(
    {
        "see": [["S", "IY1"]],
        "sea": [["S", "IY1"]],
        "sun": [["S", "AH1", "N"]],
        "son": [["S", "AH1", "N"]],
    }
)
LM = {"i see the sea": -2.0, "i sea the see": -6.0, "the son is hot": -5.0, "the sun is hot": -5.5}
REFS = {"u1": "i see the sea", "u2": "the sun is hot"}
NBEST = {
    "u1": [Hypothesis("i see the sea", -1.0), Hypothesis("i sea the see", -1.5)],
    "u2": [Hypothesis("the son is hot", -1.0), Hypothesis("the sun is hot", -1.2)],
}


def fake_score(nbest):
    return {
        u: [ScoredHyp(h.text, h.score, LM[h.text], len(h.text.split())) for h in hyps]
        for u, hyps in nbest.items()
    }


def test_nprr_formula():
    assert nprr(0.10, 0.15) == pytest.approx(0.5)
    assert nprr(0.2, 0.2) == 0.0
    with pytest.raises(ValueError, match="undefined"):
        nprr(0.0, 0.1)


def test_nprr_on_hand_made_nbest():
    clean = fake_score(NBEST)
    # lm_weight 1, no length bonus. Clean picks: u1 h1 (0 err), u2 h1 (1 err) -> 1/8
    # 1best perturbation: u1 -> "i sea the see" chosen (2 err); u2 1-best becomes
    #   "the sun is hot" (-6.5) and beats h2 (-6.7): 0 err -> 2/8 -> NPRR = 1.0
    # nbest perturbation: u1 h2 becomes "i see the sea" (-3.5) and wins (0 err);
    #   u2 h2 becomes "the son is hot" (-6.2) and wins (1 err) -> 1/8 -> NPRR = 0.0
    expected = {"1best": (2 / 8, 1.0), "nbest": (1 / 8, 0.0)}
    for mode, (wer_p, value) in expected.items():
        pert = fake_score(perturb_nbest(NBEST, TABLE, 1.0, seed=0, mode=mode))
        res = evaluate(clean, [pert], REFS, lm_weight=1.0, length_bonus=0.0, mode=mode)
        assert res.wer_clean == pytest.approx(1 / 8)
        assert res.wer_perturbed == pytest.approx(wer_p)
        assert res.nprr == pytest.approx(value)


def test_nprr_averages_seeds():
    clean = fake_score(NBEST)
    p1 = fake_score(perturb_nbest(NBEST, TABLE, 1.0, seed=0, mode="1best"))
    res = evaluate(clean, [p1, clean], REFS, 1.0, 0.0, "1best")
    assert res.wer_per_seed == pytest.approx([2 / 8, 1 / 8])
    assert res.nprr == pytest.approx(((1.5 / 8) - (1 / 8)) / (1 / 8))
    # per seed: (2/8 - 1/8) / (1/8) = 1 and 0; their mean is the NPRR, their spread the std
    assert res.nprr_per_seed == pytest.approx([1.0, 0.0])
    assert sum(res.nprr_per_seed) / 2 == pytest.approx(res.nprr)
    assert res.nprr_std == pytest.approx(2**-0.5)
    assert evaluate(clean, [p1], REFS, 1.0, 0.0, "1best").nprr_std == 0.0
    with pytest.raises(ValueError, match="at least one"):
        evaluate(clean, [], REFS, 1.0, 0.0, "1best")
