"""``LowRankASRTask``: ESPnet's ASR task that saves resolved rank maps."""

from __future__ import annotations

import argparse

from espnet_lowrank._espnet_import import import_quietly
from espnet_lowrank.registry import register
from espnet_lowrank.tasks.inline import inline_rank_maps
from espnet_lowrank.tasks.worker import ReleaseDistributedMixin

ASRTask = import_quietly("espnet2.tasks.asr")[0].ASRTask
register()  # at import: spawned DDP workers unpickle this module first


class LowRankASRTask(ReleaseDistributedMixin, ASRTask):
    """Same options and behaviour as ESPnet's ``ASRTask``."""

    @classmethod
    def build_model(cls, args: argparse.Namespace):
        model = super().build_model(args)
        inline_rank_maps(args, model, "asr")
        return model
