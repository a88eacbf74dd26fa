"""Rescoring and NPRR of several data sets with one LM (what the recipe stages run).

Layout (``nbest_root`` as written by the driver's N-best decoding)::

    <nbest_root>/<set>/{n}best_recog/{text,score,token,token_int}
    <ref_root>/<set>/text
    <out_dir>/rescore_weights.yaml             lm_weight, length_bonus (tuned on dev)
    <out_dir>/<set>/1best_recog/...            rescored 1-best (ESPnet layout)
    <out_dir>/<set>/rescore_result.yaml        WERs: 1-best, rescored, oracle
    <out_dir>/<set>/nprr.yaml                  NPRR per perturbation mode (at the tuned
                                               weights; under ``common``: at a common λ)
    <out_dir>/lm_scores.json                   LM score of every rescored text (same LM)
"""

from __future__ import annotations

import logging
from dataclasses import asdict
from pathlib import Path
from typing import Dict, Mapping, Optional, Sequence, Tuple

import yaml

from espnet_lowrank.kaldi_dir import read_table
from espnet_lowrank.rescoring.combine import (
    Scored,
    grid_search,
    load_weights,
    parse_grid,
    save_weights,
    select,
)
from espnet_lowrank.rescoring.homophones import HomophoneTable, perturb_nbest
from espnet_lowrank.rescoring.lm_scorer import LMScorer, score_nbest
from espnet_lowrank.rescoring.nbest import Hypothesis, NBest, read_nbest, write_nbest, write_onebest
from espnet_lowrank.rescoring.nprr import evaluate
from espnet_lowrank.rescoring.wer import corpus_wer, oracle_wer
from espnet_lowrank.strict_yaml import load_yaml_mapping

WEIGHTS = "rescore_weights.yaml"
RESULT = "rescore_result.yaml"
NPRR = "nprr.yaml"
LM_CACHE = "lm_scores.json"  # LM scores of every text rescored, reused by the NPRR stage


class WeightSourceError(ValueError):
    """Not exactly one source of rescoring weights (dev tuning, a file, fixed values)."""


def resolve_weights(
    scorer: LMScorer,
    out_dir: Path,
    *,
    dev_nbest_dir: Optional[Sequence[str]] = None,
    dev_ref: Optional[str] = None,
    weights: Optional[str] = None,
    lm_weight: Optional[float] = None,
    length_bonus: Optional[float] = None,
    nbest: Optional[int] = None,
    length_unit: str = "word",
    lm_weight_grid: str = "0:1:0.1",
    length_bonus_grid: str = "-1:2:0.5",
) -> Tuple[float, float, Optional[float]]:
    """``(lm_weight, length_bonus, dev WER or None)`` from exactly one source: tuning on
    dev (``dev_nbest_dir`` + ``dev_ref``; the tuned weights are saved to
    ``out_dir/rescore_weights.yaml``), a ``weights`` YAML, or ``lm_weight`` +
    ``length_bonus``. The messages name the tools' options."""
    tuned = dev_nbest_dir is not None or dev_ref is not None
    fixed = lm_weight is not None or length_bonus is not None
    sources = [
        n
        for n, on in (
            ("dev tuning", tuned),
            ("--weights", weights),
            ("--lm_weight/--length_bonus", fixed),
        )
        if on
    ]
    if len(sources) != 1:
        raise WeightSourceError(
            "give exactly one weight source (dev tuning, --weights, or fixed); "
            f"got {sources or 'none'}"
        )
    if tuned:
        if dev_nbest_dir is None or dev_ref is None:
            raise WeightSourceError("dev tuning needs both --dev_nbest_dir and --dev_ref")
        dev = score_nbest(read_nbest(dev_nbest_dir, nbest), scorer, length_unit)
        res = grid_search(
            dev,
            read_table(dev_ref),
            parse_grid(lm_weight_grid),
            parse_grid(length_bonus_grid),
        )
        save_weights(
            out_dir / "rescore_weights.yaml", res.lm_weight, res.length_bonus, dev_wer=res.wer
        )
        logging.info(
            f"tuned on dev: lm_weight={res.lm_weight} "
            f"length_bonus={res.length_bonus} WER={res.wer:.4f}"
        )
        return res.lm_weight, res.length_bonus, res.wer
    if weights:
        lw, lb = load_weights(weights)
        return lw, lb, None
    if lm_weight is None or length_bonus is None:
        raise WeightSourceError("fixed weights need both --lm_weight and --length_bonus")
    return lm_weight, length_bonus, None


