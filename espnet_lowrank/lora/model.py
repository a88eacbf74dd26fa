"""ESPnet LM model wrapper whose checkpoints hold only the LoRA adapter.

``LoRALanguageModel`` is an ``ESPnetLanguageModel`` (same ``nll``/``batchify_nll``
and loss) around a frozen ``AbsLM`` carrying a ``LoRAAdapter``. How ESPnet's
checkpointing is adapted, without touching ESPnet's trainer:

* ``state_dict()`` returns only the adapter weights plus a ``lora_progress``
  buffer (global step, epoch, truncated flag), unless ``save_base_lm`` is true.
  ESPnet's trainer saves ``model.state_dict()`` to ``{epoch}epoch.pth`` and
  ``checkpoint.pth``, so both shrink to the adapter; ``average_nbest_models``
  averages those dicts key by key and works unchanged.
* ``load_state_dict()`` (used by ``--resume``, ``build_model_from_file`` and the
  rescorer) first resizes warm-up adapters to the ranks in the file, then
  insists that every adapter key is present and no unknown key is, whatever
  ``strict`` says: ESPnet loads inference models with ``strict=False``, which
  would otherwise leave a random adapter without an error. Base weights come
  from ``--base_lm_file`` when the model is built.
"""

from __future__ import annotations

from typing import Any, Dict, Mapping, Optional, Tuple

import torch
from espnet2.lm.abs_model import AbsLM
from espnet2.lm.espnet_model import ESPnetLanguageModel
from espnet2.torch_utils.device_funcs import force_gatherable

from espnet_lowrank.lora.adapter import LoRAAdapter
from espnet_lowrank.lora.config import LoRAConf

PROGRESS = "lora_progress"


class LoRALanguageModel(ESPnetLanguageModel):
    """Frozen LM + LoRA adapter, trained by ESPnet's LM trainer.

    Args:
        lm: the base ``AbsLM`` (its parameters are frozen here).
        vocab_size: vocabulary size (last id is sos/eos).
        ignore_id: padding id of the targets.
        lora_conf: strategy mapping, see ``LoRAConf``.
        save_base_lm: also put the frozen base weights in every checkpoint.
    """

    def __init__(
        self,
        lm: AbsLM,
        vocab_size: int,
        ignore_id: int = 0,
        lora_conf: Optional[Mapping[str, Any]] = None,
        save_base_lm: bool = False,
    ):
        super().__init__(lm=lm, vocab_size=vocab_size, ignore_id=ignore_id)
        self.lora = LoRAAdapter(lm, LoRAConf.from_dict(lora_conf))
        self.save_base_lm = save_base_lm
        self.register_buffer(PROGRESS, torch.zeros(3, dtype=torch.long))

    def forward(
        self, text: torch.Tensor, text_lengths: torch.Tensor, **kwargs
    ) -> Tuple[torch.Tensor, Dict[str, torch.Tensor], torch.Tensor]:
        """Token-averaged NLL (+ AdaLoRA orthogonality penalty when training).

        Args:
            text: (batch, length) token ids.
            text_lengths: (batch,) lengths.
        """
        nll, y_lengths = self.nll(text, text_lengths)
        ntokens = y_lengths.sum()
        loss = nll.sum() / ntokens
        stats = dict(loss=loss.detach())
        w = self.lora.conf.orth_reg_weight
        if self.training and self.lora.conf.strategy == "dynamic" and w > 0:
            reg = self.lora.orth_regularizer().to(loss.device)
            stats["orth_reg"] = reg.detach()
            loss = loss + w * reg
        loss, stats, weight = force_gatherable((loss, stats, ntokens), loss.device)
        return loss, stats, weight

    def _sync_progress(self) -> None:
        a = self.lora
        self.lora_progress.copy_(
            torch.tensor([a.global_step, a.epoch, int(a.truncated)], dtype=torch.long)
        )

    def state_dict(self, *args, destination=None, prefix="", keep_vars=False):
        """Adapter-only state (see module docstring); full state if ``save_base_lm``."""
        self._sync_progress()
        full = super().state_dict(
            *args, destination=destination, prefix=prefix, keep_vars=keep_vars
        )
        if self.save_base_lm:
            return full
        keep = set(self.lora.adapter_keys(prefix + "lm.")) | {prefix + PROGRESS}
        for k in [k for k in full if k.startswith(prefix) and k not in keep]:
            del full[k]
        return full

    def load_state_dict(
        self, state_dict: Mapping[str, Any], strict: bool = True, assign: bool = False
    ):
        """Load an adapter (or full) state dict; always checks the adapter keys.

        Raises:
            RuntimeError: adapter keys missing or unknown keys present (names them).
        """
        self.lora.match_state_dict(dict(state_dict), prefix="lm.")
        wanted = set(self.lora.adapter_keys("lm."))
        missing = sorted(wanted - set(state_dict))
        if missing:
            raise RuntimeError(
                f"checkpoint lacks {len(missing)} LoRA adapter keys, e.g. {missing[:3]}: "
                "is it a LoRA LM checkpoint for this lora_conf?"
            )
        result = super().load_state_dict(state_dict, strict=False, assign=assign)
        if result.unexpected_keys:
            raise RuntimeError(
                f"checkpoint has keys unknown to this LoRA LM: {result.unexpected_keys[:5]}"
            )
        if PROGRESS in state_dict:
            step, epoch, truncated = (int(v) for v in self.lora_progress.tolist())
            self.lora.global_step, self.lora.epoch = step, epoch
            self.lora.truncated = self.lora.truncated or bool(truncated)
            self.lora.restore_rank_pattern()
        return result
