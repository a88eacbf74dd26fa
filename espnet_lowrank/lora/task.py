"""``LoRALMTask``: ESPnet's LM task, training a LoRA adapter on a frozen trained LM.

Same launcher, data options, trainer loop, ``--print_config``, ``--resume`` and
multi-GPU handling as ``espnet2.tasks.lm.LMTask``; it adds

* ``--base_lm_config`` / ``--base_lm_file``: the trained LM (an ESPnet LM
  ``config.yaml`` and its weights), loaded strictly and frozen;
* ``--lora_conf``: the strategy mapping (see ``espnet_lowrank.lora.config``);
* ``--save_base_lm``: also store the frozen base weights in checkpoints
  (default false: checkpoints hold only the adapter; see ``lora.model``).

``--token_list`` must equal the base LM's token list. ``config.yaml`` records
``lm: lora:<base lm>`` and the base ``lm_conf``: ESPnet's plain ``LMTask`` (e.g.
``asr_inference --lm_train_config``) then stops with "--lm must be one of ..."
instead of silently building a random LM and dropping the adapter-only weights
(it loads with ``strict=False``). Merge first (``bin.lora_merge``) to serve it
through ESPnet, or load it with ``espnet_lowrank.rescoring.lm_scorer.load_lm``.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import List

from espnet2.utils.nested_dict_action import NestedDictAction
from espnet2.utils.types import str2bool, str_or_none

from espnet_lowrank.checkpoint import WeightsMismatchError
from espnet_lowrank.lora.config import LoRAConf
from espnet_lowrank.lora.model import LoRALanguageModel
from espnet_lowrank.lora.trainer import LoRATrainer
from espnet_lowrank.strict_yaml import load_yaml_mapping
from espnet_lowrank.tasks.build import model_from_config
from espnet_lowrank.tasks.lm import LowRankLMTask


def _read_token_list(token_list) -> List[str]:
    if isinstance(token_list, str):
        with open(token_list, encoding="utf-8") as f:
            return [line.rstrip() for line in f]
    if isinstance(token_list, (list, tuple)):
        return list(token_list)
    raise ValueError(f"--token_list must be a file or a list, got {type(token_list)}")


def load_base_lm(config_file: str, model_file: str, device: str = "cpu"):
    """Build the trained ESPnet LM from its config and load its weights strictly.

    Returns:
        (ESPnetLanguageModel, argparse.Namespace of its config)
    """
    cfg_path = Path(config_file)
    if not cfg_path.is_file():
        raise FileNotFoundError(f"--base_lm_config {config_file} does not exist")
    if not Path(model_file).is_file():
        raise FileNotFoundError(f"--base_lm_file {model_file} does not exist")
    cfg = load_yaml_mapping(cfg_path, "--base_lm_config")
    if cfg.get("lora_conf") is not None:
        raise ValueError(
            f"--base_lm_config {config_file} is itself a LoRA LM; merge it first "
            "(python -m espnet_lowrank.bin.lora_merge) and adapt the merged LM"
        )
    try:
        base, base_args = model_from_config(
            cfg, "lm", model_file, device=device, model_what="--base_lm_file"
        )
    except WeightsMismatchError as e:
        raise WeightsMismatchError(
            f"--base_lm_file {model_file} does not fit {config_file}: {e}"
        ) from None
    return base, base_args


class LoRALMTask(LowRankLMTask):
    """LM task whose model is ``LoRALanguageModel`` around a frozen trained LM.

    Through ``LowRankLMTask``: the package's LM classes are registered at import
    (base LMs may be ``lowrank_transformer``; spawned workers import this module),
    and a training worker frees its DDP wrapper and process group before exit
    (``tasks.distributed.release_distributed``).
    """

    trainer = LoRATrainer

    @classmethod
    def add_task_arguments(cls, parser: argparse.ArgumentParser):
        super().add_task_arguments(parser)
        group = parser.add_argument_group(description="LoRA adaptation related")
        required = parser.get_default("required")
        required += ["base_lm_config", "base_lm_file"]
        group.add_argument(
            "--base_lm_config",
            type=str_or_none,
            default=None,
            help="config.yaml of the trained ESPnet LM to adapt (frozen)",
        )
        group.add_argument(
            "--base_lm_file",
            type=str_or_none,
            default=None,
            help="weights (.pth) of the trained ESPnet LM to adapt",
        )
        group.add_argument(
            "--lora_conf",
            action=NestedDictAction,
            default=LoRAConf().to_dict(),
            help="LoRA strategy: strategy (vanilla|dynamic|warmup|mixed), "
            "target_modules, r, lora_alpha, ... (see espnet_lowrank.lora.config)",
        )
        group.add_argument(
            "--save_base_lm",
            type=str2bool,
            default=False,
            help="store the frozen base LM weights in every checkpoint too",
        )
        return parser

    @classmethod
    def print_config(cls, file=None) -> None:
        """``--print_config`` to the *current* ``sys.stdout``.

        ESPnet binds ``file=sys.stdout`` when ``abs_task`` is imported; when the
        stream was swapped since (pytest's capture, a notebook), output would go
        to the old one.
        """
        super().print_config(file=file if file is not None else sys.stdout)

    @classmethod
    def build_model(cls, args: argparse.Namespace) -> LoRALanguageModel:
        if getattr(args, "init", None) is not None:
            raise ValueError(
                f"--init {args.init} would re-initialise the trained base LM; "
                "LoRA adapters have their own init: drop --init"
            )
        token_list = _read_token_list(args.token_list)
        args.token_list = token_list.copy()
        base, base_args = load_base_lm(args.base_lm_config, args.base_lm_file)
        base_tokens = _read_token_list(base_args.token_list)
        if base_tokens != token_list:
            diff = next(
                (i for i, (a, b) in enumerate(zip(base_tokens, token_list)) if a != b),
                min(len(base_tokens), len(token_list)),
            )
            raise ValueError(
                f"--token_list differs from the base LM's ({args.base_lm_config}) at "
                f"index {diff} (sizes {len(token_list)} vs {len(base_tokens)})"
            )
        conf = LoRAConf.from_dict(args.lora_conf)
        args.lora_conf = conf.to_dict()
        args.lm, args.lm_conf = f"lora:{base_args.lm}", base_args.lm_conf
        model = LoRALanguageModel(
            lm=base.lm,
            vocab_size=len(token_list),
            ignore_id=base.ignore_id,
            lora_conf=args.lora_conf,
            save_base_lm=args.save_base_lm,
        )
        logging.info(model.lora.report())
        return model
