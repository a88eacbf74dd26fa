"""``lm``: low-rank-FFN Transformer LM (preset ``lr_sms``: FFN rank d/2, first block's
FFN dense, attention and embeddings dense) vs the dense Transformer LM, training step."""

from __future__ import annotations

from typing import Any, Dict, List, Sequence

from espnet_lowrank.bench import memory, models, steps
from espnet_lowrank.bench.compare import VARIANTS, compare_steps


def run(
    sizes: Sequence[str],
    repeats: int = 5,
    warmup: int = 1,
    device: str = "cpu",
    measure_memory: bool = True,
    threads: int | None = None,
    log=print,
) -> List[Dict[str, Any]]:
    records = []
    for name in sizes:
        size = models.LM_SIZES[name]
        inputs, targets = models.lm_batch(size, device)
        built = {rm: models.build_lm(size, rm, device) for rm in VARIANTS}

        def peak_memory(rm, name=name):
            return memory.measure_in_subprocess("lm", name, rm, threads=threads, device=device)

        rec = compare_steps(
            "lm",
            name,
            size.describe(),
            device,
            built,
            {rm: steps.lm_train_step(m, inputs, targets) for rm, m in built.items()},
            repeats,
            warmup,
            peak_memory if measure_memory else None,
            log,
        )
        records.append(rec)
        log(f"lm {name}: step {rec['speedup']:.2f}x, params {rec['param_ratio']:.2f}x")
    return records


COLUMNS = [
    ("size", "size"),
    ("dense_min_ms", "dense step ms"),
    ("lowrank_min_ms", "low-rank step ms"),
    ("speedup", "speed-up (min)"),
    ("speedup_median", "(median)"),
    ("dense_params", "dense params"),
    ("lowrank_params", "low-rank params"),
    ("param_ratio", "param ratio"),
    ("memory_ratio", "memory ratio"),
]
