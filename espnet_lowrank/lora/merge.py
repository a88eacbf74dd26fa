"""Merge LoRA adapters into the base linears (``W <- W0 + s B A``) for serving.

The result is the original LM class with plain ``nn.Linear`` layers: the state
dict has exactly the base LM's keys, so it loads into ``LMTask`` / ESPnet's
``asr_inference --lm_train_config --lm_file`` without this package.
"""

from __future__ import annotations

import copy

import torch

from espnet_lowrank.extras import require

require("peft", "LoRA adapters")
from peft.tuners.lora.layer import LoraLayer  # noqa: E402


@torch.no_grad()
def merge_lora(lm: torch.nn.Module) -> torch.nn.Module:
    """Return a deep copy of ``lm`` with every peft LoRA layer merged and unwrapped.

    Args:
        lm: an ``AbsLM`` carrying peft LoRA/AdaLoRA layers (left unchanged).

    Returns:
        The merged copy, in eval mode, with all parameters frozen.
    """
    # ESPnet attention keeps its last attention map (a non-leaf tensor) on the
    # module; deepcopy cannot copy such tensors, so they are copied as None.
    memo = {
        id(v): None
        for m in lm.modules()
        for v in vars(m).values()
        if torch.is_tensor(v) and not v.is_leaf
    }
    out = copy.deepcopy(lm, memo)
    names = [n for n, m in out.named_modules() if isinstance(m, LoraLayer)]
    if not names:
        raise ValueError(f"{type(lm).__name__} has no LoRA layers to merge")
    for name in names:
        layer = out.get_submodule(name)
        layer.merge(safe_merge=True)
        parent_name, _, child = name.rpartition(".")
        parent = out.get_submodule(parent_name) if parent_name else out
        setattr(parent, child, layer.get_base_layer())
    for p in out.parameters():
        p.requires_grad_(False)
    return out.eval()
