"""What every low-rank ESPnet class shares: build from a rank map, report, load safely.

A registered class (``LowRankConformerEncoder``, ...) subclasses the ESPnet class
it replaces, lets ESPnet build the dense modules, then calls
:meth:`LowRankPartMixin._apply_rank_map`, which finds the factorizable layers,
resolves the rank map, swaps the linears and logs the per-layer table.

ESPnet's ``Speech2Text`` and ``build_model_from_file`` load weights with
``strict=False`` and drop the result, so a checkpoint whose layers do not match
(dense weights for a factorized layer or the reverse) would leave random weights
behind without a word. A load-state-dict pre-hook checks every factorizable layer
(its weight or factors and its bias, missing or unexpected) and turns a mismatch
into an error that says what to do.
"""

from __future__ import annotations

import inspect
import logging
from typing import Any, Callable, ClassVar, Dict, List, Mapping, Optional

from torch import nn

from espnet_lowrank.factorize import factorize
from espnet_lowrank.rank_map import (
    RankMapLike,
    RankPlan,
    RankSchema,
    find_slots,
    load_rank_map,
)

logger = logging.getLogger(__name__)


def signature_with(parent_init: Callable, **extra: Any) -> inspect.Signature:
    """``parent_init``'s signature plus keyword parameters ``extra`` (name=default).

    The low-rank classes accept exactly their ESPnet parent's arguments (which
    differ between ESPnet releases) plus ``rank_map``; publishing the combined
    signature keeps ``--print_config`` and ``get_default_kwargs`` complete.
    """
    sig = inspect.signature(parent_init)
    params = [p for p in sig.parameters.values() if p.kind != p.VAR_KEYWORD]
    for name, default in extra.items():
        params.append(inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default))
    return sig.replace(parameters=params)


class LowRankPartMixin:
    """Mixin for an ``nn.Module`` ESPnet part whose linears follow a rank map."""

    RANK_SCHEMA: ClassVar[RankSchema]

    #: the resolved rank map this module was factorized by
    rank_plan: RankPlan

    def _apply_rank_map(
        self, rank_map: RankMapLike, num_blocks: int, where: Optional[str] = None
    ) -> None:
        """Resolve ``rank_map`` for this module, factorize it and log the table.

        ``where`` names the option in errors (default ``<part>_conf.rank_map``).
        """
        assert isinstance(self, nn.Module)
        part = self.RANK_SCHEMA.part
        title = where or part
        where = where or f"{part}_conf.rank_map"
        schema = self.RANK_SCHEMA
        spec = load_rank_map(rank_map, part, where=where)
        plan = RankPlan.resolve(spec, find_slots(self, schema), schema, num_blocks)
        factorize(self, plan)
        self.rank_plan = plan
        total = sum(p.numel() for p in self.parameters())
        logger.info("%s", plan.table(f"{title} ({type(self).__name__})", total))
        no_saving = plan.no_saving()
        if no_saving:
            logger.warning(
                "%s: %d factorized layer(s) save no parameters at their rank: %s",
                where,
                len(no_saving),
                ", ".join(no_saving),
            )
        self.register_load_state_dict_pre_hook(_check_factorized_keys)

    def rank_map_config(self) -> Dict[str, Any]:
        """The rank map to save in a config: the spec plus ``resolved`` per layer."""
        return self.rank_plan.to_config()

    def rank_table(self) -> str:
        total = sum(p.numel() for p in self.parameters())  # type: ignore[attr-defined]
        return self.rank_plan.table(self.RANK_SCHEMA.part, total)


def _check_factorized_keys(
    module: LowRankPartMixin,
    state_dict: Mapping[str, Any],
    prefix: str,
    local_metadata: Any,
    strict: bool,
    missing_keys: List[str],
    unexpected_keys: List[str],
    error_msgs: List[str],
) -> None:
    """Every factorizable layer must find exactly its own keys (weights, factors and
    bias) in the checkpoint: none missing, none unexpected, whatever ``strict`` is."""
    problems = []
    plan = module.rank_plan
    for slot in plan.slots:
        name = prefix + slot.name
        expected = {
            k[len(name) + 1 :]
            for k in module.get_submodule(slot.name).state_dict(prefix=name + ".", keep_vars=True)
        }
        present = {k[len(name) + 1 :] for k in state_dict if k.startswith(name + ".")}
        if present == expected:
            continue
        lowrank = plan.ranks[slot.name] is not None
        dense_ckpt = "weight" in present and not {"U", "V"} & present
        factor_ckpt = bool({"U", "V"} & present) and "weight" not in present
        if lowrank and dense_ckpt:
            problems.append(f"{name}: checkpoint is dense, model layer is low-rank")
        elif not lowrank and factor_ckpt:
            problems.append(f"{name}: checkpoint is low-rank, model layer is dense")
        elif not present:
            problems.append(f"{name}: not in the checkpoint")
        else:
            missing, unexpected = sorted(expected - present), sorted(present - expected)
            what = [f"missing {missing}"] if missing else []
            what += [f"unexpected {unexpected}"] if unexpected else []
            problems.append(f"{name}: {', '.join(what)}")
    if problems:
        shown = "; ".join(problems[:5]) + (
            f"; ... {len(problems) - 5} more" if len(problems) > 5 else ""
        )
        error_msgs.append(
            f"the checkpoint does not match the {module.RANK_SCHEMA.part}'s rank map "
            f"({len(problems)} layer(s)): {shown}. Load it with the config it was trained "
            "with, or convert it: python -m espnet_lowrank.bin.convert "
            "{to_lowrank,to_dense} --help"
        )
