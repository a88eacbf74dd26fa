"""Merge LoRA adapters into the base linears (``W <- W0 + s B A``) for serving.

The result is the original LM class with plain ``nn.Linear`` layers: the state
dict has exactly the base LM's keys, so it loads into ``LMTask`` / ESPnet's
``asr_inference --lm_train_config --lm_file`` without this package.
"""

from __future__ import annotations

import copy
import logging
from pathlib import Path

import torch
import yaml

from espnet_lowrank.extras import require
from espnet_lowrank.strict_yaml import load_yaml_mapping

require("peft", "LoRA adapters")
from peft.tuners.lora.layer import LoraLayer  # noqa: E402

logger = logging.getLogger(__name__)


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


def merge_lm_files(lm_train_config: str, lm_file: str, out_dir: str) -> Path:
    """Load a trained LoRA LM (its ``config.yaml`` and weights), merge the adapter into
    the base LM and write ``<out_dir>/config.yaml`` (the base LM's, with the token list
    inlined) and ``<out_dir>/model.pth``: a plain ESPnet LM."""
    from espnet2.lm.espnet_model import ESPnetLanguageModel

    from espnet_lowrank.rescoring.lm_scorer import load_lm

    model, args = load_lm(lm_train_config, lm_file)
    if not hasattr(model, "lora"):
        raise ValueError(f"{lm_train_config} is not a LoRA LM config (no lora_conf)")
    merged = ESPnetLanguageModel(
        lm=merge_lora(model.lm), vocab_size=model.sos + 1, ignore_id=model.ignore_id
    )
    base_cfg = load_yaml_mapping(args.base_lm_config, "base LM config")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    base_cfg["token_list"] = list(args.token_list)
    (out / "config.yaml").write_text(yaml.safe_dump(base_cfg, sort_keys=False), encoding="utf-8")
    torch.save(merged.state_dict(), out / "model.pth")
    logger.info("merged LM written to %s", out)
    return out
