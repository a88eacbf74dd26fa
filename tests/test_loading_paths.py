"""Every load path checks every weight of every factorizable layer, and names bad files.

A tiny low-rank ASR model saved as training saves it (``config.yaml`` with the
inlined rank maps, ``model.pth``), then loaded through ESPnet's own entry points
(``ASRTask.build_model_from_file``, ``Speech2Text``: both ``strict=False``), our
converter and our inference entry point, with a bias missing, a torn file, and
the config edited back to the stock ESPnet classes.
"""

from __future__ import annotations

import argparse
import os

import pytest
import torch
import yaml

from espnet_lowrank.checkpoint import CheckpointError, check_factors_fit_config

from .bin.test_tool_errors import run_tool

TOKENS = ["<blank>", "<unk>", "a", "b", "<space>", "<sos/eos>"]
BIAS = "encoder.encoders.0.feed_forward.w_1.bias"


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    from espnet_lowrank.tasks.asr import LowRankASRTask

    root = tmp_path_factory.mktemp("lowrank_model")
    tokens = root / "tokens.txt"
    tokens.write_text("\n".join(TOKENS) + "\n")
    argv = ["--token_list", str(tokens), "--token_type", "char", "--input_size", "8",
            "--encoder", "lowrank_conformer", "--decoder", "lowrank_transformer",
            "--normalize", "none"]  # fmt: skip
    for kv in ("output_size=16", "attention_heads=2", "linear_units=32", "num_blocks=1",
               "input_layer=linear", "cnn_module_kernel=3"):  # fmt: skip
        argv += ["--encoder_conf", kv]
    for kv in ("attention_heads=2", "linear_units=32", "num_blocks=1"):
        argv += ["--decoder_conf", kv]
    args = LowRankASRTask.get_parser().parse_args(argv)
    torch.manual_seed(0)
    model = LowRankASRTask.build_model(args)  # inlines the resolved rank maps
    config, weights = root / "config.yaml", root / "model.pth"
    config.write_text(yaml.safe_dump(vars(args), sort_keys=False))
    state = model.state_dict()
    torch.save(state, weights)
    no_bias = root / "no_bias.pth"
    torch.save({k: v for k, v in state.items() if k != BIAS}, no_bias)
    torn = root / "torn.pth"
    torn.write_bytes(weights.read_bytes()[: weights.stat().st_size // 2])
    stock_cfg = dict(vars(args), encoder="conformer")
    stock_cfg["encoder_conf"] = {
        k: v for k, v in stock_cfg["encoder_conf"].items() if k != "rank_map"
    }
    stock = root / "stock.yaml"
    stock.write_text(yaml.safe_dump(stock_cfg, sort_keys=False))
    return argparse.Namespace(root=root, config=config, weights=weights, no_bias=no_bias,
                              torn=torn, stock=stock)  # fmt: skip


def test_build_model_from_file_checks_the_bias(saved):
    from espnet2.tasks.asr import ASRTask

    model, _ = ASRTask.build_model_from_file(str(saved.config), str(saved.weights))
    assert model.encoder.rank_plan.ranks  # the low-rank model, loaded
    with pytest.raises(RuntimeError, match=r"feed_forward\.w_1: missing \['bias'\]"):
        ASRTask.build_model_from_file(str(saved.config), str(saved.no_bias))


def test_speech2text_checks_the_bias(saved):
    from espnet2.bin.asr_inference import Speech2Text

    with pytest.raises(RuntimeError, match=r"feed_forward\.w_1: missing \['bias'\]"):
        Speech2Text(asr_train_config=str(saved.config), asr_model_file=str(saved.no_bias))


def test_converter_names_a_torn_file(saved, tmp_path):
    from espnet_lowrank.convert import to_dense

    with pytest.raises(CheckpointError, match=f"{saved.torn}.*truncated or corrupt"):
        to_dense("asr", saved.config, saved.torn, tmp_path / "out")
    assert not (tmp_path / "out").exists()
    with pytest.raises(RuntimeError, match="bias"):
        to_dense("asr", saved.config, saved.no_bias, tmp_path / "out")
    assert not (tmp_path / "out").exists()  # nothing half written


def test_lowrank_weights_in_a_stock_config_are_refused(saved):
    import espnet2.tasks.asr  # noqa: F401  (the check reads its class choices)

    state = torch.load(saved.weights)
    cfg = yaml.safe_load(saved.stock.read_text())
    with pytest.raises(CheckpointError, match=r"low-rank factors in the encoder .*'encoder: "
                       r"conformer', a dense ESPnet class"):  # fmt: skip
        check_factors_fit_config(state, cfg, str(saved.weights), str(saved.stock))
    check_factors_fit_config(state, yaml.safe_load(saved.config.read_text()), "m", "c")


@pytest.mark.parametrize("case", ["stock", "torn", "no_bias"])
def test_inference_entry_point_gives_one_message(saved, case, tmp_path):
    config = saved.stock if case == "stock" else saved.config
    weights = {"stock": saved.weights, "torn": saved.torn, "no_bias": saved.no_bias}[case]
    scp = tmp_path / "wav.scp"
    scp.write_text("")
    old = os.getcwd()
    os.chdir(tmp_path)
    try:
        code, err = run_tool("asr_inference", [
            "--asr_train_config", str(config), "--asr_model_file", str(weights),
            "--output_dir", str(tmp_path / "out"),
            "--data_path_and_name_and_type", f"{scp},speech,sound"])  # fmt: skip
    finally:
        os.chdir(old)
    last = err.strip().splitlines()[-1]
    assert code == 2 and "Traceback" not in err, err[-3000:]
    expected = {
        "stock": "a dense ESPnet class",
        "torn": f"{weights}' cannot be read",
        "no_bias": "missing ['bias']",
    }[case]
    assert expected in last, last
