"""Tiny trained-LM stand-in (vocab 20, 2 layers, d=16) written to tmp_path."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
import torch

from tests.tiny_lm import TOKENS, WORDS, tiny_lm, write_word_lm


def write_base_lm(root: Path, seed: int = 0) -> dict:
    """Write base/config.yaml, base/model.pth, tokens.txt, train text + shape."""
    root.mkdir(parents=True, exist_ok=True)
    config, model = write_word_lm(root / "base", seed=seed)
    (root / "tokens.txt").write_text("\n".join(TOKENS) + "\n", encoding="utf-8")
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
        config=config,
        model=model,
        tokens=root / "tokens.txt",
        train=root / "train.txt",
        shape=root / "train_shape",
    )


@pytest.fixture
def base_lm(tmp_path):
    return write_base_lm(tmp_path / "lm")


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
