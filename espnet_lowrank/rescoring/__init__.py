"""N-best rescoring with (LoRA) LMs, homophone perturbation and the NPRR metric."""

from espnet_lowrank.rescoring.combine import ScoredHyp, grid_search, select
from espnet_lowrank.rescoring.nbest import (
    Hypothesis,
    read_nbest,
    write_nbest,
    write_onebest,
)
from espnet_lowrank.rescoring.nprr import nprr
from espnet_lowrank.rescoring.wer import corpus_wer, oracle_wer

__all__ = [
    "Hypothesis",
    "ScoredHyp",
    "corpus_wer",
    "grid_search",
    "nprr",
    "oracle_wer",
    "read_nbest",
    "select",
    "write_nbest",
    "write_onebest",
]
