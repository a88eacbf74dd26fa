"""The record shared by the ``train`` and ``lm`` benchmarks: dense vs LR-SMS step."""

from __future__ import annotations

from typing import Any, Callable, Dict, Mapping, Optional

import torch

from espnet_lowrank.bench import models
from espnet_lowrank.bench.timing import speedups, time_interleaved, timing_fields

VARIANTS = ("dense", "lr_sms")


def pair_fields(
    dense: torch.nn.Module, lowrank: torch.nn.Module, t_dense, t_lowrank
) -> Dict[str, Any]:
    """Parameter counts and ratio, min/median times and speed-ups of a dense/low-rank pair."""
    rec: Dict[str, Any] = {
        "dense_params": models.n_params(dense),
        "lowrank_params": models.n_params(lowrank),
    }
    rec["param_ratio"] = rec["dense_params"] / rec["lowrank_params"]
    rec.update(timing_fields("dense", t_dense))
    rec.update(timing_fields("lowrank", t_lowrank))
    rec.update(speedups(t_dense, t_lowrank))
    return rec


def compare_steps(
    bench: str,
    name: str,
    description: str,
    device: str,
    built: Mapping[str, torch.nn.Module],
    steps: Mapping[str, Callable[[], None]],
    repeats: int,
    warmup: int,
    peak_memory: Optional[Callable[[str], Dict[str, Any]]],
    log=print,
) -> Dict[str, Any]:
    """Time ``steps`` (per variant) interleaved; parameter and optional memory ratios.

    ``peak_memory(variant)`` returns ``{"method", "peak_mb", "resolved"}`` measured in
    a fresh process (see :mod:`espnet_lowrank.bench.memory`), or is ``None`` to skip.
    """
    t = time_interleaved(steps, repeats=repeats, warmup=warmup, number=1, device=device)
    rec: Dict[str, Any] = {
        "bench": bench,
        "size": name,
        "model": description,
        "device": device,
        **pair_fields(built["dense"], built["lr_sms"], t["dense"], t["lr_sms"]),
    }
    log(
        f"{bench} {name}: step min {rec['dense_min_ms']:.0f} ms dense, "
        f"{rec['lowrank_min_ms']:.0f} ms low-rank ({rec['speedup']:.2f}x)"
    )
    rec["memory_method"] = None
    rec["dense_peak_mb"] = rec["lowrank_peak_mb"] = rec["memory_ratio"] = None
    rec["memory_resolved"] = None
    if peak_memory is not None:
        mem = {rm: peak_memory(rm) for rm in VARIANTS}
        rec["memory_method"] = mem["dense"]["method"]
        rec["dense_peak_mb"] = mem["dense"]["peak_mb"]
        rec["lowrank_peak_mb"] = mem["lr_sms"]["peak_mb"]
        rec["memory_resolved"] = all(m["resolved"] for m in mem.values())
        if rec["memory_resolved"]:
            rec["memory_ratio"] = rec["dense_peak_mb"] / rec["lowrank_peak_mb"]
    return rec
