"""Factorized layers: ``W ≈ U V`` for linears, pointwise 1-D and plain 2-D convolutions.

Their int8 (dynamic quantization) counterparts live in :mod:`espnet_lowrank.layers.quantized`
(imported on demand: it loads ``torch.ao``)."""

from espnet_lowrank.layers.lowrank_linear import (
    INIT_MODES,
    LowRankConv2d,
    LowRankLinear,
    LowRankPointwiseConv1d,
)

__all__ = ["INIT_MODES", "LowRankConv2d", "LowRankLinear", "LowRankPointwiseConv1d"]
