"""Parameter counts of an ESPnet config, dense vs its rank maps, without training.

The model is built on PyTorch's ``meta`` device with every rank map set to
``dense`` (no memory, no SVD), then each low-rank part's rank map is resolved
against the dense layers and counted with ``r * (in + out)``. This gives, in a
second, the numbers a full build (minutes at LibriSpeech size) would.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Sequence, Tuple

from espnet_lowrank import catalogue
from espnet_lowrank.rank_map import RankPlan, load_rank_map
from espnet_lowrank.tasks.build import model_from_config

# task -> {part: our registered names}
LOWRANK_PARTS = {task: catalogue.lowrank_names(task) for task in catalogue.TASKS}


@dataclass(frozen=True)
class ResolvedPart:
    """A low-rank part of a config: its rank plan and its parameters when dense."""

    plan: RankPlan
    dense_params: int

    @property
    def lowrank_params(self) -> int:
        return self.dense_params - (self.plan.params_dense - self.plan.params_lowrank)


def resolve_config(
    config: Path | str, task: str = "asr", extra_args: Sequence[str] = ()
) -> Tuple[int, Dict[str, ResolvedPart]]:
    """Dense parameter total of a training config, and its resolved low-rank parts.

    ``extra_args`` are further command-line options, e.g. ``["--token_list",
    "tokens.txt"]`` when the config (as in recipes) leaves the token list to the
    driver; the vocabulary size comes from it.
    """
    dense_by_child, parts = _resolve(config, task, extra_args)
    return sum(dense_by_child.values()), parts


def count_children(
    config: Path | str, task: str = "asr", extra_args: Sequence[str] = ()
) -> Dict[str, int]:
    """Parameters of the model ``config`` builds, per top-level child (``encoder``,
    ``decoder``, ``ctc``, ``frontend``...), low-rank parts at their resolved ranks."""
    dense_by_child, parts = _resolve(config, task, extra_args)
    counts = dict(dense_by_child)
    for part, res in parts.items():
        counts[part] = res.lowrank_params
    return counts


def _resolve(
    config: Path | str, task: str, extra_args: Sequence[str]
) -> Tuple[Dict[str, int], Dict[str, ResolvedPart]]:
    """Dense parameter counts per top-level child, and the resolved low-rank parts."""
    if task not in LOWRANK_PARTS:
        raise ValueError(f"task must be one of {sorted(LOWRANK_PARTS)}, got {task!r}")
    specs: Dict[str, Any] = {}

    def all_dense(args: argparse.Namespace) -> None:
        for part, names in LOWRANK_PARTS[task].items():
            if getattr(args, part, None) in names:
                conf = dict(getattr(args, f"{part}_conf") or {})
                specs[part] = conf.get("rank_map", catalogue.DEFAULT_RANK_MAP)
                conf["rank_map"] = "dense"
                setattr(args, f"{part}_conf", conf)
        args.init = None

    model, _ = model_from_config(
        config, task, saved=False, device="meta", extra_args=extra_args, prepare=all_dense
    )
    parts: Dict[str, ResolvedPart] = {}
    for part, spec in specs.items():
        module = getattr(model, part)
        schema = type(module).RANK_SCHEMA
        built = module.rank_plan  # all dense here
        spec = load_rank_map(spec, schema.part, where=f"{part}_conf.rank_map")
        plan = RankPlan.resolve(spec, built.slots, schema, built.num_blocks)
        parts[part] = ResolvedPart(plan, sum(p.numel() for p in module.parameters()))
    dense_by_child = {
        name: sum(p.numel() for p in child.parameters()) for name, child in model.named_children()
    }
    own = sum(p.numel() for p in model.parameters(recurse=False))
    if own:
        dense_by_child[""] = own
    return dense_by_child, parts


def count_config(
    config: Path | str, task: str = "asr", extra_args: Sequence[str] = ()
) -> Dict[str, Any]:
    """``{part: {"dense": n, "lowrank": n}, "total": {...}}`` for a training config."""
    dense_total, parts = resolve_config(config, task, extra_args)
    out: Dict[str, Any] = {}
    lowrank_total = dense_total
    for part, res in parts.items():
        out[part] = {"dense": res.dense_params, "lowrank": res.lowrank_params}
        lowrank_total -= res.dense_params - res.lowrank_params
    out["total"] = {"dense": dense_total, "lowrank": lowrank_total}
    return out


def format_counts(counts: Dict[str, Any]) -> str:
    lines = ["| part | full rank | low rank | ratio |", "|---|---:|---:|---:|"]
    for part, c in counts.items():
        ratio = c["dense"] / max(1, c["lowrank"])
        lines.append(f"| {part} | {c['dense']:,} | {c['lowrank']:,} | {ratio:.2f}x |")
    return "\n".join(lines)


def main(argv=None) -> Dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("config", help="an ESPnet training config (YAML)")
    parser.add_argument("--task", choices=sorted(LOWRANK_PARTS), default="asr")
    parser.add_argument("--token_list", help="token list, if the config does not name one")
    args = parser.parse_args(argv)
    extra = ["--token_list", args.token_list] if args.token_list else []
    counts = count_config(args.config, args.task, extra)
    print(format_counts(counts))
    return counts
