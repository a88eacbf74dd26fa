"""Inject a LoRA adapter (one of four strategies) into a frozen ESPnet ``AbsLM``.

``LoRAAdapter(lm, conf)`` freezes every parameter of ``lm``, injects peft layers
in place (``LoraModel`` for vanilla/warmup/mixed, ``AdaLoraModel`` for dynamic),
and checks what peft does not: every intended target got an adapter with the
intended rank, and nothing else is trainable. The ``lm`` keeps its class and its
``score``/``batch_score`` methods, so it still works as an ESPnet scorer.

Scaling convention: the update is ``lora_alpha / r * B A`` for vanilla, and the
same ratio ``lora_alpha / r`` is kept for every layer of ``mixed`` and for both
phases of ``warmup`` (their alphas are scaled with the rank). AdaLoRA uses its own
``lora_alpha / init_r * B diag(E) A``.
"""

from __future__ import annotations

import logging
import re
from typing import Dict, Iterable, List, Optional

import torch

from espnet_lowrank.extras import require

require("peft", "LoRA adapters")
from peft import AdaLoraConfig, AdaLoraModel, LoraConfig, LoraModel  # noqa: E402
from peft.tuners.adalora.layer import AdaLoraLayer  # noqa: E402
from peft.tuners.lora.layer import LoraLayer  # noqa: E402

from espnet_lowrank.lora.config import LoRAConf  # noqa: E402
from espnet_lowrank.lora.targets import resolve_rank_pattern, resolve_targets  # noqa: E402
from espnet_lowrank.lora.warmup import (  # noqa: E402
    resize_layer,
    swap_optimizer_params,
    truncate_layer,
)

ADAPTER = "default"


