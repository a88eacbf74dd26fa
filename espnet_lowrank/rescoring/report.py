"""The rescoring results table (``<asr_exp>/rescoring_results.md``) of the recipe stages.

Read (as written by ``rescoring.pipeline`` and the LoRA trainer)::

    <nbest_root>/<set>/{n}best_recog/              decoder N-best (no rescoring row)
    <ref_root>/<set>/text                          references
    <rescore_root>/<system>/rescore_weights.yaml   lambda, beta tuned on dev
    <rescore_root>/<system>/<set>/rescore_result.yaml
    <rescore_root>/<system>/<test set>/nprr.yaml
    <lora exp>/lora_ranks.yaml                     final ranks and parameter counts

Rows: ``no rescoring`` (the decoder's 1-best), the unadapted base LM, one row
per LoRA strategy and, when it was trained, the full fine-tuning of the base LM
(every weight trainable), for dev and each test set. Relative WER reduction is
``(WER_ref - WER) / WER_ref`` in percent (positive: fewer errors than the
reference row). A missing input file is an error naming it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Mapping, Optional, Sequence

from espnet_lowrank.kaldi_dir import read_table
from espnet_lowrank.rescoring.homophones import MODES
from espnet_lowrank.rescoring.nbest import read_nbest
from espnet_lowrank.rescoring.pipeline import NPRR, RESULT, WEIGHTS
from espnet_lowrank.rescoring.wer import corpus_wer, oracle_wer
from espnet_lowrank.strict_yaml import load_yaml_mapping

NONE = "no rescoring"
NA = "n/a"


@dataclass
class SystemResult:
    """One row group: a rescoring system's numbers per data set (WERs as fractions)."""

    name: str
    wer: Dict[str, float]
    adapter_params: Optional[int] = None
    budget: Optional[int] = None
    base_params: Optional[int] = None
    lm_weight: Optional[float] = None
    length_bonus: Optional[float] = None
    #: ``{set: {mode: (mean, std or None)}}`` at the tuned weights
    nprr: Dict[str, Dict[str, tuple]] = field(default_factory=dict)
    #: the same at the common LM weight (``nprr --common_lm_weight``), if it was run
    nprr_common: Dict[str, Dict[str, tuple]] = field(default_factory=dict)
    #: ``{set: (lm_weight, clean WER)}`` at the common LM weight
    wer_common: Dict[str, tuple] = field(default_factory=dict)


def _load_yaml(path: Path) -> dict:
    if not path.is_file():
        raise FileNotFoundError(f"{path} does not exist (did its stage run?)")
    return load_yaml_mapping(path)


def _get(data: Mapping, keys: Sequence[str], path: Path):
    cur = data
    for k in keys:
        if not isinstance(cur, Mapping) or k not in cur:
            raise KeyError(f"{path}: missing key {'.'.join(keys)}")
        cur = cur[k]
    return cur


def no_rescoring(
    nbest_root: Path, ref_root: Path, sets: Sequence[str], nbest: Optional[int]
) -> tuple[SystemResult, Dict[str, float]]:
    """The decoder's 1-best WER per set, and the N-best oracle WER per set."""
    wer, oracle = {}, {}
    for dset in sets:
        nb = read_nbest([nbest_root / dset], nbest)
        refs = read_table(ref_root / dset / "text")
        wer[dset] = corpus_wer(refs, {u: h[0].text for u, h in nb.items()}, "1-best")
        oracle[dset] = oracle_wer(nb, refs)
    return SystemResult(NONE, wer), oracle


