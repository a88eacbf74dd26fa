"""Rank maps for the AVSR modules (front-end projections, fusion MLP).

The core's rank-map files and presets have ``encoder``/``decoder``/``lm``
sections only, so these modules accept a rank map given as a *mapping* (the
``groups``/``layers``/``default`` keys of :mod:`espnet_lowrank.rank_map`, with
their own group names) or ``None`` (dense). A preset name or a file path is an
error that says so. Everything else (resolution, factorization, per-layer table,
the checkpoint-mismatch check at load time, ``rank_map_config`` for saved
configs) is the core's :class:`~espnet_lowrank.mixin.LowRankPartMixin`.
"""

from __future__ import annotations

import logging
from typing import Any, Mapping

from torch import nn

from espnet_lowrank.factorize import factorize
from espnet_lowrank.mixin import LowRankPartMixin, _check_factorized_keys
from espnet_lowrank.rank_map import (
    RankMapError,
    find_slots,
    format_table,
    load_rank_map,
    resolve,
    summarize,
)

logger = logging.getLogger(__name__)


class AVRankMixin(LowRankPartMixin):
    """``LowRankPartMixin`` for modules outside the core's rank-map sections."""

    def _apply_av_rank_map(self, rank_map: Any, where: str) -> None:
        """Resolve ``rank_map`` (mapping or ``None``) and factorize this module.

        Args:
            rank_map: ``None`` (dense) or a rank-map mapping for this module's schema.
            where: how errors name the option, e.g. ``model_conf.fusion_conf.rank_map``.
        """
        assert isinstance(self, nn.Module)
        if rank_map is not None and not isinstance(rank_map, Mapping):
            raise RankMapError(
                f"{where}: expected a mapping such as {{groups: {{...}}}} or null, got "
                f"{rank_map!r} (presets and rank-map files have no "
                f"{self.RANK_SCHEMA.part!r} section)"
            )
        # The section argument only matters for files, which are refused above.
        spec = load_rank_map(rank_map, "encoder", where=where)
        slots = find_slots(self, self.RANK_SCHEMA)
        ranks = resolve(spec, slots, self.RANK_SCHEMA, num_blocks=1)
        factorize(self, slots, ranks, init=spec["init"])
        self.rank_slots = slots
        self.rank_num_blocks = 1
        self.resolved_ranks = ranks
        self.rank_map_spec = {k: v for k, v in spec.items() if k != "_where"}
        total = sum(p.numel() for p in self.parameters())
        logger.info("%s", format_table(slots, ranks, f"{where} ({type(self).__name__})", total))
        no_saving = summarize(slots, ranks)["no_saving"]
        if no_saving:
            logger.warning(
                "%s: factorized layer(s) save no parameters at their rank: %s",
                where,
                ", ".join(no_saving),
            )
        self.register_load_state_dict_pre_hook(_check_factorized_keys)
