"""ESPnet ``Trainer`` that drives the LoRA strategy schedules.

ESPnet's ``train_one_epoch`` has no per-step callback, so ``LoRATrainer`` uses
``torch.optim.Optimizer.register_step_post_hook``: the hook runs right after each
real ``optimizer.step()`` (not on skipped non-finite steps) and before ESPnet's
``zero_grad()``, which is where AdaLoRA's ``update_and_allocate`` needs to run
(it reads the gradients). Everything else (DDP, AMP, accumulation, logging,
checkpoints, averaging) is ESPnet's.

* ``dynamic``: ``total_step: auto`` becomes ``(iterations per epoch // accum_grad)
  * max_epoch``, measured from the epoch-1 iterator; the allocator is stepped on
  every optimizer step; at the end, ranks that never moved from ``init_r`` are an
  error.
* ``warmup``: SVD truncation after ``warmup_steps`` optimizer steps or at the end
  of epoch ``warmup_epochs``; the optimizer moments of the truncated factors are
  dropped. Shapes change, so DDP training of ``warmup`` is refused (DDP buckets
  are fixed at wrap time).
* ``warmup`` snapshots saved before the truncation (``{epoch}epoch.pth`` at
  ``r_high``) are truncated the same way once it happens, so ESPnet's n-best
  averaging (which averages ``A`` and ``B`` key by key) sees one shape.
* At the end, the final per-layer rank table is logged and written to
  ``<output_dir>/lora_ranks.yaml``.
"""

from __future__ import annotations

import logging
from pathlib import Path

import torch
import yaml
from espnet2.train.trainer import Trainer

from espnet_lowrank.lora.adapter import ADAPTER
from espnet_lowrank.lora.warmup import truncate_state_dict


def _unwrap(model):
    return getattr(model, "module", model)


class LoRATrainer(Trainer):
    """``Trainer`` subclass; select it through ``LoRALMTask.trainer``."""

    @classmethod
    def run(
        cls,
        model,
        optimizers,
        schedulers,
        train_iter_factory,
        valid_iter_factory,
        plot_attention_iter_factory,
        trainer_options,
        distributed_option,
    ) -> None:
        """ESPnet's ``run`` with the strategy's step hooks installed."""
        lora = model.lora
        strategy = lora.conf.strategy
        if strategy == "warmup" and distributed_option.distributed:
            raise RuntimeError(
                "strategy 'warmup' changes adapter shapes mid-training, which "
                "DistributedDataParallel cannot follow; train it on one process"
            )
        if strategy == "dynamic":
            total = lora.conf.total_step
            if total == "auto":
                n_iter = len(train_iter_factory.build_iter(1))
                per_epoch = n_iter // max(1, trainer_options.accum_grad)
                total = per_epoch * trainer_options.max_epoch
                if total < 1:
                    raise ValueError(
                        f"dynamic: {n_iter} iterations per epoch with accum_grad="
                        f"{trainer_options.accum_grad} give no optimizer step"
                    )
            lora.set_total_step(int(total))
        ckpt = Path(trainer_options.output_dir) / "checkpoint.pth"
        if trainer_options.resume and ckpt.exists():
            # warm-up checkpoints may hold truncated ranks: reshape the adapter
            # (and the optimizer's view of it) before ESPnet's resume loads them
            states = torch.load(ckpt, map_location="cpu", weights_only=False)
            lora.match_state_dict(states["model"], prefix="lm.", optimizers=optimizers)
        logging.info(lora.report())

        def hook(optimizer, args, kwargs):
            lora.on_optimizer_step(optimizers)

        handles = [opt.register_step_post_hook(hook) for opt in optimizers]
        try:
            super().run(
                model=model,
                optimizers=optimizers,
                schedulers=schedulers,
                train_iter_factory=train_iter_factory,
                valid_iter_factory=valid_iter_factory,
                plot_attention_iter_factory=plot_attention_iter_factory,
                trainer_options=trainer_options,
                distributed_option=distributed_option,
            )
        finally:
            for h in handles:
                h.remove()
        ranks = lora.finish()
        logging.info("LoRA final ranks:\n" + lora.report())
        if not distributed_option.distributed or distributed_option.dist_rank == 0:
            out = Path(trainer_options.output_dir) / "lora_ranks.yaml"
            counts = lora.param_counts()
            with out.open("w", encoding="utf-8") as f:
                yaml.safe_dump(
                    dict(
                        strategy=strategy,
                        global_step=lora.global_step,
                        ranks=ranks,
                        params=counts,
                        vanilla_budget=lora.vanilla_budget(),
                    ),
                    f,
                    sort_keys=False,
                )

    @classmethod
    def train_one_epoch(
        cls,
        model,
        iterator,
        optimizers,
        schedulers,
        scaler,
        reporter,
        summary_writer,
        options,
        distributed_option,
    ) -> bool:
        """ESPnet's epoch, then the epoch-end hook (epoch-based warm-up)."""
        invalid = super().train_one_epoch(
            model=model,
            iterator=iterator,
            optimizers=optimizers,
            schedulers=schedulers,
            scaler=scaler,
            reporter=reporter,
            summary_writer=summary_writer,
            options=options,
            distributed_option=distributed_option,
        )
        lora = _unwrap(model).lora
        lora.on_epoch_end(optimizers)
        if lora.truncated and not lora.snapshots_truncated:
            cls._truncate_snapshots(lora, Path(options.output_dir))
        return invalid

    @staticmethod
    def _truncate_snapshots(lora, output_dir: Path) -> None:
        """Warm-up: bring the ``{epoch}epoch.pth`` saved at ``r_high`` to rank ``r``
        (same SVD truncation), so that n-best averaging sees one shape."""
        c = lora.conf
        for path in sorted(output_dir.glob("*epoch.pth")):
            if path.is_symlink():
                continue
            state = torch.load(path, map_location="cpu", weights_only=False)
            n = truncate_state_dict(
                state, ADAPTER, c.r, c.alpha_high / c.r_high, c.lora_alpha / c.r
            )
            if n:
                torch.save(state, path)
                logging.info(f"LoRA warm-up: truncated {n} adapters in {path}")
        lora.snapshots_truncated = True
