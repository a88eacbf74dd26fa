"""``lm_width``: where the low-rank FFN LM's speed comes from, across model widths.

The low-rank FFN paper (arXiv 2407.09835) finds FFN and whole-model gains that only
start near width 1536 on its hardware. For each width ``d`` (FFN ``4 d``) and each FFN
rank ``R = ratio * d``, two interleaved comparisons against dense on one device:

- ``ffn``: ESPnet's ``PositionwiseFeedForward`` alone (``w_1``, ReLU, ``w_2``), forward
  and backward of ``tokens`` tokens; FLOP ideal ``4 d / (5 R)`` (``d * 4d`` against
  ``R * (d + 4d)`` per matrix).
- ``step``: one training step (forward, backward, Adam) of a ``layers``-block
  Transformer LM at that width, both FFN matrices of blocks 1.. at rank ``R`` with
  spectral init and block 0's FFN dense (the paper's recipe, as
  ``conf/tuning/train_lm_ffn_r*.yaml``); FLOP ideal from the forward FLOPs of every
  linear (``2 * tokens * weights``) plus attention's two ``L x L`` products.
"""

from __future__ import annotations

from typing import Any, Dict, List, Sequence

import torch
from torch import nn

from espnet_lowrank.bench import models, steps
from espnet_lowrank.bench.compare import pair_fields
from espnet_lowrank.bench.timing import time_interleaved
from espnet_lowrank.layers import LowRankLinear

try:  # ESPnet 202611 moved espnet.nets under espnet2.legacy
    from espnet2.legacy.nets.pytorch_backend.transformer.positionwise_feed_forward import (
        PositionwiseFeedForward,
    )
except ImportError:  # ESPnet 202511
    from espnet.nets.pytorch_backend.transformer.positionwise_feed_forward import (
        PositionwiseFeedForward,
    )


def ffn_ideal(d: int, rank: int) -> float:
    """Dense over low-rank FLOPs of an FFN ``d -> 4d -> d``."""
    return (d * 4 * d) / (rank * (d + 4 * d))


def linear_flops(model: nn.Module, tokens: int) -> int:
    """Forward multiply-adds x 2 of every ``nn.Linear`` / ``LowRankLinear`` for ``tokens``."""
    weights = 0
    for m in model.modules():
        if isinstance(m, LowRankLinear):
            weights += m.U.numel() + m.V.numel()
        elif isinstance(m, nn.Linear):
            weights += m.weight.numel()
    return 2 * tokens * weights


def attention_flops(d: int, layers: int, batch: int, length: int) -> int:
    """Forward FLOPs of ``Q K^T`` and ``A V`` in every block."""
    return layers * 2 * (2 * batch * length * length * d)


def lowrank_ffn(d: int, rank: int) -> PositionwiseFeedForward:
    """``PositionwiseFeedForward(d, 4d)`` with both matrices at ``rank`` (spectral init)."""
    ffn = PositionwiseFeedForward(d, 4 * d, dropout_rate=0.0)
    ffn.w_1 = LowRankLinear(d, 4 * d, rank, init="spectral")
    ffn.w_2 = LowRankLinear(4 * d, d, rank, init="spectral")
    return ffn


def lm_rank_map(ratio: float) -> Dict[str, Any]:
    """The study's map: FFN at ``ratio`` of ``d`` in blocks 1.., spectral, block 0 dense."""
    return {
        "init": "spectral",
        "default": "dense",
        "groups": {"feed_forward": ratio},
        "layers": {"encoder.encoders.0.feed_forward.*": "dense"},
    }


def _ffn_step(ffn: nn.Module, x: torch.Tensor):
    def step() -> None:
        ffn.zero_grad(set_to_none=True)
        ffn(x).sum().backward()

    return step


def run(
    widths: Sequence[int],
    ratios: Sequence[float] = (0.5, 0.25),
    layers: int = 4,
    batch: int = 4,
    length: int = 128,
    vocab: int = 5000,
    repeats: int = 5,
    warmup: int = 1,
    device: str = "cpu",
    log=print,
) -> List[Dict[str, Any]]:
    """One record per (width, ratio, ``ffn``/``step``)."""
    records = []
    tokens = batch * length
    for d in widths:
        heads = max(1, d // 64)
        size = models.LmSize(f"d{d}", 128, d, heads, 4 * d, layers, vocab, batch, length)
        ranks = {ratio: max(1, round(ratio * d)) for ratio in ratios}
        torch.manual_seed(0)
        x = torch.randn(batch, length, d, device=device)
        ffns = {"dense": PositionwiseFeedForward(d, 4 * d, dropout_rate=0.0)}
        ffns.update({f"R={r}": lowrank_ffn(d, r) for r in ranks.values()})
        ffns = {k: m.to(device).train() for k, m in ffns.items()}
        t = time_interleaved(
            {k: _ffn_step(m, x) for k, m in ffns.items()}, repeats, warmup, number=1, device=device
        )
        for ratio, r in ranks.items():
            records.append(_record("ffn", d, ratio, r, ffn_ideal(d, r), ffns, t, f"R={r}"))
        del ffns, t
        inputs, targets = models.lm_batch(size, device)
        lms = {"dense": models.build_lm(size, "dense", device)}
        lms.update({f"R={r}": models.build_lm(size, lm_rank_map(ratio), device)
                    for ratio, r in ranks.items()})  # fmt: skip
        t = time_interleaved(
            {k: steps.lm_train_step(m, inputs, targets) for k, m in lms.items()},
            repeats, warmup, number=1, device=device,
        )  # fmt: skip
        attn = attention_flops(d, layers, batch, length)
        dense_flops = linear_flops(lms["dense"], tokens) + attn
        for ratio, r in ranks.items():
            ideal = dense_flops / (linear_flops(lms[f"R={r}"], tokens) + attn)
            records.append(_record("step", d, ratio, r, ideal, lms, t, f"R={r}"))
        del lms, t
        for rec in records[-2 * len(ranks) :]:
            log(
                f"lm_width d={d} {rec['what']} R={rec['rank']}: {rec['speedup']:.2f}x "
                f"(ideal {rec['ideal']:.2f}x)"
            )
    return records


def _record(what, d, ratio, rank, ideal, built, t, key) -> Dict[str, Any]:
    rec: Dict[str, Any] = {
        "bench": "lm_width",
        "what": what,
        "d": d,
        "ffn": 4 * d,
        "ratio": ratio,
        "rank": rank,
        "ideal": ideal,
        **pair_fields(built["dense"], built[key], t["dense"], t[key]),
    }
    rec["realised_over_ideal"] = rec["speedup"] / ideal
    return rec


COLUMNS = [
    ("what", "measured"),
    ("d", "d"),
    ("rank", "FFN rank R"),
    ("dense_min_ms", "dense ms"),
    ("lowrank_min_ms", "low-rank ms"),
    ("speedup", "speed-up (min)"),
    ("speedup_median", "(median)"),
    ("ideal", "FLOP ideal"),
    ("realised_over_ideal", "realised / ideal"),
    ("param_ratio", "param ratio"),
]
