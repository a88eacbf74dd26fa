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

from typing import Any

from espnet_lowrank.mixin import LowRankPartMixin


class AVRankMixin(LowRankPartMixin):
    """``LowRankPartMixin`` for modules outside the core's rank-map sections."""

    def _apply_av_rank_map(self, rank_map: Any, where: str) -> None:
        """Resolve ``rank_map`` (mapping or ``None``) and factorize this module.

        Args:
            rank_map: ``None`` (dense) or a rank-map mapping for this module's schema.
            where: how errors name the option, e.g. ``model_conf.fusion_conf.rank_map``.
        """
        self._apply_rank_map(rank_map, num_blocks=1, where=where)
