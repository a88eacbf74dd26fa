"""``LowRankLMTask``: ESPnet's LM task that saves the resolved rank map."""

from __future__ import annotations

import argparse

from espnet_lowrank._espnet_import import import_quietly
from espnet_lowrank.registry import register
from espnet_lowrank.tasks.inline import inline_rank_maps
from espnet_lowrank.tasks.worker import ReleaseDistributedMixin

LMTask = import_quietly("espnet2.tasks.lm")[0].LMTask
register()  # at import: spawned DDP workers unpickle this module first


class LowRankLMTask(ReleaseDistributedMixin, LMTask):
    """Same options and behaviour as ESPnet's ``LMTask``."""

    @classmethod
    def build_model(cls, args: argparse.Namespace):
        model = super().build_model(args)
        inline_rank_maps(args, model, "lm")
        return model
