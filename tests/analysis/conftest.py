"""Tiny trained-looking ASR models saved as ESPnet saves them (config.yaml + .pth)."""

import pytest
import torch
import yaml

from tests.tiny_corpus import write_asr_config, write_corpus


def save_model(root, rank_map, **encoder_conf):
    """Build the tiny ASR model of ``tests.tiny_corpus`` and save config.yaml + model.pth
    (the full argument namespace, as ESPnet's training writes it)."""
    from espnet_lowrank.tasks.asr import LowRankASRTask

    root.mkdir(parents=True, exist_ok=True)
    data = write_corpus(root / "data", n_utts=2)
    cfg = write_asr_config(root / "train.yaml", data, rank_map=rank_map)
    if encoder_conf:
        c = yaml.safe_load(cfg.read_text())
        c["encoder_conf"].update(encoder_conf)
        cfg.write_text(yaml.safe_dump(c, sort_keys=False))
    args = LowRankASRTask.get_parser().parse_args(["--config", str(cfg)])
    torch.manual_seed(0)
    model = LowRankASRTask.build_model(args)
    (root / "config.yaml").write_text(yaml.safe_dump(vars(args), sort_keys=False))
    torch.save(model.state_dict(), root / "model.pth")
    return {"config": root / "config.yaml", "model": root / "model.pth", "module": model}


@pytest.fixture(scope="session")
def dense_asr(tmp_path_factory):
    return save_model(tmp_path_factory.mktemp("dense_asr"), "dense", num_blocks=3)


@pytest.fixture(scope="session")
def lowrank_asr(tmp_path_factory):
    return save_model(tmp_path_factory.mktemp("lowrank_asr"), "lr_sms", num_blocks=3)
