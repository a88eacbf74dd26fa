"""Print parameter counts of a training config, full rank vs its rank maps.

python -m espnet_lowrank.bin.count_params conf/train_asr_lr_sms.yaml [--task asr|lm]
"""

from espnet_lowrank.bin._cli import run
from espnet_lowrank.count_params import main

if __name__ == "__main__":
    run(main)
