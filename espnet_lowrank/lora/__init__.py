"""LoRA adaptation of frozen ESPnet LMs: four strategies, ESPnet task and trainer."""

from espnet_lowrank.lora.adapter import LoRAAdapter
from espnet_lowrank.lora.config import STRATEGIES, LoRAConf
from espnet_lowrank.lora.merge import merge_lora

__all__ = ["LoRAAdapter", "LoRAConf", "STRATEGIES", "merge_lora"]
