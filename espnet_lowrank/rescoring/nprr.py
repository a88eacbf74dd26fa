r"""NPRR: N-best Perturbation-based Rescoring Robustness.

Definition used here. Fix a rescoring system ``S = (LM, lm_weight, length_bonus)``
(weights tuned once, on clean dev data) and a test set with references ``R`` and
clean N-best lists ``L``. Let ``P_m(L; p, s)`` be ``L`` with homophone
perturbation of probability ``p`` and seed ``s`` applied in mode ``m``: to the
1-best hypothesis only (``m = 1best``) or to every hypothesis (``m = nbest``);
ASR scores are left unchanged. Then, with ``WER`` the corpus word error rate of
the hypotheses ``S`` selects, against the clean references ``R``::

    WER_clean = WER(R, S(L))
    WER_pert  = (1/K) * sum_{k=1..K} WER(R, S(P_m(L; p, s_k)))

    NPRR_m = (WER_pert - WER_clean) / WER_clean

NPRR is the relative WER degradation caused by the perturbation: 0 means the
rescorer is unaffected, 0.25 means 25% relative more errors; lower is more
robust. Both WERs come from the same LM and the same weights. It is undefined
when ``WER_clean = 0`` (an error is raised). Its spread over perturbation seeds is
the sample standard deviation of the per-seed values
``NPRR_m,k = (WER(R, S(P_m(L; p, s_k))) - WER_clean) / WER_clean`` (whose mean is
``NPRR_m``); it is 0 for a single seed.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import List, Mapping, Sequence

from espnet_lowrank.rescoring.combine import Scored, rescored_texts
from espnet_lowrank.rescoring.wer import corpus_wer


def nprr(wer_clean: float, wer_perturbed: float) -> float:
    """``(wer_perturbed - wer_clean) / wer_clean``.

    Raises:
        ValueError: ``wer_clean`` is 0 (relative degradation undefined) or negative.
    """
    if wer_clean <= 0:
        raise ValueError(
            f"NPRR is undefined for a clean WER of {wer_clean}: the relative "
            "degradation needs a non-zero clean WER"
        )
    return (wer_perturbed - wer_clean) / wer_clean


@dataclass
class NPRRResult:
    """Clean and perturbed WERs (fractions), per-seed WERs, the NPRR and its spread."""

    mode: str
    wer_clean: float
    wer_perturbed: float
    wer_per_seed: List[float]
    nprr: float
    nprr_per_seed: List[float]
    nprr_std: float


def evaluate(
    clean: Scored,
    perturbed: Sequence[Scored],
    refs: Mapping[str, str],
    lm_weight: float,
    length_bonus: float,
    mode: str,
) -> NPRRResult:
    """NPRR of one rescoring system from scored clean and perturbed N-best lists.

    Args:
        clean: scored clean N-best lists.
        perturbed: one scored perturbed copy per seed (``K >= 1``).
        refs: reference texts by utterance id.
        lm_weight, length_bonus: the fixed rescoring weights.
        mode: ``1best`` or ``nbest`` (recorded in the result).
    """
    if not perturbed:
        raise ValueError("NPRR needs at least one perturbed N-best list")
    w_clean = corpus_wer(refs, rescored_texts(clean, lm_weight, length_bonus), "clean")
    per_seed = [
        corpus_wer(refs, rescored_texts(s, lm_weight, length_bonus), "perturbed") for s in perturbed
    ]
    w_pert = sum(per_seed) / len(per_seed)
    each = [nprr(w_clean, w) for w in per_seed]
    std = statistics.stdev(each) if len(each) > 1 else 0.0
    return NPRRResult(mode, w_clean, w_pert, per_seed, nprr(w_clean, w_pert), each, std)
