"""``LowRankASRTask``: ESPnet's ASR task that saves resolved rank maps."""

from __future__ import annotations

from espnet_lowrank._espnet_import import import_quietly
from espnet_lowrank.registry import register
from espnet_lowrank.tasks.inline import InlineRankMapsMixin
from espnet_lowrank.tasks.worker import ReleaseDistributedMixin

ASRTask = import_quietly("espnet2.tasks.asr")[0].ASRTask
register()  # at import: spawned DDP workers unpickle this module first


class LowRankASRTask(ReleaseDistributedMixin, InlineRankMapsMixin, ASRTask):
    """Same options and behaviour as ESPnet's ``ASRTask``."""

    RANK_TASK = "asr"
