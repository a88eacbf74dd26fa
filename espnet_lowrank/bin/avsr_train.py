"""AVSR training: ESPnet's ``asr_train`` options with ``--model avsr`` (the AV task).

Data: ``--train_data_path_and_name_and_type wav.scp,speech,sound``,
``video.scp,video,video_npy`` and ``text,text,text`` (same for ``valid``). Runs
ESPnet's trainer (checkpoints, ``--resume``, model averaging at the end,
``--print_config``); the saved ``config.yaml`` holds every resolved rank map.
"""

from espnet_lowrank.avsr.task import AVSRTask


def get_parser():
    return AVSRTask.get_parser()


def main(cmd=None):
    AVSRTask.main(cmd=cmd)


if __name__ == "__main__":
    main()
