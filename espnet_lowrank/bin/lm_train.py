"""LM training: ESPnet's ``lm_train`` with ``lm: lowrank_transformer`` available."""

from espnet_lowrank.tasks.lm import LowRankLMTask


def get_parser():
    return LowRankLMTask.get_parser()


def main(cmd=None):
    LowRankLMTask.main(cmd=cmd)


if __name__ == "__main__":
    main()
