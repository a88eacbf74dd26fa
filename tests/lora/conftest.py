"""Tiny trained-LM stand-in (vocab 20, 2 layers, d=16) written to tmp_path."""

from __future__ import annotations

import argparse
import random
from pathlib import Path

import pytest
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
    from espnet2.lm.transformer_lm import TransformerLM

    return TransformerLM(vocab, **LM_CONF)


def write_base_lm(root: Path, seed: int = 0) -> dict:
    """Write base/config.yaml, base/model.pth, tokens.txt, train text + shape."""
    from espnet2.tasks.lm import LMTask

    root.mkdir(parents=True, exist_ok=True)
    (root / "base").mkdir(exist_ok=True)
    (root / "tokens.txt").write_text("\n".join(TOKENS) + "\n", encoding="utf-8")
    cfg = dict(
        token_list=TOKENS,
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
    (root / "base" / "config.yaml").write_text(yaml.safe_dump(cfg), encoding="utf-8")
    torch.manual_seed(seed)
    model = LMTask.build_model(argparse.Namespace(**cfg))
    torch.save(model.state_dict(), root / "base" / "model.pth")
    rng = random.Random(seed)
    lines = [" ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 6))) for _ in range(12)]
    (root / "train.txt").write_text(
        "".join(f"utt{i:03d} {t}\n" for i, t in enumerate(lines)), encoding="utf-8"
    )
    (root / "train_shape").write_text(
        "".join(f"utt{i:03d} {len(t.split()) + 1}\n" for i, t in enumerate(lines)),
        encoding="utf-8",
    )
    return dict(
        root=root,
        config=root / "base" / "config.yaml",
        model=root / "base" / "model.pth",
        tokens=root / "tokens.txt",
        train=root / "train.txt",
        shape=root / "train_shape",
    )


@pytest.fixture
def base_lm(tmp_path):
    return write_base_lm(tmp_path / "lm")


@pytest.fixture(autouse=True)
def _one_thread():
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


@pytest.fixture
def make_lm():
    """Factory of fresh tiny TransformerLMs (seeded by the caller)."""
    return tiny_lm


def run_steps(model, n_steps: int, lr: float = 0.05, seed: int = 0):
    """Adam steps on random batches with the adapter's step hook installed.

    Returns the optimizer (its param groups follow warm-up truncation).
    """
    g = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=lr)
    opt.register_step_post_hook(lambda o, a, k: model.lora.on_optimizer_step([opt]))
    vocab = model.sos + 1
    for _ in range(n_steps):
        x = torch.randint(2, vocab - 1, (4, 6), generator=g)
        lens = torch.tensor([6, 5, 4, 3])
        loss, _, _ = model(x, lens)
        loss.backward()
        opt.step()
        opt.zero_grad()
    return opt


@pytest.fixture
def train():
    return run_steps


@pytest.fixture
def make_model(make_lm):
    """``LoRALanguageModel`` on a fresh seeded tiny LM for a ``lora_conf``."""
    from espnet_lowrank.lora.model import LoRALanguageModel

    def build(lora_conf, seed: int = 0, **kw):
        torch.manual_seed(seed)
        lm = make_lm()
        return LoRALanguageModel(lm, len(TOKENS), lora_conf=lora_conf, **kw)

    return build
