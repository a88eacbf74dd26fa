"""A tiny stock ESPnet ASR model saved as training would, packed with ESPnet's pack."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import yaml

TOKENS = ["<blank>", "<unk>", "a", "b", "c", "<space>", "<sos/eos>"]
FEAT_DIM = 8
STATS = "exp/asr_stats/train/feats_stats.npz"
CONFIG = "exp/asr_tiny/config.yaml"
MODEL = "exp/asr_tiny/valid.acc.ave.pth"


@dataclass(frozen=True)
class Recipe:
    root: Path  # recipe dir (cwd of training and packing)
    zip_path: Path  # packed from root with relative paths


def write_tiny_model(root: Path) -> None:
    """Build a 1-block Conformer/Transformer model; save it as ESPnet training does."""
    import torch

    from espnet_lowrank._espnet_import import import_quietly

    (asr_task,) = import_quietly("espnet2.tasks.asr")
    torch.manual_seed(0)
    (root / "exp/asr_stats/train").mkdir(parents=True)
    np.savez(
        root / STATS,
        count=np.array(10),
        sum=np.zeros(FEAT_DIM),
        sum_square=np.full(FEAT_DIM, 10.0),
    )
    tokens = root / "data/token_list/char/tokens.txt"
    tokens.parent.mkdir(parents=True)
    tokens.write_text("\n".join(TOKENS) + "\n")
    argv = ["--output_dir", "exp/asr_tiny", "--token_list", str(tokens)]
    argv += ["--token_type", "char", "--input_size", str(FEAT_DIM)]
    argv += ["--normalize", "global_mvn", "--normalize_conf", f"stats_file={STATS}"]
    argv += ["--encoder", "conformer", "--decoder", "transformer"]
    for kv in (
        "output_size=16",
        "attention_heads=2",
        "linear_units=32",
        "num_blocks=1",
    ):
        argv += ["--encoder_conf", kv]
    argv += [
        "--encoder_conf",
        "input_layer=linear",
        "--encoder_conf",
        "cnn_module_kernel=3",
    ]
    for kv in ("attention_heads=2", "linear_units=32", "num_blocks=1"):
        argv += ["--decoder_conf", kv]
    args = asr_task.ASRTask.get_parser().parse_args(argv)
    old = os.getcwd()
    os.chdir(root)  # training runs in the recipe dir: config paths are relative to it
    try:
        model = asr_task.ASRTask.build_model(args)  # also turns token_list into a list
    finally:
        os.chdir(old)
    (root / "exp/asr_tiny").mkdir()
    torch.save(model.state_dict(), root / MODEL)
    with (root / CONFIG).open("w") as f:
        yaml.safe_dump(vars(args), f, sort_keys=False)


def pack(root: Path, outpath: Path, paths=(CONFIG, MODEL), options=(STATS,), cwd=None):
    """Run ``espnet2.bin.pack asr`` from ``cwd`` (default: the recipe dir)."""
    from espnet2.bin.pack import main as pack_main

    config, model = paths
    argv = ["asr", "--asr_train_config", str(config), "--asr_model_file", str(model)]
    for opt in options:
        argv += ["--option", str(opt)]
    argv += ["--outpath", str(outpath)]
    old = os.getcwd()
    os.chdir(cwd or root)
    try:
        pack_main(argv)
    finally:
        os.chdir(old)
    return outpath


@pytest.fixture(scope="session")
def recipe(tmp_path_factory) -> Recipe:
    import torch

    torch.set_num_threads(1)
    root = tmp_path_factory.mktemp("recipe")
    write_tiny_model(root)
    zip_path = pack(root, root / "exp/asr_tiny/packed.zip")
    return Recipe(root, zip_path)
