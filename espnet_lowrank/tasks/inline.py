"""Inline rank maps into the training ``args`` so saved configs are self-contained.

ESPnet dumps ``args`` to ``config.yaml`` after ``build_model`` (it allows the
build to modify them). After building, each low-rank part's ``rank_map`` option is
replaced by the loaded mapping plus the per-layer ``resolved`` ranks: a packed
model then needs no preset, file or recipe path to rebuild exactly. The parts are
the catalogue's: ``<part>_conf`` for the registered ones (``encoder``,
``decoder``, ``lm``), ``model_conf.<part>_conf`` for the AV model's inner ones.
"""

from __future__ import annotations

import argparse

from torch import nn

from espnet_lowrank import catalogue
from espnet_lowrank.mixin import LowRankPartMixin


def inline_rank_maps(args: argparse.Namespace, model: nn.Module, task: str) -> None:
    """Write the resolved rank map of every low-rank part of ``model`` into ``args``.

    Args:
        args: the namespace ESPnet saves as ``config.yaml`` (changed in place).
        model: the model ``args`` built.
        task: ``asr`` or ``lm``: whose catalogue parts to look for.
    """
    for part in catalogue.part_names(task):
        module = getattr(model, part, None)
        if isinstance(module, LowRankPartMixin):
            conf = dict(getattr(args, f"{part}_conf", None) or {})
            conf["rank_map"] = module.rank_map_config()
            setattr(args, f"{part}_conf", conf)
    if getattr(args, "model", None) not in {p.name for p in catalogue.PARTS if not p.registered}:
        return
    model_conf = dict(getattr(args, "model_conf", None) or {})
    for part in catalogue.inner_parts(args.model):
        module = getattr(model, part, None)
        if module is None:  # a single-stream AV model (model_conf.streams) lacks one front-end
            continue
        part_conf = dict(model_conf.get(f"{part}_conf") or {})
        part_conf["rank_map"] = module.rank_map_config()
        model_conf[f"{part}_conf"] = part_conf
    args.model_conf = model_conf


class InlineRankMapsMixin:
    """Put before an ESPnet task class: ``build_model`` inlines the rank maps of the
    catalogue parts of ``RANK_TASK`` (``asr`` or ``lm``) into ``args``."""

    RANK_TASK = "asr"

    @classmethod
    def build_model(cls, args: argparse.Namespace) -> nn.Module:
        model = super().build_model(args)  # type: ignore[misc]
        inline_rank_maps(args, model, cls.RANK_TASK)
        return model
