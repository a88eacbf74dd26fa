"""Dense ESPnet encoders <-> low-rank classes by truncated SVD and merging, for every
encoder in the registry (the Conformer round trip runs on a trained model in
tests/tasks/test_asr_e2e.py)."""

import pytest
import torch
import yaml

from espnet_lowrank.convert import to_dense, to_lowrank
from tests.tiny_corpus import CHARS

ENCODERS = {
    "e_branchformer": dict(output_size=16, attention_heads=2, cgmlp_linear_units=32,
                           cgmlp_conv_kernel=3, linear_units=24, num_blocks=2),
    "branchformer": dict(output_size=16, attention_heads=2, cgmlp_linear_units=32,
                         cgmlp_conv_kernel=3, num_blocks=2),
    "transformer": dict(output_size=16, attention_heads=2, linear_units=24, num_blocks=2),
}  # fmt: skip


def dense_model(tmp_path, encoder):
    from espnet2.tasks.asr import ASRTask

    cfg = {
        "token_list": CHARS, "frontend_conf": {"n_fft": 256, "hop_length": 64, "n_mels": 20},
        "encoder": encoder, "encoder_conf": ENCODERS[encoder], "decoder": "transformer",
        "decoder_conf": {"attention_heads": 2, "linear_units": 24, "num_blocks": 1},
    }  # fmt: skip
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(cfg))
    args = ASRTask.get_parser().parse_args(["--config", str(path)])
    torch.manual_seed(0)
    model = ASRTask.build_model(args)
    full = tmp_path / "dense" / "config.yaml"
    full.parent.mkdir()
    full.write_text(yaml.safe_dump(vars(args)))
    torch.save(model.state_dict(), full.parent / "model.pth")
    return full, full.parent / "model.pth"


def encode(config, model_file):
    from espnet2.tasks.asr import ASRTask

    model, _ = ASRTask.build_model_from_file(config, model_file)
    model.eval()
    torch.manual_seed(1)
    with torch.no_grad():
        return model.encode(torch.randn(2, 3000), torch.tensor([3000, 2400]))[0]


@pytest.mark.parametrize("encoder", sorted(ENCODERS))
def test_svd_conversion_and_back(tmp_path, encoder):
    config, model_file = dense_model(tmp_path, encoder)
    reference = encode(config, model_file)
    # full rank: the factors compute the dense function
    cfg, pth = to_lowrank(
        "asr", config, model_file, tmp_path / "full", {"encoder": {"default": 1.0}}
    )
    saved = yaml.safe_load(cfg.read_text())
    assert saved["encoder"] == f"lowrank_{encoder}" and saved["decoder"] == "transformer"
    torch.testing.assert_close(encode(cfg, pth), reference, rtol=1e-4, atol=1e-4)
    # the preset compresses; merging it back gives ESPnet's own class and the same function
    cfg, pth = to_lowrank("asr", config, model_file, tmp_path / "lr", {"encoder": "lr_sms"})
    compressed = encode(cfg, pth)
    assert not torch.allclose(compressed, reference, atol=1e-3)
    dcfg, dpth = to_dense("asr", cfg, pth, tmp_path / "back")
    assert yaml.safe_load(dcfg.read_text())["encoder"] == encoder
    torch.testing.assert_close(encode(dcfg, dpth), compressed, rtol=1e-4, atol=1e-4)


def test_an_encoder_without_a_low_rank_class_is_named(tmp_path):
    config, model_file = dense_model(tmp_path, "transformer")
    cfg = yaml.safe_load(config.read_text())
    cfg["encoder"] = "rnn"
    config.write_text(yaml.safe_dump(cfg))
    with pytest.raises(ValueError, match=r"encoder is 'rnn'; only \['branchformer', 'conformer'"):
        to_lowrank("asr", config, model_file, tmp_path / "x", {"encoder": "lr_sms"})


