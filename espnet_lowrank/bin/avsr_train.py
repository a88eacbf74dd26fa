"""AVSR training: ESPnet's ``asr_train`` options with ``--model avsr`` (the AV task).

Data: ``--train_data_path_and_name_and_type wav.scp,speech,sound``,
``video.scp,video,video_npy`` and ``text,text,text`` (same for ``valid``). Runs
ESPnet's trainer (checkpoints, ``--resume``, model averaging at the end,
``--print_config``); the saved ``config.yaml`` holds every resolved rank map.
"""

import sys

from espnet_lowrank.avsr.task import AVSRTask
from espnet_lowrank.bin._cli import run
from espnet_lowrank.bin._espnet_tool import check_inputs


def get_parser():
    return AVSRTask.get_parser()


def main(cmd=None):
    argv = sys.argv[1:] if cmd is None else list(cmd)
    check_inputs(argv)  # strict YAML, readable weights: a message, not a traceback
    AVSRTask.main(cmd=argv)


if __name__ == "__main__":
    run(main)
