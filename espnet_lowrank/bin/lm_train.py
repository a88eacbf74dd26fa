"""LM training: ESPnet's ``lm_train`` with ``lm: lowrank_transformer`` available."""

import sys

from espnet_lowrank.bin._cli import run
from espnet_lowrank.bin._espnet_tool import check_inputs
from espnet_lowrank.tasks.lm import LowRankLMTask


def get_parser():
    return LowRankLMTask.get_parser()


def main(cmd=None):
    argv = sys.argv[1:] if cmd is None else list(cmd)
    check_inputs(argv)  # strict YAML, readable weights: a message, not a traceback
    LowRankLMTask.main(cmd=argv)


if __name__ == "__main__":
    run(main)
