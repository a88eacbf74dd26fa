"""Inline rank maps into the training ``args`` so saved configs are self-contained.

ESPnet dumps ``args`` to ``config.yaml`` after ``build_model`` (it allows the
build to modify them). After building, each low-rank part's ``rank_map`` option is
replaced by the loaded mapping plus the per-layer ``resolved`` ranks: a packed
model then needs no preset, file or recipe path to rebuild exactly.
"""

from __future__ import annotations

import argparse
from typing import Iterable

from torch import nn

from espnet_lowrank.mixin import LowRankPartMixin


def inline_rank_maps(args: argparse.Namespace, model: nn.Module, parts: Iterable[str]) -> None:
    """For each ``part`` (attribute of ``model`` and ``<part>_conf`` in ``args``)."""
    for part in parts:
        module = getattr(model, part, None)
        if not isinstance(module, LowRankPartMixin):
            continue
        conf_name = f"{part}_conf"
        conf = dict(getattr(args, conf_name, None) or {})
        conf["rank_map"] = module.rank_map_config()
        setattr(args, conf_name, conf)
