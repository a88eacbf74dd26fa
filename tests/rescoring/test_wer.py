import pytest

from espnet_lowrank.rescoring.nbest import Hypothesis
from espnet_lowrank.rescoring.wer import corpus_wer, oracle_wer, word_errors


def test_word_errors():
    assert word_errors("a b c d", "a x c") == 2  # 1 sub + 1 del
    assert word_errors("a b", "a b c") == 1
    assert word_errors("", "") == 0


def test_corpus_wer_and_id_check():
    refs = {"u1": "a b c d", "u2": "e f"}
    assert corpus_wer(refs, {"u1": "a x c", "u2": "e f"}) == pytest.approx(2 / 6)
    with pytest.raises(ValueError, match=r"only in reference \['u2'\].*\['u3'\]"):
        corpus_wer(refs, {"u1": "a", "u3": "e"})


def test_oracle_wer_takes_the_best_hypothesis():
    refs = {"u1": "a b c", "u2": "d e"}
    nb = {
        "u1": [Hypothesis("a x c", 0.0), Hypothesis("a b c", -1.0)],
        "u2": [Hypothesis("d", 0.0), Hypothesis("x y z", -1.0)],
    }
    assert oracle_wer(nb, refs) == pytest.approx(1 / 5)
