"""A tiny word-level ESPnet Transformer LM written by tests (LoRA and rescoring tests)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Sequence, Tuple

import torch
import yaml

WORDS = "the cat sat on a mat dog ran to big red house sun is hot too two".split()
TOKENS = ["<blank>", "<unk>"] + WORDS + ["<sos/eos>"]
LM_CONF = dict(
    pos_enc=None,
    embed_unit=16,
    att_unit=16,
    head=2,
    unit=32,
    layer=2,
    dropout_rate=0.0,
    positional_dropout_rate=0.0,
    attention_dropout_rate=0.0,
)


def tiny_lm(vocab: int = len(TOKENS)):
    """A fresh ``TransformerLM`` (2 blocks, d=16) with ``LM_CONF`` (seed it first)."""
    from espnet2.lm.transformer_lm import TransformerLM

    return TransformerLM(vocab, **LM_CONF)


def write_word_lm(
    out_dir: Path, tokens: Sequence[str] = TOKENS, seed: int = 0
) -> Tuple[Path, Path]:
    """Write ``out_dir/config.yaml`` and ``out_dir/model.pth`` of a random word-level LM
    (as ESPnet's LM task writes them, token list inlined).

    Returns:
        (config.yaml, model.pth)
    """
    from espnet2.tasks.lm import LMTask

    cfg = dict(
        token_list=list(tokens),
        token_type="word",
        bpemodel=None,
        non_linguistic_symbols=None,
        cleaner=None,
        g2p=None,
        lm="transformer",
        lm_conf=LM_CONF,
        model="lm",
        model_conf=dict(ignore_id=0),
        init=None,
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "config.yaml").write_text(yaml.safe_dump(cfg), encoding="utf-8")
    torch.manual_seed(seed)
    model = LMTask.build_model(argparse.Namespace(**cfg))
    torch.save(model.state_dict(), out_dir / "model.pth")
    return out_dir / "config.yaml", out_dir / "model.pth"
