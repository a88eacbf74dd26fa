"""Synthetic ESPnet N-best directories and a tiny word-level LM, in tmp_path."""

from __future__ import annotations

import pytest

from tests.tiny_lm import write_word_lm


def write_nbest_dir(root, hyps_by_utt, token=False):
    """``{utt: [(text, score), ...]}`` -> ``root/{n}best_recog/{text,score[,token]}``."""
    n_max = max(len(v) for v in hyps_by_utt.values())
    for n in range(n_max):
        d = root / f"{n + 1}best_recog"
        d.mkdir(parents=True, exist_ok=True)
        rows = {u: h[n] for u, h in hyps_by_utt.items() if len(h) > n}
        (d / "text").write_text("".join(f"{u} {t}\n" for u, (t, _) in rows.items()))
        (d / "score").write_text("".join(f"{u} tensor({s:.4f})\n" for u, (_, s) in rows.items()))
        if token:
            (d / "token").write_text("".join(f"{u} {t}\n" for u, (t, _) in rows.items()))
    return root


@pytest.fixture
def nbest_dir(tmp_path):
    def make(hyps_by_utt, name="decode", token=False):
        return write_nbest_dir(tmp_path / name, hyps_by_utt, token)

    return make


@pytest.fixture
def word_lm(tmp_path):
    """(config.yaml, model.pth) of a random tiny word-level Transformer LM."""
    return write_word_lm(tmp_path / "word_lm")
