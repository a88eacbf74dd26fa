"""Per-layer choice of the inference path (factorized ``U (V x)`` or merged ``U V``) by
measurement on the device, dtype and input shapes the model runs with.

By default a factorized layer merges at inference when ``rho = r (in + out) / (in out)``
is at least ``LowRankLayer.merge_min_rho`` (0.8), a rule measured on CPU. Thin GEMMs
behave differently elsewhere (memory-bound on GPUs), so :func:`autotune` runs the model
once on an example input, records what each factorized layer receives, times both paths
of each layer on that input (interleaved, min of ``repeats`` samples) and pins the faster
one on that layer (an instance ``merge_min_rho`` of 0 or infinity; nothing enters the
state dict, training is unaffected: autograd always takes the factorized path).
Results are cached by (layer class, shape, rank, input shape, dtype, device, autocast
dtype, threads): identical layers are timed once per process. Opt-in: see
``bench/README.md`` for the measured reason.
"""

from __future__ import annotations

import math
from typing import Any, Callable, Dict, Optional, Tuple

import torch
from torch import nn

from espnet_lowrank.layers.lowrank_linear import LowRankLayer

PATHS = ("factorized", "merged")
_PIN = {"factorized": math.inf, "merged": 0.0}
_CACHE: Dict[Tuple, str] = {}

Measure = Callable[[LowRankLayer, torch.Tensor], Dict[str, float]]


def _pinned(layer: LowRankLayer, path: str) -> None:
    layer.merge_min_rho = _PIN[path]


def measure_paths(layer: LowRankLayer, x: torch.Tensor, repeats: int = 5) -> Dict[str, float]:
    """Seconds per forward of ``layer`` on ``x`` for each path (min over ``repeats``)."""
    from espnet_lowrank.bench.timing import time_interleaved

    saved = layer.__dict__.get("merge_min_rho")

    def run(path: str):
        def call() -> None:
            _pinned(layer, path)
            with torch.inference_mode():
                layer(x)

        return call

    try:
        t = time_interleaved(
            {p: run(p) for p in PATHS}, repeats=repeats, warmup=1, min_sample_s=0.002,
            device=x.device.type,
        )  # fmt: skip
    finally:
        layer.__dict__.pop("merge_min_rho", None)
        if saved is not None:
            layer.merge_min_rho = saved
    return {p: t[p].min for p in PATHS}


def _key(layer: LowRankLayer, x: torch.Tensor) -> Tuple:
    dev = x.device.type
    amp = torch.get_autocast_dtype(dev) if torch.is_autocast_enabled(dev) else None
    return (
        type(layer), layer.extra_repr(), tuple(x.shape), x.dtype, layer.U.dtype, str(x.device),
        amp, torch.get_num_threads(),
    )  # fmt: skip


def autotune(
    model: nn.Module,
    *example_args: Any,
    repeats: int = 5,
    measure: Optional[Measure] = None,
    cache: Optional[Dict[Tuple, str]] = None,
    **example_kwargs: Any,
) -> Dict[str, Optional[str]]:
    """Pin each factorized layer of ``model`` to its faster inference path.

    Args:
        model: any module tree; ``model(*example_args, **example_kwargs)`` is run once
            under ``torch.inference_mode`` (in the ambient autocast, if any) to record
            each factorized layer's first input.
        repeats: timed samples per path and layer.
        measure: ``(layer, x) -> {"factorized": s, "merged": s}``; default
            :func:`measure_paths`.
        cache: decisions by key (default: this process's cache).

    Returns:
        layer name -> ``"factorized"``, ``"merged"``, or ``None`` for a layer the example
        did not reach (left to the ``rho`` rule).
    """
    measure = measure or (lambda layer, x: measure_paths(layer, x, repeats))
    cache = _CACHE if cache is None else cache
    layers = {n: m for n, m in model.named_modules() if isinstance(m, LowRankLayer)}
    inputs: Dict[str, torch.Tensor] = {}

    def hook(name):
        def record(module, args):
            inputs.setdefault(name, args[0])

        return record

    handles = [m.register_forward_pre_hook(hook(n)) for n, m in layers.items()]
    try:
        with torch.inference_mode():
            model(*example_args, **example_kwargs)
    finally:
        for h in handles:
            h.remove()
    choice: Dict[str, Optional[str]] = {}
    for name, layer in layers.items():
        if name not in inputs:
            choice[name] = None
            continue
        key = _key(layer, inputs[name])
        if key not in cache:
            times = measure(layer, inputs[name])
            cache[key] = min(PATHS, key=lambda p: times[p])
        _pinned(layer, cache[key])
        choice[name] = cache[key]
    return choice


def clear_autotune(model: nn.Module) -> int:
    """Return every factorized layer of ``model`` to the ``rho`` rule; how many were pinned."""
    n = 0
    for m in model.modules():
        if isinstance(m, LowRankLayer) and "merge_min_rho" in m.__dict__:
            del m.merge_min_rho
            n += 1
    return n
