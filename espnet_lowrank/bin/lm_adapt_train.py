"""Train a LoRA adapter on a frozen ESPnet LM with ESPnet's trainer.

    python -m espnet_lowrank.bin.lm_adapt_train \\
        --base_lm_config exp/lm/config.yaml --base_lm_file exp/lm/valid.loss.ave.pth \\
        --config conf/lora/dynamic.yaml --token_list data/token_list/bpe/tokens.txt \\
        --train_data_path_and_name_and_type dump/lm_train.txt,text,text ... \\
        --output_dir exp/lm_lora_dynamic

Every ESPnet LM training option works (``--ngpu``, ``--resume``, ``--print_config``,
``--multiprocessing_distributed``...): this is ``LoRALMTask.main``.
"""

from __future__ import annotations

import sys

from espnet_lowrank.bin._cli import run
from espnet_lowrank.bin._espnet_tool import check_inputs
from espnet_lowrank.lora.task import LoRALMTask


def get_parser():
    """The ESPnet parser of ``LoRALMTask`` (for docs and ``--print_config``)."""
    return LoRALMTask.get_parser()


def main(argv=None) -> None:
    """Run ``LoRALMTask`` (training, or ``--print_config``)."""
    argv = sys.argv[1:] if argv is None else list(argv)
    check_inputs(argv)  # strict YAML, readable weights: a message, not a traceback
    LoRALMTask.main(cmd=argv)


if __name__ == "__main__":
    run(main)