class LoRAAdapter:
    """Owns the peft tuner injected into ``lm`` and the strategy's schedule.

    Not an ``nn.Module``: the adapter weights live inside ``lm`` (names contain
    ``lora_``), so ESPnet's state dicts, DDP and ``.to()`` see them as usual.

    Args:
        lm: the language model (an ``AbsLM``); modified in place.
        conf: validated strategy settings.
    """

    def __init__(self, lm: torch.nn.Module, conf: LoRAConf):
        self.lm = lm
        self.conf = conf
        self.targets: List[str] = resolve_targets(lm, conf.target_modules)
        self.global_step = 0
        self.epoch = 0
        self.truncated = False
        self.snapshots_truncated = False
        self.total_step: Optional[int] = None
        for p in lm.parameters():
            p.requires_grad_(False)
        self.base_params = sum(p.numel() for p in lm.parameters())
        self.intended: Dict[str, int] = self._intended_ranks()
        self.tuner = self._inject()
        self._check_injection()

    # ------------------------------------------------------------------ build
    def _intended_ranks(self) -> Dict[str, int]:
        c = self.conf
        if c.strategy == "vanilla":
            return {t: c.r for t in self.targets}
        if c.strategy == "dynamic":
            return {t: c.init_r for t in self.targets}
        if c.strategy == "warmup":
            return {t: c.r_high for t in self.targets}
        return resolve_rank_pattern(self.targets, c.rank_pattern)

    def _inject(self):
        c = self.conf
        common = dict(
            target_modules=list(self.targets),
            lora_dropout=c.lora_dropout,
            bias="none",
        )
        if c.strategy == "dynamic":
            total = c.total_step if isinstance(c.total_step, int) else None
            # provisional schedule until the trainer knows the epoch length
            provisional = total or 10**9
            cfg = AdaLoraConfig(
                init_r=c.init_r,
                target_r=c.r,
                tinit=c.resolve_step(c.tinit, provisional),
                tfinal=c.resolve_step(c.tfinal, provisional),
                deltaT=c.deltaT,
                total_step=provisional,
                beta1=c.beta1,
                beta2=c.beta2,
                orth_reg_weight=c.orth_reg_weight,
                lora_alpha=c.lora_alpha,
                **common,
            )
            if total is not None:
                self.total_step = total
            return AdaLoraModel(self.lm, cfg, ADAPTER)
        if c.strategy == "warmup":
            cfg = LoraConfig(r=c.r_high, lora_alpha=c.alpha_high, **common)
        elif c.strategy == "mixed":
            cfg = LoraConfig(
                r=c.r,
                lora_alpha=c.lora_alpha,
                rank_pattern={re.escape(t): r for t, r in self.intended.items()},
                alpha_pattern={
                    re.escape(t): c.lora_alpha * r / c.r for t, r in self.intended.items()
                },
                **common,
            )
        else:
            cfg = LoraConfig(r=c.r, lora_alpha=c.lora_alpha, **common)
        return LoraModel(self.lm, cfg, ADAPTER)

    def _check_injection(self) -> None:
        layers = self.layers()
        missing = [t for t in self.targets if t not in layers]
        if missing:
            raise RuntimeError(f"peft did not adapt the target modules {missing}")
        extra = [n for n in layers if n not in self.intended]
        if extra:
            raise RuntimeError(f"peft adapted modules that were not targeted: {extra}")
        wrong = {
            n: (layers[n].r[ADAPTER], self.intended[n])
            for n in self.targets
            if layers[n].r[ADAPTER] != self.intended[n]
        }
        if wrong:
            raise RuntimeError(f"adapter ranks differ from the config (got, want): {wrong}")
        bad = [n for n, p in self.lm.named_parameters() if p.requires_grad and "lora_" not in n]
        if bad:
            raise RuntimeError(f"base LM parameters left trainable: {bad[:5]}")

    # ---------------------------------------------------------------- queries
    def layers(self) -> Dict[str, LoraLayer]:
        """Adapted layers by their (pre-injection) module name."""
        return {n: m for n, m in self.lm.named_modules() if isinstance(m, LoraLayer)}

    def adapter_keys(self, prefix: str = "") -> List[str]:
        """State-dict keys of the adapter (parameters and buffers with ``lora_``)."""
        keys = [n for n, _ in self.lm.named_parameters() if "lora_" in n or "ranknum" in n]
        return [prefix + k for k in keys]

    def ranks(self) -> Dict[str, int]:
        """Current rank per target.

        AdaLoRA: singular values kept by the last budget allocation (``init_r``
        before the first one); pruned entries of ``E`` are zero in the weights.
        """
        pattern = None
        if self.conf.strategy == "dynamic":
            pattern = self.tuner.peft_config[ADAPTER].rank_pattern
        out = {}
        for n, layer in self.layers().items():
            if isinstance(layer, AdaLoraLayer) and pattern:
                out[n] = int(sum(bool(v) for v in pattern[f"{n}.lora_E.{ADAPTER}"]))
            else:
                out[n] = int(layer.r[ADAPTER])
        return out

    def param_counts(self) -> Dict[str, int]:
        """Trainable, total, base and *effective* adapter parameter counts.

        ``effective`` counts ``r_eff * (in + out)`` per layer (plus ``r_eff`` singular
        values for AdaLoRA): the budget the strategies are matched on.
        """
        trainable = sum(p.numel() for p in self.lm.parameters() if p.requires_grad)
        total = sum(p.numel() for p in self.lm.parameters())
        ranks = self.ranks()
        eff = 0
        for n, layer in self.layers().items():
            base = layer.get_base_layer()
            per = base.in_features + base.out_features
            if isinstance(layer, AdaLoraLayer):
                per += 1
            eff += ranks[n] * per
        return dict(trainable=trainable, total=total, base=self.base_params, effective=eff)

    def vanilla_budget(self) -> int:
        """Adapter parameters of vanilla LoRA at rank ``conf.r`` on the same targets."""
        return sum(
            self.conf.r * (m.get_base_layer().in_features + m.get_base_layer().out_features)
            for m in self.layers().values()
        )

    def report(self) -> str:
        """Per-layer rank table and a trainable-vs-total line (for train.log)."""
        ranks = self.ranks()
        c = self.param_counts()
        width = max(len(n) for n in ranks)
        lines = [f"LoRA strategy={self.conf.strategy} targets={len(ranks)}"]
        lines.append(f"{'module':<{width}}  {'in':>6} {'out':>6} {'rank':>5}")
        for n, layer in self.layers().items():
            base = layer.get_base_layer()
            lines.append(
                f"{n:<{width}}  {base.in_features:>6} {base.out_features:>6} {ranks[n]:>5}"
            )
        lines.append(
            f"LoRA params: trainable {c['trainable']:,} / total {c['total']:,} "
            f"({100.0 * c['trainable'] / c['total']:.3f}%); base LM {c['base']:,} frozen; "
            f"effective adapter params {c['effective']:,} vs vanilla r={self.conf.r} "
            f"budget {self.vanilla_budget():,}"
        )
        return "\n".join(lines)

    # --------------------------------------------------------------- training
    def set_total_step(self, total_step: int) -> None:
        """Fix AdaLoRA's schedule once the number of optimizer steps is known."""
        c = self.conf
        if c.strategy != "dynamic":
            return
        cfg = self.tuner.peft_config[ADAPTER]
        tinit = c.resolve_step(c.tinit, total_step)
        tfinal = c.resolve_step(c.tfinal, total_step)
        if tinit >= total_step - tfinal:
            raise ValueError(
                f"dynamic: tinit={tinit} and tfinal={tfinal} leave no budgeting phase "
                f"in total_step={total_step} optimizer steps; lower them or train longer"
            )
        cfg.total_step, cfg.tinit, cfg.tfinal = total_step, tinit, tfinal
        self.total_step = total_step
        logging.info(
            f"AdaLoRA schedule: total_step={total_step} tinit={tinit} tfinal={tfinal} "
            f"deltaT={cfg.deltaT} init_r={cfg.init_r} target_r={cfg.target_r}"
        )

    def on_optimizer_step(self, optimizers: Iterable[torch.optim.Optimizer]) -> None:
        """Call after every optimizer step, before ``zero_grad`` (gradients needed)."""
        self.global_step += 1
        c = self.conf
        if c.strategy == "dynamic":
            if self.total_step is None:
                raise RuntimeError("dynamic: set_total_step() was never called")
            self.tuner.update_and_allocate(self.global_step)
        elif (
            c.strategy == "warmup"
            and c.warmup_steps is not None
            and not self.truncated
            and self.global_step >= c.warmup_steps
        ):
            self.truncate(optimizers)

    def on_epoch_end(self, optimizers: Iterable[torch.optim.Optimizer]) -> None:
        """Call after each training epoch (epoch-based warm-up truncation)."""
        self.epoch += 1
        c = self.conf
        if (
            c.strategy == "warmup"
            and c.warmup_epochs is not None
            and not self.truncated
            and self.epoch >= c.warmup_epochs
        ):
            self.truncate(optimizers)

    def truncate(self, optimizers: Iterable[torch.optim.Optimizer] = ()) -> None:
        """Warm-up: SVD-truncate every adapter from ``r_high`` to ``r``."""
        swaps = []
        for layer in self.layers().values():
            swaps += truncate_layer(layer, ADAPTER, self.conf.r, self.conf.lora_alpha)
        swap_optimizer_params(optimizers, swaps)
        self.truncated = True
        logging.info(
            f"LoRA warm-up: truncated rank {self.conf.r_high} -> {self.conf.r} "
            f"at step {self.global_step} (epoch {self.epoch})\n{self.report()}"
        )

    def finish(self) -> Dict[str, int]:
        """End of training: enforce the final budget and check the strategy acted.

        Raises:
            RuntimeError: dynamic ranks never moved from ``init_r``; or warm-up never
                reached its truncation point.
        """
        c = self.conf
        if c.strategy == "dynamic":
            cfg = self.tuner.peft_config[ADAPTER]
            alloc = self.tuner.rankallocator
            if self.total_step is not None and self.global_step < cfg.total_step - cfg.tfinal:
                if not alloc.exp_avg_ipt:
                    raise RuntimeError(
                        "dynamic: no importance scores were collected "
                        f"(global step {self.global_step}); nothing was trained"
                    )
                logging.warning(
                    f"AdaLoRA stopped at step {self.global_step} before the final "
                    f"phase ({cfg.total_step - cfg.tfinal}); masking to the target budget"
                )
                cfg.rank_pattern = alloc.mask_to_budget(self.lm, alloc.target_bgt)
            ranks = self.ranks()
            if all(r == c.init_r for r in ranks.values()):
                raise RuntimeError(
                    f"dynamic rank allocation never moved any rank from init_r={c.init_r} "
                    f"after {self.global_step} optimizer steps (total_step="
                    f"{self.total_step}, tinit={cfg.tinit}, tfinal={cfg.tfinal}, "
                    f"deltaT={cfg.deltaT})"
                )
        if c.strategy == "warmup" and not self.truncated:
            raise RuntimeError(
                f"warm-up never truncated to r={c.r}: training ended at step "
                f"{self.global_step} / epoch {self.epoch}, before warmup_steps="
                f"{c.warmup_steps} / warmup_epochs={c.warmup_epochs}"
            )
        return self.ranks()

    def orth_regularizer(self) -> torch.Tensor:
        """AdaLoRA orthogonality penalty, mean over layers of
        ``||A A^T - I||_F^2 + ||B^T B - I||_F^2`` (0 for other strategies)."""
        terms = []
        for layer in self.layers().values():
            if not isinstance(layer, AdaLoraLayer):
                continue
            a = layer.lora_A[ADAPTER]  # (r, in)
            b = layer.lora_B[ADAPTER]  # (out, r)
            eye = torch.eye(a.shape[0], device=a.device, dtype=a.dtype)
            terms.append(((a @ a.T - eye) ** 2).sum() + ((b.T @ b - eye) ** 2).sum())
        if not terms:
            return torch.zeros(())
        return torch.stack(terms).mean()

    # ---------------------------------------------------------------- loading
    def match_state_dict(
        self,
        state_dict: Dict[str, torch.Tensor],
        prefix: str,
        optimizers: Iterable[torch.optim.Optimizer] = (),
    ) -> None:
        """Resize adapters whose rank in ``state_dict`` differs (warm-up checkpoints).

        Only ``warmup`` adapters change shape (``r_high`` or ``r``); for any other
        strategy a shape mismatch is an error naming the key. ``optimizers`` are
        pointed at the resized parameters (needed before ``--resume`` loads them).
        """
        changed: Dict[str, int] = {}
        swaps = []
        for n, layer in self.layers().items():
            if isinstance(layer, AdaLoraLayer):
                continue
            key = f"{prefix}{n}.lora_A.{ADAPTER}.weight"
            if key not in state_dict:
                continue
            r_saved = int(state_dict[key].shape[0])
            if r_saved == layer.r[ADAPTER]:
                continue
            c = self.conf
            if c.strategy != "warmup" or r_saved not in (c.r, c.r_high):
                raise RuntimeError(
                    f"{key}: checkpoint rank {r_saved} != model rank {layer.r[ADAPTER]} "
                    f"(strategy {c.strategy})"
                )
            alpha = c.lora_alpha if r_saved == c.r else c.alpha_high
            swaps += resize_layer(layer, ADAPTER, r_saved, alpha)
            changed[n] = r_saved
        if changed:
            swap_optimizer_params(optimizers, swaps)
            self.truncated = all(r == self.conf.r for r in self.ranks().values())
            logging.info(f"LoRA: resized adapters to the checkpoint ranks {changed}")

    def restore_rank_pattern(self) -> None:
        """AdaLoRA after loading a checkpoint: rebuild peft's ``rank_pattern`` from
        the zeros of ``E`` (pruned singular values are stored as exact zeros), so
        the final phase can keep masking and ``ranks()`` reports the saved ranks."""
        if self.conf.strategy != "dynamic" or self.global_step == 0:
            return
        self.tuner.peft_config[ADAPTER].rank_pattern = {
            f"{n}.lora_E.{ADAPTER}": (layer.lora_E[ADAPTER].detach() != 0).view(-1).tolist()
            for n, layer in self.layers().items()
        }

    def params(self) -> List[torch.nn.Parameter]:
        """Trainable adapter parameters."""
        return [p for p in self.lm.parameters() if p.requires_grad]
