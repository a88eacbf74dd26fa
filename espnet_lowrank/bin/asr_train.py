"""ASR training: ESPnet's ``asr_train`` with the low-rank classes available.

Same options as ``python -m espnet2.bin.asr_train``; the saved ``config.yaml`` holds
the resolved rank maps (see :mod:`espnet_lowrank.tasks.inline`).
"""

from espnet_lowrank.tasks.asr import LowRankASRTask


def get_parser():
    return LowRankASRTask.get_parser()


def main(cmd=None):
    LowRankASRTask.main(cmd=cmd)


if __name__ == "__main__":
    main()
