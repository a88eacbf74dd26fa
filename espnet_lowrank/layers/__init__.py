"""Factorized layers: ``W ≈ U V`` for linears, pointwise 1-D and plain 2-D convolutions."""

from espnet_lowrank.layers.lowrank_linear import (
    INIT_MODES,
    LowRankConv2d,
    LowRankLinear,
    LowRankPointwiseConv1d,
)

__all__ = ["INIT_MODES", "LowRankConv2d", "LowRankLinear", "LowRankPointwiseConv1d"]
