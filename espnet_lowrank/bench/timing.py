"""Interleaved timing harness: warm-up, variants run A B A B ..., min and median.

Every variant of a comparison is timed in the same loop, one sample of each per
round, so slow drifts of a shared machine (other jobs, frequency scaling) hit all
variants alike. A sample times ``number`` back-to-back calls and is stored per call.
On CUDA, samples are taken with CUDA events (code path present, untested without a GPU).
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Mapping, Optional

import torch

Clock = Callable[[], float]


@dataclass
class Timing:
    """Per-call seconds of one variant: ``samples`` in round order."""

    name: str
    number: int
    samples: List[float] = field(default_factory=list)

    @property
    def min(self) -> float:
        return min(self.samples)

    @property
    def median(self) -> float:
        return statistics.median(self.samples)


def pin_threads(threads: Optional[int]) -> int:
    """Set torch's intra-op threads (``None`` keeps the current value); return it."""
    if threads is not None:
        if threads < 1:
            raise ValueError(f"--threads must be >= 1, got {threads}")
        torch.set_num_threads(threads)
    return torch.get_num_threads()


def _sample_cpu(fn: Callable[[], object], number: int, clock: Clock) -> float:
    start = clock()
    for _ in range(number):
        fn()
    return (clock() - start) / number


def _sample_cuda(fn: Callable[[], object], number: int) -> float:
    start = torch.cuda.Event(enable_timing=True)
    end = torch.cuda.Event(enable_timing=True)
    start.record()
    for _ in range(number):
        fn()
    end.record()
    end.synchronize()
    return start.elapsed_time(end) / 1000.0 / number


def calibrate(
    fn: Callable[[], object], min_sample_s: float, clock: Clock = time.perf_counter
) -> int:
    """Calls per sample so that one sample of ``fn`` lasts at least ``min_sample_s``."""
    number = 1
    while True:
        elapsed = _sample_cpu(fn, number, clock) * number
        if elapsed >= min_sample_s or number >= 1 << 20:
            return number
        grow = min_sample_s / max(elapsed, 1e-9)
        number = max(number * 2, int(number * grow * 1.2) + 1)


def time_interleaved(
    variants: Mapping[str, Callable[[], object]],
    repeats: int = 5,
    warmup: int = 1,
    number: Optional[int] = None,
    min_sample_s: float = 0.01,
    device: str = "cpu",
    clock: Clock = time.perf_counter,
) -> Dict[str, Timing]:
    """Time every variant ``repeats`` times, interleaved: A B A B ...

    Args:
        variants: name -> zero-argument callable doing one unit of work.
        repeats: samples per variant (>= 1; the CLI asks for >= 5).
        warmup: untimed interleaved rounds first (caches, allocator, lazy init).
        number: calls per sample; ``None`` calibrates it on the first variant
            so that a sample lasts ``min_sample_s``; the same number is used for all.
        device: ``"cuda"`` times with CUDA events, anything else with ``clock``.
        clock: seconds; injectable for tests.
    """
    if not variants:
        raise ValueError("no variants to time")
    if repeats < 1:
        raise ValueError(f"repeats must be >= 1, got {repeats}")
    fns = list(variants.items())
    for _ in range(warmup):
        for _, fn in fns:
            fn()
    if device == "cuda":
        torch.cuda.synchronize()
    if number is None:
        number = calibrate(fns[0][1], min_sample_s, clock)
    out = {name: Timing(name, number) for name, _ in fns}
    for _ in range(repeats):
        for name, fn in fns:
            if device == "cuda":
                out[name].samples.append(_sample_cuda(fn, number))
            else:
                out[name].samples.append(_sample_cpu(fn, number, clock))
    return out


def speedups(base: Timing, other: Timing) -> Dict[str, float]:
    """``base / other`` from min times (``speedup``) and from medians."""
    return {
        "speedup": base.min / other.min,
        "speedup_median": base.median / other.median,
    }


def timing_fields(prefix: str, t: Timing) -> Dict[str, float]:
    """JSON fields ``<prefix>_min_ms``, ``<prefix>_median_ms``."""
    return {f"{prefix}_min_ms": t.min * 1e3, f"{prefix}_median_ms": t.median * 1e3}
