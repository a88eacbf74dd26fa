"""Train, pack and decode a low-rank model through the entry points, as users do."""

import shutil
import subprocess
import sys
import zipfile

import pytest
import torch
import yaml

from tests.tiny_corpus import run_asr_train, write_asr_config, write_corpus

from ..hang_guard import guarded_run

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    root = tmp_path_factory.mktemp("e2e")
    data = write_corpus(root / "data")
    config = write_asr_config(root / "train.yaml", data)
    exp = root / "exp"
    proc = run_asr_train(config, exp)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return {"root": root, "data": data, "exp": exp, "log": proc.stderr}


def test_training_log_shows_rank_table_and_no_import_noise(trained):
    log = trained["log"]
    assert "encoder (LowRankConformerEncoder):" in log
    assert "factorizable layers:" in log and "x smaller" in log
    assert "nltk_data" not in log and "Flash Attention" not in log


def test_saved_config_inlines_resolved_rank_map(trained):
    cfg = yaml.safe_load((trained["exp"] / "config.yaml").read_text())
    for part in ("encoder", "decoder"):
        rank_map = cfg[f"{part}_conf"]["rank_map"]
        assert isinstance(rank_map, dict), "preset name must be replaced by the map itself"
        assert rank_map["resolved"]
        assert "groups" in rank_map and rank_map["init"] == "svd"
    state = torch.load(trained["exp"] / "1epoch.pth", map_location="cpu")
    assert "encoder.encoders.0.feed_forward.w_1.U" in state


def test_pack_and_decode_with_speech2text(trained, tmp_path):
    from espnet_lowrank.bin import pack

    exp = trained["exp"]
    model_file = exp / "valid.acc.best.pth"
    assert model_file.exists()
    packed = tmp_path / "model.zip"
    pack.main(
        ["asr", "--asr_train_config", str(exp / "config.yaml"), "--asr_model_file",
         str(model_file), "--outpath", str(packed)]
    )  # fmt: skip
    unpacked = tmp_path / "unpacked"
    with zipfile.ZipFile(packed) as z:
        z.extractall(unpacked)
        names = z.namelist()
    assert "meta.yaml" in names
    import soundfile
    from espnet2.bin.asr_inference import Speech2Text
    from espnet_model_zoo.downloader import ModelDownloader  # noqa: F401  (zoo is there)

    cfg_path = next(unpacked.rglob("config.yaml"))
    pth = next(unpacked.rglob("*.pth"))
    speech2text = Speech2Text(
        asr_train_config=str(cfg_path), asr_model_file=str(pth), beam_size=2, ctc_weight=0.3
    )
    wav = next(trained["data"]["wav.scp"].parent.glob("*.wav"))
    audio, _ = soundfile.read(wav)
    results = speech2text(torch.tensor(audio, dtype=torch.float32))
    assert results and isinstance(results[0][0], str)


def test_wrong_rank_map_in_config_is_an_error_not_random_weights(trained, tmp_path):
    from espnet2.bin.asr_inference import Speech2Text

    cfg = yaml.safe_load((trained["exp"] / "config.yaml").read_text())
    cfg["encoder_conf"]["rank_map"] = "dense"
    bad = tmp_path / "config.yaml"
    bad.write_text(yaml.safe_dump(cfg))
    with pytest.raises(RuntimeError, match="checkpoint is low-rank, model layer is dense"):
        Speech2Text(asr_train_config=str(bad), asr_model_file=str(trained["exp"] / "1epoch.pth"))