def lm_system(
    name: str,
    system_dir: Path,
    sets: Sequence[str],
    test_sets: Sequence[str],
    lora_exp: Optional[Path] = None,
) -> SystemResult:
    """A rescoring system's WERs, weights, NPRR and (for LoRA) adapter size."""
    weights = _load_yaml(system_dir / WEIGHTS)
    res = SystemResult(
        name,
        wer={},
        lm_weight=float(_get(weights, ["lm_weight"], system_dir / WEIGHTS)),
        length_bonus=float(_get(weights, ["length_bonus"], system_dir / WEIGHTS)),
    )
    for dset in sets:
        path = system_dir / dset / RESULT
        res.wer[dset] = float(_get(_load_yaml(path), ["wer_rescored"], path))
    for dset in test_sets:
        path = system_dir / dset / NPRR
        data = _load_yaml(path)
        res.nprr[dset] = _nprr_modes(data, path)
        if "common" in data:
            res.nprr_common[dset] = _nprr_modes(data["common"], path)
            res.wer_common[dset] = (
                float(_get(data, ["common", "lm_weight"], path)),
                float(_get(data, ["common", MODES[0], "wer_clean"], path)),
            )
    if lora_exp is not None:
        path = lora_exp / "lora_ranks.yaml"
        ranks = _load_yaml(path)
        res.adapter_params = int(_get(ranks, ["params", "effective"], path))
        res.budget = int(_get(ranks, ["vanilla_budget"], path))
        res.base_params = int(_get(ranks, ["params", "base"], path))
    return res


def _nprr_modes(data: Mapping, path: Path) -> Dict[str, tuple]:
    """``{mode: (NPRR, its std over seeds or None)}`` of one ``nprr.yaml`` block."""
    out = {}
    for m in MODES:
        std = data.get(m, {}).get("nprr_std") if isinstance(data.get(m), Mapping) else None
        out[m] = (float(_get(data, [m, "nprr"], path)), None if std is None else float(std))
    return out


def _fmt_nprr(value: Optional[tuple]) -> str:
    if value is None:
        return NA
    mean, std = value
    return f"{mean:.3f}" if std is None else f"{mean:.3f} ± {std:.3f}"


def _pct(x: Optional[float], digits: int = 2) -> str:
    return NA if x is None else f"{100.0 * x:.{digits}f}"


def relative_reduction(wer_ref: float, wer: float) -> Optional[float]:
    """``(wer_ref - wer) / wer_ref`` (``None`` when ``wer_ref`` is 0)."""
    return None if wer_ref == 0 else (wer_ref - wer) / wer_ref


