"""Synthetic ESPnet N-best directories and a tiny word-level LM, in tmp_path."""

from __future__ import annotations

import argparse

import pytest
import torch
import yaml


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


WORDS = "the cat sat on a mat to too two".split()


@pytest.fixture
def word_lm(tmp_path):
    """(config.yaml, model.pth) of a random tiny word-level Transformer LM."""
    from espnet2.tasks.lm import LMTask

    tokens = ["<blank>", "<unk>"] + WORDS + ["<sos/eos>"]
    cfg = dict(
        token_list=tokens,
        token_type="word",
        bpemodel=None,
        non_linguistic_symbols=None,
        cleaner=None,
        g2p=None,
        lm="transformer",
        lm_conf=dict(embed_unit=16, att_unit=16, head=2, unit=32, layer=2, dropout_rate=0.0),
        model="lm",
        model_conf=dict(ignore_id=0),
        init=None,
    )
    d = tmp_path / "word_lm"
    d.mkdir()
    (d / "config.yaml").write_text(yaml.safe_dump(cfg))
    torch.manual_seed(0)
    torch.save(LMTask.build_model(argparse.Namespace(**cfg)).state_dict(), d / "model.pth")
    return d / "config.yaml", d / "model.pth"
