"""``LowRankLMTask``: ESPnet's LM task that saves resolved rank maps."""

from __future__ import annotations

from espnet_lowrank._espnet_import import import_quietly
from espnet_lowrank.registry import register
from espnet_lowrank.tasks.inline import InlineRankMapsMixin
from espnet_lowrank.tasks.worker import ReleaseDistributedMixin

LMTask = import_quietly("espnet2.tasks.lm")[0].LMTask
register()  # at import: spawned DDP workers unpickle this module first


class LowRankLMTask(ReleaseDistributedMixin, InlineRankMapsMixin, LMTask):
    """Same options and behaviour as ESPnet's ``LMTask``."""

    RANK_TASK = "lm"
