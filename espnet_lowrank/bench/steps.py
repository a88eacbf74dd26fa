"""One training step (forward, backward, Adam step) of an ASR model or an LM."""

from __future__ import annotations

from typing import Any, Callable, Dict, Optional

import torch
from torch.nn import functional as F


def asr_train_step(
    model: torch.nn.Module,
    batch: Dict[str, torch.Tensor],
    adam_conf: Optional[Dict[str, Any]] = None,
) -> Callable[[], None]:
    """A closure running one ESPnet ASR training step on ``batch`` (same batch each call).

    ``adam_conf``: keyword arguments of ``torch.optim.Adam`` (a recipe's ``optim_conf``,
    e.g. ``fused: true``); default ``lr=1e-4``.
    """
    opt = torch.optim.Adam(model.parameters(), **(adam_conf or {"lr": 1e-4}))

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
