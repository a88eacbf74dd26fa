"""``lm``: low-rank-FFN Transformer LM (preset ``lr_sms``: FFN rank d/2, first block's
FFN dense, attention and embeddings dense) vs the dense Transformer LM, training step."""

from __future__ import annotations

from typing import Any, Dict, List, Sequence

from espnet_lowrank.bench import memory, models, steps
from espnet_lowrank.bench.timing import speedups, time_interleaved, timing_fields


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
        built = {rm: models.build_lm(size, rm, device) for rm in ("dense", "lr_sms")}
        t = time_interleaved(
            {rm: steps.lm_train_step(m, inputs, targets) for rm, m in built.items()},
            repeats=repeats,
            warmup=warmup,
            number=1,
            device=device,
        )
        rec: Dict[str, Any] = {
            "bench": "lm",
            "size": name,
            "model": size.describe(),
            "device": device,
            "dense_params": models.n_params(built["dense"]),
            "lowrank_params": models.n_params(built["lr_sms"]),
        }
        rec["param_ratio"] = rec["dense_params"] / rec["lowrank_params"]
        rec.update(timing_fields("dense", t["dense"]))
        rec.update(timing_fields("lowrank", t["lr_sms"]))
        rec.update(speedups(t["dense"], t["lr_sms"]))
        log(
            f"{rec['bench']} {name}: step min {rec['dense_min_ms']:.0f} ms dense, "
            f"{rec['lowrank_min_ms']:.0f} ms low-rank ({rec['speedup']:.2f}x); measuring memory"
        )
        rec["memory_method"] = None
        rec["dense_peak_mb"] = rec["lowrank_peak_mb"] = rec["memory_ratio"] = None
        rec["memory_resolved"] = None
        if measure_memory:
            mem = {
                rm: memory.measure_in_subprocess("lm", name, rm, threads=threads, device=device)
                for rm in ("dense", "lr_sms")
            }
            rec["memory_method"] = mem["dense"]["method"]
            rec["dense_peak_mb"] = mem["dense"]["peak_mb"]
            rec["lowrank_peak_mb"] = mem["lr_sms"]["peak_mb"]
            rec["memory_resolved"] = all(m["resolved"] for m in mem.values())
            if rec["memory_resolved"]:
                rec["memory_ratio"] = rec["dense_peak_mb"] / rec["lowrank_peak_mb"]
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
