"""Forced-choice slot posteriors (:mod:`espnet_lowrank.avsr.forced_choice`)."""

import numpy as np
import pytest
import torch

from espnet_lowrank.avsr.forced_choice import SoftConfusion, slot_posterior
from tests.avsr.tiny_av import FPS, FS, TOKENS, tiny_model


@pytest.fixture(scope="module")
def model_and_inputs():
    torch.manual_seed(0)
    model = tiny_model().eval()
    g = torch.Generator().manual_seed(1)
    frames = 20
    speech = torch.randn(frames * FS // FPS, generator=g) * 0.1
    video = torch.randint(0, 256, (frames, 88, 88), generator=g, dtype=torch.uint8)
    return model, speech, video


def test_posterior_is_the_softmax_of_each_candidates_sentence_likelihood(model_and_inputs):
    model, speech, video = model_and_inputs
    ids = {t: i for i, t in enumerate(TOKENS)}
    words, cands = ["A", "B", "C", "A"], ["A", "B", "C"]
    p = slot_posterior(model, words, 1, cands, ids, speech, video)
    assert p.shape == (3,) and np.isclose(p.sum(), 1.0) and (p > 0).all()
    with torch.no_grad():  # one sentence at a time, through ESPnet's own nll
        enc, lens = model.encode(speech[None], torch.tensor([len(speech)]), video[None],
                                 torch.tensor([len(video)]))  # fmt: skip
        sentences = [[ids[c if i == 1 else w] for i, w in enumerate(words)] for c in cands]
        nll = torch.cat([model.nll(enc, lens, torch.tensor([s]), torch.tensor([4]))
                         for s in sentences])  # fmt: skip
    np.testing.assert_allclose(p, torch.softmax(-nll.double(), 0).numpy(), rtol=1e-4)
    # the order of the candidates only permutes the answer; one stream alone gives another
    q = slot_posterior(model, words, 1, cands[::-1], ids, speech, video)
    np.testing.assert_allclose(q[::-1], p, rtol=1e-5)
    v = slot_posterior(model, words, 1, cands, ids, speech, video, modality="video")
    assert not np.allclose(v, p)
    with pytest.raises(ValueError, match="'Q'"):
        slot_posterior(model, words, 1, ["A", "Q"], ids, speech, video)


def test_soft_confusion_shares_against_chance():
    words = ["B", "P", "X", "Y"]
    groups = [("B", "P")]
    # a lip reader: its doubt about B and P goes to the other of the pair only
    lips = SoftConfusion.from_posteriors(
        words, ["B", "P", "B"], [np.array([0.6, 0.4, 0, 0]), np.array([0.5, 0.5, 0, 0]),
                                 np.array([0.2, 0.8, 0, 0])])  # fmt: skip
    np.testing.assert_allclose(lips.matrix.sum(1)[:2], 1.0)
    assert list(lips.counts) == [2, 1, 0, 0] and lips.correct == 1  # a tie goes to the first
    share, chance = lips.within_group(groups)
    assert share == pytest.approx(1.0) and chance == pytest.approx(1 / 3)
    # doubt spread evenly over the other words: the share is chance
    even = SoftConfusion.from_posteriors(words, ["B", "X"], [np.array([0.4, 0.2, 0.2, 0.2])] * 2)
    share, chance = even.within_group(groups)
    assert share == pytest.approx(chance)
    lines = lips.render("lips", groups, top=2)
    assert "3 utterances" in lines[0] and "100.0 % inside" in lines[0]
    assert lines[1].startswith("  Largest: B→P 0.60, P→B 0.50")
