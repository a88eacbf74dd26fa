"""Merge a trained LoRA adapter into its base LM and save a plain ESPnet LM.

    python -m espnet_lowrank.bin.lora_merge \\
        --lm_train_config exp/lm_lora/config.yaml --lm_file exp/lm_lora/valid.loss.ave.pth \\
        --out_dir exp/lm_lora_merged

Writes ``<out_dir>/config.yaml`` (the base LM's config) and ``<out_dir>/model.pth``
(``W0 + s B A`` in every adapted linear): a self-contained LM for
``asr_inference --lm_train_config --lm_file`` and for ``bin.rescore``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from espnet_lowrank.bin._cli import ArgumentParser, run, setup_logging
from espnet_lowrank.lora.merge import merge_lm_files


def main(argv=None) -> Path:
    parser = ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--lm_train_config", required=True)
    parser.add_argument("--lm_file", required=True)
    parser.add_argument("--out_dir", required=True)
    args = parser.parse_args(argv)
    setup_logging()
    return merge_lm_files(args.lm_train_config, args.lm_file, args.out_dir)


if __name__ == "__main__":
    run(main)
