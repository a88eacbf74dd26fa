"""Score combination, hypothesis selection and the (lambda, beta) grid search.

For hypothesis ``h`` of an utterance::

    total(h) = asr_score(h) + lm_weight * lm_logprob(h) + length_bonus * length(h)

``asr_score`` is the value ESPnet wrote in ``score`` (decode without ``--lm_file``
to keep the LM out of it), ``lm_logprob`` is the natural-log probability of the
hypothesis tokens plus ``<eos>`` under the rescoring LM, and ``length`` is the
number of words of the hypothesis (``length_unit: word``, default) or of LM tokens
(``length_unit: token``). The highest total wins; ties go to the hypothesis the
decoder ranked first.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Mapping, Sequence, Tuple

import yaml

from espnet_lowrank.rescoring.wer import check_same_ids, corpus_wer
from espnet_lowrank.strict_yaml import load_yaml_mapping


@dataclass(frozen=True)
class ScoredHyp:
    """A hypothesis with every score the combination needs."""

    text: str
    asr_score: float
    lm_score: float
    length: int


Scored = Dict[str, List[ScoredHyp]]


def combined(h: ScoredHyp, lm_weight: float, length_bonus: float) -> float:
    """``asr + lm_weight * lm + length_bonus * length``."""
    return h.asr_score + lm_weight * h.lm_score + length_bonus * h.length


def select(scored: Scored, lm_weight: float, length_bonus: float) -> Dict[str, int]:
    """Index of the best hypothesis per utterance (first on ties).

    Raises:
        ValueError: an utterance has an empty hypothesis list (named).
    """
    out = {}
    for utt, hyps in scored.items():
        if not hyps:
            raise ValueError(f"utterance {utt!r} has an empty N-best list")
        totals = [combined(h, lm_weight, length_bonus) for h in hyps]
        out[utt] = max(range(len(hyps)), key=lambda i: (totals[i], -i))
    return out


def rescored_texts(scored: Scored, lm_weight: float, length_bonus: float) -> Dict[str, str]:
    """The selected hypothesis text per utterance."""
    pick = select(scored, lm_weight, length_bonus)
    return {u: scored[u][i].text for u, i in pick.items()}


@dataclass
class GridResult:
    """Best grid point and the WER of every point (grid order)."""

    lm_weight: float
    length_bonus: float
    wer: float
    table: List[Tuple[float, float, float]]


def grid_search(
    scored: Scored,
    refs: Mapping[str, str],
    lm_weights: Sequence[float],
    length_bonuses: Sequence[float],
) -> GridResult:
    """Pick ``(lm_weight, length_bonus)`` with the lowest WER on ``scored``.

    Ties keep the earliest grid point (``lm_weights`` outer, ``length_bonuses``
    inner), so list the preferred (e.g. smaller) values first.
    """
    if not lm_weights or not length_bonuses:
        raise ValueError("the lm_weight and length_bonus grids must not be empty")
    check_same_ids(refs, scored, "the N-best list")
    table = []
    best = None
    for lw, lb in itertools.product(lm_weights, length_bonuses):
        w = corpus_wer(refs, rescored_texts(scored, lw, lb))
        table.append((lw, lb, w))
        if best is None or w < best[2]:
            best = (lw, lb, w)
    return GridResult(lm_weight=best[0], length_bonus=best[1], wer=best[2], table=table)


def parse_grid(spec: str) -> List[float]:
    """``"0:1:0.25"`` (start:stop:step, inclusive) or ``"0,0.3,0.5"`` -> floats."""
    spec = spec.strip()
    if ":" in spec:
        parts = spec.split(":")
        if len(parts) != 3:
            raise ValueError(f"grid {spec!r}: use start:stop:step or a comma list")
        start, stop, step = (float(p) for p in parts)
        if step <= 0 or stop < start:
            raise ValueError(f"grid {spec!r}: need step > 0 and stop >= start")
        n = int(round((stop - start) / step))
        return [round(start + i * step, 10) for i in range(n + 1)]
    try:
        return [float(x) for x in spec.split(",") if x.strip()]
    except ValueError as e:
        raise ValueError(f"grid {spec!r}: {e}") from None


def save_weights(path: Path | str, lm_weight: float, length_bonus: float, **extra) -> Path:
    """Write ``lm_weight``/``length_bonus`` (and e.g. ``dev_wer``) as YAML."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    data = dict(lm_weight=float(lm_weight), length_bonus=float(length_bonus), **extra)
    p.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return p


def load_weights(path: Path | str) -> Tuple[float, float]:
    """Read ``(lm_weight, length_bonus)`` written by ``save_weights``."""
    data = load_yaml_mapping(path, "rescoring weights file")
    missing = [k for k in ("lm_weight", "length_bonus") if k not in data]
    if missing:
        raise ValueError(f"{path}: missing keys {missing}")
    return float(data["lm_weight"]), float(data["length_bonus"])