def render(
    rows: Sequence[SystemResult],
    oracle: Mapping[str, float],
    dev_set: str,
    test_sets: Sequence[str],
    nbest: int,
    base_name: str,
) -> str:
    """The Markdown section (starts with a ``### `` heading).

    Args:
        rows: ``no rescoring`` first, then the base LM (``base_name``), then strategies.
        oracle: N-best oracle WER per set.
    """
    by_name = {r.name: r for r in rows}
    if NONE not in by_name or base_name not in by_name:
        raise ValueError(f"rows must include {NONE!r} and {base_name!r}")
    none, base = by_name[NONE], by_name[base_name]
    sets = [dev_set] + [t for t in test_sets if t != dev_set]
    budgets = {r.budget for r in rows if r.budget is not None}
    base_params = next((r.base_params for r in rows if r.base_params), None)
    lines = [f"### LoRA LM rescoring ({nbest}-best)", ""]
    lines.append(
        f"- {nbest}-best lists decoded without LM; score = ASR + λ·LM log-prob + β·words, "
        f"λ and β tuned on {dev_set} per system and applied unchanged to "
        f"{', '.join(t for t in test_sets if t != dev_set)}."
    )
    base_desc = f" ({base_params:,} parameters, frozen during adaptation)" if base_params else ""
    lines.append(
        f"- `{base_name}`: the unadapted general-domain LM{base_desc}; every strategy "
        "trains a LoRA adapter on it with the in-domain text."
    )
    if budgets:
        budget_txt = ", ".join(f"{b:,}" for b in sorted(budgets))
        lines.append(
            "- Trainable params: final adapter size (AdaLoRA: kept singular triplets), "
            f"in brackets relative to the vanilla budget of {budget_txt}."
        )
    lines.append(
        "- N-best oracle WER: "
        + ", ".join(f"{d} {_pct(oracle[d])}" for d in sets if d in oracle)
        + " (%)."
    )
    lines.append(
        "- NPRR: relative WER increase when homophones replace words of the 1-best / of "
        "every hypothesis (see docs/rescoring.md), mean ± standard deviation over the "
        "perturbation seeds; lower is more robust."
    )
    common = sorted({w for r in rows for w, _ in r.wer_common.values()})
    if common:
        lines.append(
            f"- @λ={'/'.join(f'{w:g}' for w in common)}: every LM at that one weight (β re-tuned "
            f"on {dev_set}), so a system whose tuned λ is 0 is still scored with its LM."
        )
    head = [
        "dataset",
        "system",
        "trainable params",
        "λ",
        "β",
        "WER %",
        "rel. vs no rescoring %",
        "rel. vs base LM %",
        "NPRR 1-best",
        "NPRR N-best",
    ]
    if common:
        head += ["WER % @λ", "NPRR 1-best @λ", "NPRR N-best @λ"]
    lines += ["", "|" + "|".join(head) + "|", "|" + "|".join(["---"] * len(head)) + "|"]
    for dset in sets:
        for r in rows:
            if dset not in r.wer:
                raise ValueError(f"system {r.name!r} has no WER for {dset!r}")
            if r.adapter_params is not None:
                ratio = f" ({r.adapter_params / r.budget:.2f}×)" if r.budget else ""
                params = f"{r.adapter_params:,}{ratio}"
            else:
                params = "0" if r.name == base_name else NA
            vs_none = relative_reduction(none.wer[dset], r.wer[dset])
            vs_base = relative_reduction(base.wer[dset], r.wer[dset])
            nprr = r.nprr.get(dset, {})
            cells = [
                dset,
                r.name,
                params,
                NA if r.lm_weight is None else f"{r.lm_weight:g}",
                NA if r.length_bonus is None else f"{r.length_bonus:g}",
                _pct(r.wer[dset]),
                NA if r is none else _pct(vs_none, 1),
                NA if r in (none, base) else _pct(vs_base, 1),
                _fmt_nprr(nprr.get("1best")),
                _fmt_nprr(nprr.get("nbest")),
            ]
            if common:
                at = r.nprr_common.get(dset, {})
                wc = r.wer_common.get(dset)
                cells += [
                    NA if wc is None else _pct(wc[1]),
                    _fmt_nprr(at.get("1best")),
                    _fmt_nprr(at.get("nbest")),
                ]
            lines.append("|" + "|".join(cells) + "|")
    return "\n".join(lines) + "\n"


def build_report(
    nbest_root: Path | str,
    ref_root: Path | str,
    rescore_root: Path | str,
    dev_set: str,
    test_sets: Sequence[str],
    base_name: str,
    strategies: Mapping[str, Path | str],
    nbest: int,
    full_finetune: Optional[str] = None,
) -> str:
    """Collect every system's results and render the table.

    Args:
        strategies: ``{strategy: LoRA exp dir}`` (holding ``lora_ranks.yaml``), in
            row order.
        full_finetune: system name of the fully fine-tuned base LM (last row; its
            trainable parameters are the base LM's), or ``None``.
    """
    nbest_root, ref_root, rescore_root = Path(nbest_root), Path(ref_root), Path(rescore_root)
    tests = [t for t in test_sets if t != dev_set]
    sets = [dev_set] + tests
    none, oracle = no_rescoring(nbest_root, ref_root, sets, nbest)
    rows: List[SystemResult] = [none, lm_system(base_name, rescore_root / base_name, sets, tests)]
    for name, exp in strategies.items():
        rows.append(lm_system(name, rescore_root / name, sets, tests, Path(exp)))
    if full_finetune is not None:
        full = lm_system(full_finetune, rescore_root / full_finetune, sets, tests)
        full.base_params = next((r.base_params for r in rows if r.base_params), None)
        if full.base_params is None:
            raise ValueError(
                f"{full_finetune!r}: its trainable parameters are the base LM's, which only a "
                "LoRA strategy's lora_ranks.yaml records: give at least one --strategy"
            )
        full.adapter_params = full.base_params
        full.budget = next((r.budget for r in rows if r.budget), None)
        rows.append(full)
    return render(rows, oracle, dev_set, test_sets, nbest, base_name)