def test_convert_to_dense_runs_without_the_plugin_classes(trained, tmp_path):
    from espnet_lowrank.convert import to_dense, to_lowrank

    exp = trained["exp"]
    cfg_path, model_path = to_dense("asr", exp / "config.yaml", exp / "1epoch.pth", tmp_path / "d")
    cfg = yaml.safe_load(cfg_path.read_text())
    assert cfg["encoder"] == "conformer" and cfg["decoder"] == "transformer"
    assert "rank_map" not in cfg["encoder_conf"]
    # stock ESPnet builds and strictly loads it; outputs equal the low-rank model's
    from espnet2.tasks.asr import ASRTask

    dense, _ = ASRTask.build_model_from_file(cfg_path, model_path)
    lowrank, _ = ASRTask.build_model_from_file(exp / "config.yaml", exp / "1epoch.pth")
    x = torch.randn(1, 4000)
    lens = torch.tensor([4000])
    dense.eval(), lowrank.eval()
    with torch.no_grad():
        torch.testing.assert_close(
            dense.encode(x, lens)[0], lowrank.encode(x, lens)[0], rtol=1e-4, atol=1e-4
        )
    # and back: SVD-compress the dense model with a rank map
    cfg2, model2 = to_lowrank(
        "asr", cfg_path, model_path, tmp_path / "lr", {"encoder": "attention_only"}
    )
    again = yaml.safe_load(cfg2.read_text())
    assert again["encoder"] == "lowrank_conformer" and again["decoder"] == "transformer"
    assert again["encoder_conf"]["rank_map"]["resolved"]
    with pytest.raises(ValueError, match=r"encoder is 'lowrank_conformer'; only \['branchformer'"):
        to_lowrank("asr", cfg2, model2, tmp_path / "x", {"encoder": "lr_sms"})
    # full-rank factors (subsampling convolution included) compute the dense model's function
    full = {"default": 1.0, "groups": {"subsampling_conv": 1.0}}
    cfg3, model3 = to_lowrank("asr", cfg_path, model_path, tmp_path / "full", {"encoder": full})
    resolved = yaml.safe_load(cfg3.read_text())["encoder_conf"]["rank_map"]["resolved"]
    assert resolved["embed.conv.2"] != "dense"
    factorized, _ = ASRTask.build_model_from_file(cfg3, model3)
    factorized.eval()
    with torch.no_grad():
        torch.testing.assert_close(
            factorized.encode(x, lens)[0], dense.encode(x, lens)[0], rtol=1e-4, atol=1e-4
        )


def test_print_config_shows_rank_map_defaults():
    proc = guarded_run(
        [sys.executable, "-m", "espnet_lowrank.bin.asr_train", "--print_config",
         "--encoder", "lowrank_conformer", "--decoder", "lowrank_transformer"],
        capture_output=True, text=True, timeout=1800,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    cfg = yaml.safe_load(proc.stdout)
    assert cfg["encoder"] == "lowrank_conformer"
    assert cfg["encoder_conf"]["rank_map"] == "lr_sms"
    assert cfg["decoder_conf"]["rank_map"] == "lr_sms"
    assert cfg["encoder_conf"]["num_blocks"] == 6


def test_plain_espnet_without_plugin_import_fails_clearly(tmp_path):
    """With the start-up hook turned off (tests/test_autoload.py tests it on)."""
    import os

    code = (
        "import sys; from espnet2.bin.asr_train import main; "
        "main(['--print_config', '--encoder', 'lowrank_conformer'])"
    )
    env = dict(os.environ, ESPNET_LOWRANK_AUTOLOAD="0")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert proc.returncode != 0 and "lowrank_conformer" in proc.stderr
    shutil.rmtree(tmp_path, ignore_errors=True)


def test_count_params_on_meta_matches_a_real_build(tmp_path):
    from espnet_lowrank.count_params import count_config
    from espnet_lowrank.tasks.asr import LowRankASRTask

    data = write_corpus(tmp_path / "data", n_utts=2)
    config = write_asr_config(tmp_path / "c.yaml", data)
    counts = count_config(config, "asr")
    args = LowRankASRTask.get_parser().parse_args(["--config", str(config)])
    model = LowRankASRTask.build_model(args)
    assert counts["total"]["lowrank"] == sum(p.numel() for p in model.parameters())
    assert counts["encoder"]["lowrank"] == sum(p.numel() for p in model.encoder.parameters())
    assert counts["total"]["dense"] > counts["total"]["lowrank"]
