"""ASR training: ESPnet's ``asr_train`` with the low-rank classes available.

Same options as ``python -m espnet2.bin.asr_train``; the saved ``config.yaml`` holds
the resolved rank maps (see :mod:`espnet_lowrank.tasks.inline`).
"""

import sys

from espnet_lowrank.bin._cli import run
from espnet_lowrank.bin._espnet_tool import check_inputs
from espnet_lowrank.tasks.asr import LowRankASRTask


def get_parser():
    return LowRankASRTask.get_parser()


def main(cmd=None):
    argv = sys.argv[1:] if cmd is None else list(cmd)
    check_inputs(argv)  # strict YAML, readable weights: a message, not a traceback
    LowRankASRTask.main(cmd=argv)


if __name__ == "__main__":
    run(main)
