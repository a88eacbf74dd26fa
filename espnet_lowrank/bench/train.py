"""``train``: one ASR training step, LR-SMS (``rank_map: lr_sms``) vs full rank (``dense``).

Same config except the rank map, same batch, interleaved timing. Also reported:
parameter ratio (dense / low-rank) and peak-memory ratio (dense / low-rank; see
:mod:`espnet_lowrank.bench.memory` for the method).
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence

from espnet_lowrank.bench import memory, models, steps
from espnet_lowrank.bench.compare import VARIANTS, compare_steps

TARGET_SPEEDUP = 1.3  # LibriSpeech size (the LR-SMS paper's ASR headline)


def run(
    sizes: Sequence[str],
    repeats: int = 5,
    warmup: int = 1,
    device: str = "cpu",
    measure_memory: bool = True,
    threads: int | None = None,
    batch: Optional[int] = None,
    seconds: Optional[float] = None,
    log=print,
) -> List[Dict[str, Any]]:
    records = []
    for name in sizes:
        size = models.asr_size(name, batch, seconds)
        data = models.asr_batch(size, device)
        built = {rm: models.build_asr(size, rm, device) for rm in VARIANTS}

        def peak_memory(rm, name=name):
            return memory.measure_in_subprocess(
                "asr", name, rm, threads=threads, device=device, batch=batch, seconds=seconds
            )

        rec = compare_steps(
            "train",
            name,
            size.describe(),
            device,
            built,
            {rm: steps.asr_train_step(m, data) for rm, m in built.items()},
            repeats,
            warmup,
            peak_memory if measure_memory else None,
            log,
        )
        del built
        rec["target"] = (
            f">= {TARGET_SPEEDUP}x step, >= 2x fewer params, lower peak memory"
            if name == "librispeech"
            else None
        )
        if name == "librispeech":
            rec["meets_target"] = bool(
                rec["speedup"] >= TARGET_SPEEDUP
                and rec["param_ratio"] >= 2.0
                and rec["memory_ratio"] is not None
                and rec["memory_ratio"] > 1.0
            )
        else:
            rec["meets_target"] = None
        records.append(rec)
        log(
            f"train {name}: step {rec['speedup']:.2f}x, params {rec['param_ratio']:.2f}x, "
            f"memory {rec['memory_ratio']}x"
        )
    return records


COLUMNS = [
    ("size", "size"),
    ("dense_min_ms", "dense step ms"),
    ("lowrank_min_ms", "LR-SMS step ms"),
    ("speedup", "speed-up (min)"),
    ("speedup_median", "(median)"),
    ("dense_params", "dense params"),
    ("lowrank_params", "LR-SMS params"),
    ("param_ratio", "param ratio"),
    ("dense_peak_mb", "dense peak MB"),
    ("lowrank_peak_mb", "LR-SMS peak MB"),
    ("memory_ratio", "memory ratio"),
    ("meets_target", "target met"),
]