def write_rescored(
    nbest: NBest,
    scored: Scored,
    lm_weight: float,
    length_bonus: float,
    out_dir: Path | str,
    refs: Optional[Mapping[str, str]] = None,
    **extra,
) -> dict:
    """Select with the given weights, write ``1best_recog`` and ``rescore_result.yaml``.

    The written ``score`` is the combined total. With ``refs``, the result holds
    the decoder's 1-best WER, the rescored WER and the N-best oracle WER.

    Returns:
        The result mapping written to ``rescore_result.yaml``.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    pick = select(scored, lm_weight, length_bonus)
    chosen = {}
    for u, i in pick.items():
        h, s = nbest[u][i], scored[u][i]
        total = s.asr_score + lm_weight * s.lm_score + length_bonus * s.length
        chosen[u] = Hypothesis(text=h.text, score=total, token=h.token, token_int=h.token_int)
    write_onebest(out_dir, chosen)
    result = dict(
        lm_weight=float(lm_weight),
        length_bonus=float(length_bonus),
        **extra,
        n_utts=len(nbest),
        max_nbest=max(len(v) for v in nbest.values()),
        changed_from_1best=sum(1 for i in pick.values() if i != 0),
    )
    if refs is not None:
        result["wer_1best"] = corpus_wer(refs, {u: h[0].text for u, h in nbest.items()}, "1-best")
        result["wer_rescored"] = corpus_wer(
            refs, {u: h.text for u, h in chosen.items()}, "rescored"
        )
        result["wer_oracle"] = oracle_wer(nbest, refs)
    (out_dir / RESULT).write_text(yaml.safe_dump(result, sort_keys=False), encoding="utf-8")
    return result


def _set_data(nbest_root: Path, ref_root: Path, dset: str, nbest: Optional[int]):
    refs_file = ref_root / dset / "text"
    if not refs_file.is_file():
        raise FileNotFoundError(f"reference text {refs_file} does not exist")
    return read_nbest([nbest_root / dset], nbest), read_table(refs_file)


def rescore_sets(
    scorer: LMScorer,
    nbest_root: Path | str,
    ref_root: Path | str,
    dev_set: str,
    test_sets: Sequence[str],
    out_dir: Path | str,
    lm_weights: Sequence[float],
    length_bonuses: Sequence[float],
    nbest: Optional[int] = None,
    length_unit: str = "word",
) -> Dict[str, dict]:
    """Tune ``(lm_weight, length_bonus)`` on ``dev_set``, rescore dev and every test set.

    Returns:
        ``{set: rescore result}`` (dev first); the weights are in
        ``<out_dir>/rescore_weights.yaml``.
    """
    nbest_root, ref_root, out_dir = Path(nbest_root), Path(ref_root), Path(out_dir)
    nb, refs = _set_data(nbest_root, ref_root, dev_set, nbest)
    scored = score_nbest(nb, scorer, length_unit)
    grid = grid_search(scored, refs, lm_weights, length_bonuses)
    save_weights(
        out_dir / WEIGHTS,
        grid.lm_weight,
        grid.length_bonus,
        length_unit=length_unit,
        dev_set=dev_set,
        dev_wer=grid.wer,
    )
    logging.info(
        f"{out_dir.name}: tuned on {dev_set}: lm_weight={grid.lm_weight} "
        f"length_bonus={grid.length_bonus} WER={grid.wer:.4f}"
    )
    results = {}
    common = dict(length_unit=length_unit, tuned_on=dev_set)
    results[dev_set] = write_rescored(
        nb, scored, grid.lm_weight, grid.length_bonus, out_dir / dev_set, refs, **common
    )
    for dset in test_sets:
        if dset == dev_set:
            continue
        nb, refs = _set_data(nbest_root, ref_root, dset, nbest)
        scored = score_nbest(nb, scorer, length_unit)
        results[dset] = write_rescored(
            nb, scored, grid.lm_weight, grid.length_bonus, out_dir / dset, refs, **common
        )
    scorer.save_cache(out_dir / LM_CACHE)
    for dset, r in results.items():
        logging.info(
            f"{out_dir.name}/{dset}: WER 1-best {r['wer_1best']:.4f} -> rescored "
            f"{r['wer_rescored']:.4f} (oracle {r['wer_oracle']:.4f})"
        )
    return results


def nprr_report(
    scorer: LMScorer,
    nbest: NBest,
    refs: Mapping[str, str],
    table: HomophoneTable,
    lm_weight: float,
    length_bonus: float,
    p: float,
    seeds: Sequence[int],
    modes: Sequence[str],
    length_unit: str = "word",
    write_perturbed: Optional[Path | str] = None,
) -> dict:
    """NPRR of one rescoring system on one N-best set, for each perturbation mode.

    Returns:
        ``{lm_weight, length_bonus, p, seeds, homophone_words, <mode>: {wer_clean,
        wer_perturbed, wer_per_seed, nprr, nprr_per_seed, nprr_std}}``.
    """
    if not table:
        raise ValueError("the homophone table is empty for this vocabulary: nothing to perturb")
    clean = score_nbest(nbest, scorer, length_unit)
    result = dict(
        lm_weight=float(lm_weight),
        length_bonus=float(length_bonus),
        p=float(p),
        seeds=list(seeds),
        homophone_words=len(table),
    )
    for mode in modes:
        perturbed = []
        for seed in seeds:
            pert = perturb_nbest(nbest, table, p, seed, mode)
            if write_perturbed:
                write_nbest(Path(write_perturbed) / f"{mode}_seed{seed}", pert)
            perturbed.append(score_nbest(pert, scorer, length_unit))
        res = evaluate(clean, perturbed, refs, lm_weight, length_bonus, mode)
        result[mode] = {k: v for k, v in asdict(res).items() if k != "mode"}
        logging.info(
            f"NPRR[{mode}] = {res.nprr:.4f} (WER {res.wer_clean:.4f} -> {res.wer_perturbed:.4f})"
        )
    return result


def nprr_sets(
    scorer: LMScorer,
    nbest_root: Path | str,
    ref_root: Path | str,
    test_sets: Sequence[str],
    out_dir: Path | str,
    table: HomophoneTable,
    p: float,
    seeds: Sequence[int],
    modes: Sequence[str],
    nbest: Optional[int] = None,
    common_lm_weight: Optional[float] = None,
    dev_set: Optional[str] = None,
    length_bonuses: Sequence[float] = (),
) -> Dict[str, dict]:
    """NPRR on every test set with the weights (and length unit) in
    ``<out_dir>/rescore_weights.yaml``, tuned on clean dev by ``rescore_sets``;
    writes ``<out_dir>/<set>/nprr.yaml``.

    With ``common_lm_weight``, also at that LM weight for every system (its length
    bonus re-tuned on clean ``dev_set`` over ``length_bonuses`` at that weight), under
    the key ``common``: a system whose tuned weight is 0 is otherwise scored without
    its LM, and its NPRR counts only the perturbed words the decoder scores see.
    """
    out_dir = Path(out_dir)
    weights = out_dir / WEIGHTS
    if not weights.is_file():
        raise FileNotFoundError(f"{weights} does not exist: run the rescoring first")
    if common_lm_weight is not None and (dev_set is None or not length_bonuses):
        raise ValueError("common_lm_weight needs dev_set and length_bonuses (to tune beta)")
    lw, lb = load_weights(weights)
    length_unit = load_yaml_mapping(weights).get("length_unit", "word")
    if (out_dir / LM_CACHE).is_file():  # the clean lists were scored by rescore_sets
        n = scorer.load_cache(out_dir / LM_CACHE)
        logging.info(f"{out_dir.name}: reusing {n} LM scores from {out_dir / LM_CACHE}")
    common_lb = None
    if common_lm_weight is not None:
        nb, refs = _set_data(Path(nbest_root), Path(ref_root), dev_set, nbest)
        grid = grid_search(score_nbest(nb, scorer, length_unit), refs, [common_lm_weight],
                           length_bonuses)  # fmt: skip
        common_lb = grid.length_bonus
        logging.info(
            f"{out_dir.name}: common lm_weight={common_lm_weight}: length_bonus={common_lb} "
            f"tuned on {dev_set} (WER {grid.wer:.4f})"
        )
    results = {}
    for dset in test_sets:
        nb, refs = _set_data(Path(nbest_root), Path(ref_root), dset, nbest)
        res = nprr_report(scorer, nb, refs, table, lw, lb, p, seeds, modes, length_unit)
        if common_lm_weight is not None:
            res["common"] = nprr_report(
                scorer, nb, refs, table, common_lm_weight, common_lb, p, seeds, modes, length_unit
            )
            res["common"]["tuned_on"] = dev_set
        (out_dir / dset).mkdir(parents=True, exist_ok=True)
        (out_dir / dset / NPRR).write_text(yaml.safe_dump(res, sort_keys=False), encoding="utf-8")
        results[dset] = res
    return results
