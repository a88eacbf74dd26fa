"""Per-layer effective-rank table (aligned text) and JSON of a :class:`ModelAnalysis`.

The depth section answers "do effective ranks grow with depth?" per group: the
least-squares line of the ratio over relative depth (first block -> last block),
its ``R²``, and a verdict (``grows``/``shrinks`` when the line changes by more
than ``TREND_TOL`` in ratio units, else ``flat``).
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence

from espnet_lowrank.analysis.collect import ModelAnalysis
from espnet_lowrank.analysis.measures import describe
from espnet_lowrank.analysis.suggest import fit_depth, group_profile

TREND_TOL = 0.02


def _value(measure: str, v: float) -> str:
    return f"{int(v)}" if measure.startswith("energy") else f"{v:.2f}"


def _align(rows: Sequence[Sequence[str]], indent: str = "  ") -> List[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return [indent + "  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]


def depth_trends(analysis: ModelAnalysis) -> Dict[str, Dict[str, Dict[str, Dict[str, Any]]]]:
    """part -> block group -> measure -> ``{start, end, r2, rms, trend, ratios}``."""
    out: Dict[str, Dict[str, Dict[str, Dict[str, Any]]]] = {}
    for part, pa in analysis.parts.items():
        for group in pa.groups():
            if not pa.is_block_group(group) or pa.num_blocks < 2:
                continue
            for m in analysis.measures:
                values, _ = group_profile(pa, group, m)
                start, end, r2, rms = fit_depth(values)
                delta = end - start
                trend = (
                    "grows" if delta > TREND_TOL else "shrinks" if delta < -TREND_TOL else "flat"
                )
                out.setdefault(part, {}).setdefault(group, {})[m] = {
                    "start": start,
                    "end": end,
                    "r2": r2,
                    "rms": rms,
                    "trend": trend,
                    "ratios": values,
                }
    return out


def format_report(analysis: ModelAnalysis, title: str = "") -> str:
    """The per-layer table, then the depth trends per measure."""
    ms = analysis.measures
    lines = [title] if title else []
    lines.append("Effective rank of each factorizable layer: value (ratio of min(in, out))")
    lines.extend(f"  {m}: {describe(m)}" for m in ms)
    for part, pa in analysis.parts.items():
        lines.append("")
        lines.append(f"{part} ({pa.num_blocks} blocks):")
        rows = [["layer", "group", "shape", "rank", *ms]]
        for la in pa.layers:
            s = la.slot
            rows.append(
                [
                    s.name,
                    s.group,
                    f"{s.out_features}x{s.in_features}",
                    "dense" if la.rank is None else str(la.rank),
                    *(f"{_value(m, la.values[m])} ({la.ratio(m):.3f})" for m in ms),
                ]
            )
        lines.extend(_align(rows))
    trends = depth_trends(analysis)
    if trends:
        lines.append("")
        lines.append(
            "Depth trend per group: least-squares line of the ratio from the first to the "
            f"last block (R^2); grows/shrinks if it changes by more than {TREND_TOL}"
        )
        for m in ms:
            lines.append(f"{m}:")
            rows = [["group", "first -> last", "R^2", "trend"]]
            counts: Dict[str, int] = {"grows": 0, "shrinks": 0, "flat": 0}
            for part, groups in trends.items():
                for group, per in groups.items():
                    t = per[m]
                    counts[t["trend"]] += 1
                    rows.append(
                        [
                            f"{part}.{group}",
                            f"{t['start']:.3f} -> {t['end']:.3f}",
                            f"{t['r2']:.2f}",
                            t["trend"],
                        ]
                    )
            lines.extend(_align(rows))
            lines.append(
                f"  {counts['grows']} group(s) grow with depth, {counts['shrinks']} shrink, "
                f"{counts['flat']} flat"
            )
    return "\n".join(lines) + "\n"


def _sig(v: float) -> float:
    return float(f"{v:.6g}")


def to_json(
    analysis: ModelAnalysis, model: Optional[str] = None, config: Optional[str] = None
) -> Dict[str, Any]:
    """Everything measured, per layer (with singular values), plus the depth trends."""
    layers = []
    for part, la in analysis.layers():
        s = la.slot
        layers.append(
            {
                "part": part,
                "name": s.name,
                "group": s.group,
                "block": s.block,
                "kind": s.kind,
                "in_features": s.in_features,
                "out_features": s.out_features,
                "max_rank": s.max_rank,
                "rank": "dense" if la.rank is None else la.rank,
                "values": la.values,
                "ratios": {m: la.ratio(m) for m in analysis.measures},
                "singular_values": [_sig(v) for v in la.singular_values],
            }
        )
    return {
        "task": analysis.task,
        "model": model,
        "config": config,
        "measures": analysis.measures,
        "definitions": {m: describe(m) for m in analysis.measures},
        "num_blocks": {p: pa.num_blocks for p, pa in analysis.parts.items()},
        "layers": layers,
        "depth_trends": depth_trends(analysis),
    }
