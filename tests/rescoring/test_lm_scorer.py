import pytest
import torch
import yaml

from espnet_lowrank.rescoring.lm_scorer import LMScorer, load_lm, score_nbest
from espnet_lowrank.rescoring.nbest import Hypothesis


def test_batched_scores_equal_single_and_manual(word_lm):
    cfg, pth = word_lm
    scorer = LMScorer.from_files(cfg, pth, batch_size=2)
    texts = ["the cat sat on a mat", "to", "", "a cat sat", "zebra cat"]
    batched, ntok = scorer.score(texts)
    single = [LMScorer.from_files(cfg, pth, batch_size=1).score([t])[0][0] for t in texts]
    assert batched == pytest.approx(single, abs=1e-5)
    assert ntok == [6, 1, 0, 3, 2]
    # manual: sum of log-softmax of the next token, <sos> ... <eos>
    ids = scorer.token_ids("zebra cat")
    assert ids[0] == 1  # <unk>
    eos = scorer.model.eos
    x = torch.tensor([[eos] + ids])
    y = torch.tensor(ids + [eos])
    with torch.no_grad():
        logp = scorer.model.lm(x, None)[0].log_softmax(-1)[0]
    assert batched[4] == pytest.approx(float(logp[torch.arange(3), y].sum()), abs=1e-5)
    assert all(v < 0 for v in batched)
    # repeated texts come from the cache, unchanged, in the order asked
    again, ntok2 = scorer.score(texts[::-1] + texts[:1])
    assert again == batched[::-1] + batched[:1] and ntok2 == ntok[::-1] + ntok[:1]


def test_score_nbest_lengths(word_lm):
    scorer = LMScorer.from_files(*word_lm)
    nb = {"u1": [Hypothesis("the cat", -1.0), Hypothesis("the mat sat", -2.0)]}
    words = score_nbest(nb, scorer, "word")
    assert [h.length for h in words["u1"]] == [2, 3]
    assert words["u1"][1].asr_score == -2.0
    with pytest.raises(ValueError, match="word, token"):
        score_nbest(nb, scorer, "char")


def test_load_lm_is_strict(word_lm, tmp_path):
    cfg, pth = word_lm
    state = torch.load(pth, weights_only=False)
    state.pop("lm.decoder.bias")
    torch.save(state, tmp_path / "bad.pth")
    with pytest.raises(RuntimeError, match="does not fit"):
        load_lm(cfg, tmp_path / "bad.pth")
    with pytest.raises(FileNotFoundError, match="nope.pth"):
        load_lm(cfg, tmp_path / "nope.pth")
    assert yaml.safe_load(cfg.read_text())["token_type"] == "word"


def test_saved_scores_are_reused_by_a_fresh_scorer(word_lm, tmp_path):
    scorer = LMScorer.from_files(*word_lm)
    texts = ["the cat", "two mat sat", "zebra"]
    logp, ntok = scorer.score(texts)
    scorer.save_cache(tmp_path / "scores.json")
    fresh = LMScorer.from_files(*word_lm)
    assert fresh.load_cache(tmp_path / "scores.json") == 3
    fresh.model = None  # any LM call would fail now: the scores must come from the file
    assert fresh.score(texts) == (logp, ntok)
