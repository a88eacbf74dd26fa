"""Factorized layers: ``W ≈ U V`` for linears, pointwise 1-D and plain 2-D convolutions.

:class:`LowRankLayer` holds the factors, their initialisation and the merged-weight
cache; :class:`LowRankLinear`, :class:`LowRankPointwiseConv1d` and
:class:`LowRankConv2d` are its siblings, one per kind of dense layer, and
:data:`LOWRANK_CLASSES` maps a rank-map slot's ``kind`` to its class. Their int8
(dynamic quantization) counterparts live in :mod:`espnet_lowrank.layers.quantized`
(imported on demand: it loads ``torch.ao``)."""

from espnet_lowrank.layers.lowrank_linear import (
    INIT_MODES,
    LOWRANK_CLASSES,
    LowRankConv2d,
    LowRankLayer,
    LowRankLinear,
    LowRankPointwiseConv1d,
)

__all__ = [
    "INIT_MODES",
    "LOWRANK_CLASSES",
    "LowRankConv2d",
    "LowRankLayer",
    "LowRankLinear",
    "LowRankPointwiseConv1d",
]
