"""The training worker of our tasks: ESPnet's, then DDP released before the process exits."""

from __future__ import annotations

import argparse

from espnet_lowrank.tasks.distributed import release_distributed


class ReleaseDistributedMixin:
    """Put before an ESPnet task class: its ``main_worker`` ends with ``release_distributed()``.

    ``class LowRankASRTask(ReleaseDistributedMixin, ASRTask)``: the worker runs as
    ESPnet's and, whether training finished or failed, frees the DDP wrapper and
    destroys the process group (see :mod:`espnet_lowrank.tasks.distributed`).
    """

    @classmethod
    def main_worker(cls, args: argparse.Namespace) -> None:
        try:
            super().main_worker(args)  # type: ignore[misc]
        finally:
            release_distributed()
