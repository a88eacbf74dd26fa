"""One training step (forward, backward, Adam step) of an ASR model or an LM."""

from __future__ import annotations

from typing import Callable, Dict

import torch
from torch.nn import functional as F


def asr_train_step(model: torch.nn.Module, batch: Dict[str, torch.Tensor]) -> Callable[[], None]:
    """A closure running one ESPnet ASR training step on ``batch`` (same batch each call)."""
    opt = torch.optim.Adam(model.parameters(), lr=1e-4)

    def step() -> None:
        opt.zero_grad(set_to_none=True)
        loss, _, _ = model(**batch)
        loss.backward()
        opt.step()

    return step


def lm_train_step(lm: torch.nn.Module, inputs: torch.Tensor, targets: torch.Tensor):
    """A closure running one LM training step: next-token cross entropy, Adam.

    ``inputs``, ``targets``: ``(batch, length)`` token ids.
    """
    opt = torch.optim.Adam(lm.parameters(), lr=1e-4)

    def step() -> None:
        opt.zero_grad(set_to_none=True)
        logits, _ = lm(inputs, None)  # (B, L, V)
        loss = F.cross_entropy(logits.reshape(-1, logits.size(-1)), targets.reshape(-1))
        loss.backward()
        opt.step()

    return step
