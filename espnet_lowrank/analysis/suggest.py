"""Turn measured effective ranks into a rank map in the project's YAML schema.

For each model part and each (specific) group, the measured ratios ``m_b`` (one
effective-rank measure divided by ``min(in, out)``, per block ``b``) are fitted
by a least-squares line over relative depth ``t = b / (N - 1)``. The fit is
*good* when ``R² ≥ r2_min`` (default 0.8) or its RMS residual is at most
``rms_tol`` (default 0.02 in ratio units: a flat profile has a low R² yet is
described well by a line). A good fit is written as the schema's linear schedule
``{start, end}``, otherwise the group gets an explicit per-block list; global
groups (``subsampling``, ``output_layer``, ``embed_proj``) get a scalar.

All values are ``c · profile`` for one global scale factor ``c``, clipped to
``[1e-4, 1]`` and rounded to 4 decimals (what is written is what is counted):

- without a budget, ``c = 1`` (the measured ratios as they are);
- with ``param_ratio`` (low-rank parameters / dense parameters of the
  factorizable layers, weights and biases), ``c`` is found by bisection: the
  largest parameter count not above the budget. Ranks are integers (multiples of
  ``round_to``), so the count moves in steps; the step at the solution is reported
  as ``step`` and the achieved ratio is within it of the budget.

A layer whose rank would save nothing (``r (in + out) ≥ in · out``) is kept dense
with an exact ``layers:`` entry, and counted as dense.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

import yaml

from espnet_lowrank.analysis.collect import AnalysisError, ModelAnalysis, PartAnalysis
from espnet_lowrank.analysis.measures import check_measure, describe
from espnet_lowrank.rank_map import DENSE, RankPlan, load_rank_map

MIN_RATIO = 1e-4
DECIMALS = 4


@dataclass
class GroupFit:
    """The depth profile of one group's measured ratios and the line fitted to it.

    Attributes:
        part, group: where it is.
        measured: ratio per block (block groups), or one value (global groups).
        block_group: per-block group (``False``: a global layer).
        start, end: the fitted line at the first and last block.
        r2, rms: coefficient of determination and RMS residual of the fit.
        linear: written as ``{start, end}`` (good fit, at least two blocks).
    """

    part: str
    group: str
    measured: List[float]
    block_group: bool
    start: float
    end: float
    r2: float
    rms: float
    linear: bool

    def describe(self) -> str:
        if not self.block_group:
            return f"{self.part}.{self.group}: global, {self.measured[0]:.4f}"
        if len(self.measured) == 1:
            return f"{self.part}.{self.group}: one block, {self.measured[0]:.4f}"
        how = "linear" if self.linear else "per-block list"
        return (
            f"{self.part}.{self.group}: {how}, fit {self.start:.4f} -> {self.end:.4f}, "
            f"R^2 {self.r2:.3f}, RMS residual {self.rms:.4f}"
        )


def fit_depth(values: Sequence[float]) -> Tuple[float, float, float, float]:
    """Least-squares line through ``values`` over ``t = b / (N - 1)``.

    Returns:
        ``(start, end, r2, rms)``: the line at ``t = 0`` and ``t = 1``, ``R²``
        (1 when the values are constant, as the line is then exact) and the RMS residual.
    """
    n = len(values)
    if n == 0:
        raise ValueError("cannot fit an empty profile")
    if n == 1:
        return float(values[0]), float(values[0]), 1.0, 0.0
    t = [b / (n - 1) for b in range(n)]
    mt, mv = sum(t) / n, sum(values) / n
    slope = sum((a - mt) * (v - mv) for a, v in zip(t, values)) / sum((a - mt) ** 2 for a in t)
    intercept = mv - slope * mt
    ss_res = sum((v - (intercept + slope * a)) ** 2 for a, v in zip(t, values))
    ss_tot = sum((v - mv) ** 2 for v in values)
    r2 = 1.0 - ss_res / ss_tot if ss_tot > 1e-18 else 1.0
    return intercept, intercept + slope, r2, math.sqrt(ss_res / n)


def group_profile(pa: PartAnalysis, group: str, measure: str) -> Tuple[List[float], bool]:
    """Measured ratios of ``group`` per block (checked to cover every block), and whether
    it is a block group."""
    layers = pa.group_layers(group)
    if not pa.is_block_group(group):
        return [layers[0].ratio(measure)], False
    blocks = [la.slot.block for la in layers]
    if blocks != list(range(pa.num_blocks)):
        raise AnalysisError(
            f"{pa.part}.{group}: layers found in blocks {blocks}, expected one per block "
            f"0..{pa.num_blocks - 1}; cannot write a per-block schedule"
        )
    return [la.ratio(measure) for la in layers], True


def fit_groups(
    analysis: ModelAnalysis, measure: str, r2_min: float = 0.8, rms_tol: float = 0.02
) -> List[GroupFit]:
    """A :class:`GroupFit` for every group of every part."""
    fits = []
    for part, pa in analysis.parts.items():
        for group in pa.groups():
            values, block_group = group_profile(pa, group, measure)
            start, end, r2, rms = fit_depth(values)
            linear = block_group and len(values) > 1 and (r2 >= r2_min or rms <= rms_tol)
            fits.append(GroupFit(part, group, values, block_group, start, end, r2, rms, linear))
    return fits


class _FlowDumper(yaml.SafeDumper):
    """Writes schedules (``{start, end}``, per-block lists) on one line."""


class _FlowMap(dict):
    pass


class _FlowList(list):
    pass


_FlowDumper.add_representer(
    _FlowMap, lambda d, v: d.represent_mapping("tag:yaml.org,2002:map", v, flow_style=True)
)
_FlowDumper.add_representer(
    _FlowList, lambda d, v: d.represent_sequence("tag:yaml.org,2002:seq", v, flow_style=True)
)


def _flow(value: Any) -> Any:
    if isinstance(value, dict):
        return _FlowMap(value)
    if isinstance(value, list):
        return _FlowList(value)
    return value


def _ratio(x: float) -> float:
    return min(1.0, max(MIN_RATIO, round(x, DECIMALS)))


@dataclass
class Suggestion:
    """A suggested rank map and how it was made.

    Attributes:
        measure: the effective-rank measure whose ratios shape the map.
        target: the ``param_ratio`` budget, ``None`` for none.
        scale: the global factor ``c`` on the measured ratios.
        maps: part -> rank-map mapping (as written to YAML).
        ranks: part -> layer -> resolved rank (``None`` = dense).
        params: part -> ``(dense, low-rank)`` parameters of the factorizable layers.
        step: the jump of the achieved ratio at ``scale`` (budget search only).
        fits: the depth fits per group.
    """

    measure: str
    target: Optional[float]
    scale: float
    round_to: int
    maps: Dict[str, Dict[str, Any]]
    ranks: Dict[str, Dict[str, Optional[int]]]
    params: Dict[str, Tuple[int, int]]
    step: float
    fits: List[GroupFit] = field(default_factory=list)

    @property
    def params_dense(self) -> int:
        return sum(d for d, _ in self.params.values())

    @property
    def params_lowrank(self) -> int:
        return sum(r for _, r in self.params.values())

    @property
    def achieved(self) -> float:
        """Low-rank / dense parameters of the factorizable layers of all parts."""
        return self.params_lowrank / self.params_dense

    def header(self) -> List[str]:
        """Comment lines saying how the map was made and what it achieves."""
        lines = [
            f"measure: {self.measure} ({describe(self.measure)}), as ratios of min(in, out)",
        ]
        if self.target is None:
            lines.append(f"no parameter budget: measured ratios used as they are (scale {1:g})")
        else:
            lines.append(
                f"parameter budget (--param_ratio): {self.target:g}; measured ratios scaled by "
                f"{self.scale:.6g} (bisection; ranks are integers, the next rank step "
                f"adds {self.step:.4f})"
            )
        lines.append(
            f"achieved: factorizable layers {self.params_dense:,} dense -> "
            f"{self.params_lowrank:,} params, ratio {self.achieved:.4f}"
        )
        for part, (d, r) in self.params.items():
            lines.append(f"  {part}: {d:,} -> {r:,} ({r / d:.4f})")
        lines.append(
            "per group: linear schedule {start, end} where the depth fit is good, "
            "else one value per block"
        )
        lines.extend("  " + f.describe() for f in self.fits)
        return lines

    def to_yaml(self, header: Iterable[str] = ()) -> str:
        """The rank-map YAML (``encoder:``/``decoder:``/``lm:`` sections) with a comment header."""
        body: Dict[str, Any] = {}
        for part, spec in self.maps.items():
            out = dict(spec)
            out["groups"] = {g: _flow(v) for g, v in spec["groups"].items()}
            body[part] = out
        text = yaml.dump(body, Dumper=_FlowDumper, sort_keys=False, width=1000)
        comments = [*header, *self.header()]
        return "".join(f"# {c}".rstrip() + "\n" for c in comments) + text

    def write(self, path: Path | str, header: Iterable[str] = ()) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.to_yaml(header), encoding="utf-8")
        return path


def _dense_group_set(analysis: ModelAnalysis, names: Sequence[str]) -> Dict[str, set]:
    """``part -> {specific groups}`` kept dense; names are groups or aliases, optionally
    prefixed ``part.``; a name that matches no group of the model is an error."""
    out: Dict[str, set] = {p: set() for p in analysis.parts}
    for name in names:
        part_name, _, group_name = name.rpartition(".")
        hit = False
        for part, pa in analysis.parts.items():
            if part_name and part_name != part:
                continue
            targets = pa.schema.aliases.get(group_name, (group_name,))
            present = set(targets) & set(pa.groups())
            out[part] |= present
            hit = hit or bool(present)
        if not hit:
            known = sorted({f"{p}.{g}" for p, pa in analysis.parts.items() for g in pa.groups()})
            raise AnalysisError(f"--dense_groups: {name!r} matches no group; groups: {known}")
    return out


def _maps_at(
    analysis: ModelAnalysis,
    fits: Sequence[GroupFit],
    dense: Dict[str, set],
    c: float,
    round_to: int,
    init: str,
) -> Tuple[Dict[str, Dict[str, Any]], Dict[str, Dict[str, Optional[int]]]]:
    maps: Dict[str, Dict[str, Any]] = {}
    ranks: Dict[str, Dict[str, Optional[int]]] = {}
    for part, pa in analysis.parts.items():
        groups: Dict[str, Any] = {}
        for f in fits:
            if f.part != part:
                continue
            if f.group in dense[part]:
                groups[f.group] = DENSE
            elif not f.block_group or len(f.measured) == 1:
                groups[f.group] = _ratio(c * f.measured[0])
            elif f.linear:
                groups[f.group] = {"start": _ratio(c * f.start), "end": _ratio(c * f.end)}
            else:
                groups[f.group] = [_ratio(c * v) for v in f.measured]
        spec: Dict[str, Any] = {
            "init": init,
            "round_to": round_to,
            "default": DENSE,
            "groups": groups,
        }
        loaded = load_rank_map(spec, part, "suggested")
        plan = RankPlan.resolve(loaded, pa.slots, pa.schema, pa.num_blocks)
        res = dict(plan.ranks)
        no_saving = {name: DENSE for name in plan.no_saving()}
        if no_saving:
            spec["layers"] = no_saving
            for name in no_saving:
                res[name] = None
        maps[part], ranks[part] = spec, res
    return maps, ranks


def _params(
    analysis: ModelAnalysis, ranks: Dict[str, Dict[str, Optional[int]]]
) -> Dict[str, Tuple[int, int]]:
    return {
        part: (
            sum(s.params(None) for s in pa.slots),
            sum(s.params(ranks[part][s.name]) for s in pa.slots),
        )
        for part, pa in analysis.parts.items()
    }


def _ratio_of(params: Dict[str, Tuple[int, int]]) -> float:
    return sum(r for _, r in params.values()) / sum(d for d, _ in params.values())


def suggest_rank_map(
    analysis: ModelAnalysis,
    measure: str,
    param_ratio: Optional[float] = None,
    round_to: int = 1,
    r2_min: float = 0.8,
    rms_tol: float = 0.02,
    dense_groups: Sequence[str] = (),
    init: str = "svd",
) -> Suggestion:
    """Suggest a rank map per part from ``analysis`` (see the module docstring).

    Args:
        analysis: measurements of a trained model (must include ``measure``).
        measure: ``stable``, ``entropy`` or ``energy<P>``.
        param_ratio: budget in ``(0, 1]``, or ``None`` to use the measured ratios.
        round_to: ratio-derived ranks are multiples of this (the map's ``round_to``).
        r2_min, rms_tol: when a depth fit counts as good.
        dense_groups: groups (or aliases, optionally ``part.group``) kept dense.
        init: the map's ``init`` (``svd``, ``spectral`` or ``random``).
    """
    check_measure(measure)
    if measure not in analysis.measures:
        raise AnalysisError(f"measure {measure!r} was not measured (measured: {analysis.measures})")
    if param_ratio is not None and not (0.0 < param_ratio <= 1.0):
        raise AnalysisError(f"--param_ratio must be in (0, 1], got {param_ratio:g}")
    if isinstance(round_to, bool) or not isinstance(round_to, int) or round_to < 1:
        raise AnalysisError(f"--round_to must be an int >= 1, got {round_to!r}")
    fits = fit_groups(analysis, measure, r2_min, rms_tol)
    dense = _dense_group_set(analysis, dense_groups)

    def at(c: float):
        maps, ranks = _maps_at(analysis, fits, dense, c, round_to, init)
        params = _params(analysis, ranks)
        return maps, ranks, params, _ratio_of(params)

    if param_ratio is None:
        maps, ranks, params, _ = at(1.0)
        return Suggestion(measure, None, 1.0, round_to, maps, ranks, params, 0.0, fits)

    scaled = []
    for f in fits:
        if f.group in dense[f.part]:
            continue
        if f.linear:
            scaled += [f.start, f.end]
        else:
            scaled += f.measured
    positive = [v for v in scaled if v > 0]
    c_hi = 1.0 / min(positive) if positive else 1.0
    lowest = at(0.0)
    if param_ratio < lowest[3]:
        raise AnalysisError(
            f"--param_ratio {param_ratio:g} is below the smallest ratio this model reaches, "
            f"{lowest[3]:.4f} (every factorized layer at rank {round_to}"
            f"{', dense groups dense' if dense_groups else ''})"
        )
    highest = at(c_hi)
    if highest[3] <= param_ratio:
        maps, ranks, params, _ = highest
        return Suggestion(measure, param_ratio, c_hi, round_to, maps, ranks, params, 0.0, fits)
    lo, hi = 0.0, c_hi  # invariant: ratio(lo) <= budget < ratio(hi)
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if mid <= lo or mid >= hi:
            break
        if at(mid)[3] <= param_ratio:
            lo = mid
        else:
            hi = mid
    maps, ranks, params, ratio = at(lo)
    step = at(hi)[3] - ratio
    return Suggestion(measure, param_ratio, lo, round_to, maps, ranks, params, step, fits)
