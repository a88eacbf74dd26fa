"""Factorized layers: ``W ≈ U V`` for linears and pointwise 1-D convolutions."""

from espnet_lowrank.layers.lowrank_linear import (
    INIT_MODES,
    LowRankLinear,
    LowRankPointwiseConv1d,
)

__all__ = ["INIT_MODES", "LowRankLinear", "LowRankPointwiseConv1d"]
