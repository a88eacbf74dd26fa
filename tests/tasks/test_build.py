"""``model_from_config``: saved and training configs, weights, meta device, strictness, AV."""

from __future__ import annotations

import pytest
import torch
import yaml

from espnet_lowrank.checkpoint import WeightsMismatchError
from espnet_lowrank.tasks.build import model_from_config
from tests.avsr.tiny_av import TINY_CONFIG
from tests.avsr.tiny_av import TOKENS as AV_TOKENS
from tests.tiny_lm import LM_CONF, TOKENS, write_word_lm


def _training_lm_config(path, **lm_conf):
    cfg = {
        "token_list": list(TOKENS),
        "token_type": "word",
        "lm": "lowrank_transformer",
        "lm_conf": {**LM_CONF, "rank_map": {"default": 4}, **lm_conf},
    }
    path.write_text(yaml.safe_dump(cfg), encoding="utf-8")
    return path


def test_saved_config_and_weights(tmp_path):
    config, weights = write_word_lm(tmp_path / "lm")
    model, args = model_from_config(config, "lm", weights)
    state = torch.load(weights, map_location="cpu")
    assert all(torch.equal(model.state_dict()[k], v) for k, v in state.items())
    assert not hasattr(args, "batch_size")  # read as saved: no parser defaults added


def test_training_config_takes_espnet_defaults_and_inlines_rank_maps(tmp_path):
    config = _training_lm_config(tmp_path / "train.yaml")
    model, args = model_from_config(config, "lm", saved=False)
    assert args.batch_size == 20  # ESPnet's default
    assert set(args.lm_conf["rank_map"]) >= {"default", "resolved"}
    assert model.lm.rank_plan.slots


def test_meta_device(tmp_path):
    config = _training_lm_config(tmp_path / "train.yaml")
    model, _ = model_from_config(config, "lm", saved=False, device="meta")
    assert {p.device.type for p in model.parameters()} == {"meta"}
    with pytest.raises(ValueError, match="meta device holds no weights"):
        model_from_config(config, "lm", tmp_path / "x.pth", saved=False, device="meta")


def test_strict_mismatch_names_the_keys(tmp_path):
    config, _ = write_word_lm(tmp_path / "lm")
    other = _training_lm_config(tmp_path / "train.yaml")
    lowrank, _ = model_from_config(other, "lm", saved=False)
    torch.save(lowrank.state_dict(), tmp_path / "lowrank.pth")
    with pytest.raises(WeightsMismatchError, match=r"factorized in the checkpoint but dense"):
        model_from_config(config, "lm", tmp_path / "lowrank.pth")
    model, _ = model_from_config(config, "lm", tmp_path / "lowrank.pth", strict=False)
    assert model is not None


def test_training_config_of_a_saved_config_drops_non_options(tmp_path):
    config, _ = write_word_lm(tmp_path / "lm")
    cfg = yaml.safe_load(config.read_text(encoding="utf-8"))
    cfg.update(required=["output_dir"], not_an_option=1)  # as ESPnet's trainer saves them
    model, args = model_from_config(cfg, "lm", saved=False, device="meta")
    assert not hasattr(args, "not_an_option") and args.batch_size == 20


def test_av_config_builds_with_the_av_task(tmp_path):
    tokens = tmp_path / "tokens.txt"
    tokens.write_text("\n".join(AV_TOKENS) + "\n", encoding="utf-8")
    model, args = model_from_config(
        TINY_CONFIG, "asr", saved=False, device="meta", extra_args=["--token_list", str(tokens)]
    )
    assert type(model).__name__ == "AVSRModel"
    assert "resolved" in args.model_conf["fusion_conf"]["rank_map"]
    with pytest.raises(ValueError, match="extra_args are options for a training config"):
        model_from_config(TINY_CONFIG, "asr", extra_args=["--token_list", str(tokens)])
