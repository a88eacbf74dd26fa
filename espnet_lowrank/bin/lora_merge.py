"""Merge a trained LoRA adapter into its base LM and save a plain ESPnet LM.

    python -m espnet_lowrank.bin.lora_merge \\
        --lm_train_config exp/lm_lora/config.yaml --lm_file exp/lm_lora/valid.loss.ave.pth \\
        --out_dir exp/lm_lora_merged

Writes ``<out_dir>/config.yaml`` (the base LM's config) and ``<out_dir>/model.pth``
(``W0 + s B A`` in every adapted linear): a self-contained LM for
``asr_inference --lm_train_config --lm_file`` and for ``bin.rescore``.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

import torch
import yaml
from espnet2.lm.espnet_model import ESPnetLanguageModel

from espnet_lowrank.bin._cli import run
from espnet_lowrank.lora.merge import merge_lora
from espnet_lowrank.rescoring.lm_scorer import load_lm
from espnet_lowrank.strict_yaml import load_yaml_mapping


def merge_files(lm_train_config: str, lm_file: str, out_dir: str) -> Path:
    """Load the LoRA LM, merge, and write ``config.yaml`` + ``model.pth``."""
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
    logging.info(f"merged LM written to {out}")
    return out


def main(argv=None) -> Path:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--lm_train_config", required=True)
    parser.add_argument("--lm_file", required=True)
    parser.add_argument("--out_dir", required=True)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO)
    return merge_files(args.lm_train_config, args.lm_file, args.out_dir)


if __name__ == "__main__":
    run(main)