def test_svd_transfer_maps_dense_weights_onto_a_low_rank_model(tmp_path):
    from espnet_lowrank.convert import svd_transfer

    config, model_file = dense_model(tmp_path, "transformer")
    cfg, pth = to_lowrank("asr", config, model_file, tmp_path / "lr", {"encoder": "lr_sms"})
    # the target's own config + the dense weights: the factors of to_lowrank, the rest copied
    report = svd_transfer("asr", cfg, model_file, tmp_path / "init.pth")
    got, want = torch.load(tmp_path / "init.pth"), torch.load(pth)
    assert set(got) == set(want) and not report["missing"]
    assert report["factorized"] and all(k.startswith("encoder.") for k in report["factorized"])
    for key in want:
        torch.testing.assert_close(got[key], want[key])
    # a source without some entries leaves them out (they keep their own init)
    partial = {k: v for k, v in torch.load(model_file).items() if not k.startswith("decoder.")}
    torch.save(partial, tmp_path / "partial.pth")
    report = svd_transfer("asr", cfg, tmp_path / "partial.pth", tmp_path / "init2.pth")
    assert report["missing"] and all(k.startswith("decoder.") for k in report["missing"])
    assert not any(k.startswith("decoder.") for k in torch.load(tmp_path / "init2.pth"))


def test_svd_transfer_onto_a_training_config_with_a_token_list(tmp_path, capsys):
    from espnet_lowrank.bin import convert as cli
    from espnet_lowrank.convert import svd_transfer

    config, model_file = dense_model(tmp_path, "transformer")
    saved, _ = to_lowrank("asr", config, model_file, tmp_path / "lr", {"encoder": "lr_sms"})
    svd_transfer("asr", saved, model_file, tmp_path / "want.pth")
    # the training config a user writes: no token_list in it, the rank map by name
    train = yaml.safe_load(config.read_text())
    train.update(encoder="lowrank_transformer", token_list=None)
    train["encoder_conf"] = dict(train["encoder_conf"], rank_map="lr_sms")
    conf = tmp_path / "train_lowrank.yaml"
    conf.write_text(yaml.safe_dump({k: train[k] for k in ("frontend_conf", "encoder",
                                    "encoder_conf", "decoder", "decoder_conf")}))  # fmt: skip
    tokens = tmp_path / "tokens.txt"
    tokens.write_text("\n".join(CHARS) + "\n")
    common = ["--task", "asr", "--token_list", str(tokens), "--model", str(model_file)]
    cli.main(["svd_transfer", *common, "--config", str(conf), "--out_dir", str(tmp_path / "init")])
    got, want = torch.load(tmp_path / "init" / "model.pth"), torch.load(tmp_path / "want.pth")
    assert set(got) == set(want)
    for key in want:
        torch.testing.assert_close(got[key], want[key])
    with pytest.raises(FileNotFoundError, match="no_tokens.txt"):
        svd_transfer("asr", conf, model_file, tmp_path / "x.pth", tmp_path / "no_tokens.txt")
    with pytest.raises(SystemExit, match="only for svd_transfer"):
        cli.main(["to_dense", *common, "--config", str(saved), "--out_dir", str(tmp_path / "d")])


def test_svd_transfer_names_a_shape_that_does_not_fit(tmp_path):
    from espnet_lowrank.convert import svd_transfer

    config, model_file = dense_model(tmp_path, "transformer")
    cfg, _ = to_lowrank("asr", config, model_file, tmp_path / "lr", {"encoder": "lr_sms"})
    state = torch.load(model_file)
    key = next(k for k in state if k.endswith("feed_forward.w_1.weight"))
    state[key] = torch.zeros(state[key].shape[0] + 1, state[key].shape[1])
    torch.save(state, tmp_path / "other.pth")
    with pytest.raises(ValueError, match=key.rsplit(".", 1)[0]):
        svd_transfer("asr", cfg, tmp_path / "other.pth", tmp_path / "init.pth")
