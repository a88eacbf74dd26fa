"""Effective rank of trained weights: measures, model walk, rank-map suggestion, plots.

Command line: ``python -m espnet_lowrank.bin.rank_analysis --help``.
"""

from espnet_lowrank.analysis.collect import (
    AnalysisError,
    LayerAnalysis,
    ModelAnalysis,
    PartAnalysis,
    analyse_model,
    load_model,
)
from espnet_lowrank.analysis.measures import DEFAULT_MEASURES, effective_ranks, singular_values
from espnet_lowrank.analysis.suggest import Suggestion, suggest_rank_map

__all__ = [
    "DEFAULT_MEASURES",
    "AnalysisError",
    "LayerAnalysis",
    "ModelAnalysis",
    "PartAnalysis",
    "Suggestion",
    "analyse_model",
    "effective_ranks",
    "load_model",
    "singular_values",
    "suggest_rank_map",
]
