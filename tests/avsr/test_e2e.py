"""Train, pack and decode the tiny AV model through the entry points, as users do."""

import sys
import zipfile

import pytest
import yaml

from tests.avsr.tiny_av import write_av_corpus, write_train_config

from ..hang_guard import guarded_run

pytestmark = pytest.mark.slow


def _run(*cmd, timeout=3600):
    proc = guarded_run([sys.executable, "-m", *cmd], capture_output=True, text=True,
                       timeout=timeout)  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-4000:]
    return proc


@pytest.fixture(scope="module")
def packed(tmp_path_factory):
    root = tmp_path_factory.mktemp("avsr_e2e")
    data = write_av_corpus(root / "data")
    config = write_train_config(root / "train.yaml", data)
    exp = root / "exp"
    train = _run("espnet_lowrank.bin.avsr_train", "--config", str(config),
                 "--output_dir", str(exp))  # fmt: skip
    zip_path = root / "model.zip"
    model_file = exp / "valid.acc.best.pth"
    _run("espnet_lowrank.bin.pack", "asr", "--asr_train_config", str(exp / "config.yaml"),
         "--asr_model_file", str(model_file), "--outpath", str(zip_path))  # fmt: skip
    unpacked = root / "unpacked"
    with zipfile.ZipFile(zip_path) as z:
        z.extractall(unpacked)
        names = z.namelist()
    return dict(root=root, data=data, exp=exp, log=train.stderr, names=names, unpacked=unpacked)


def test_training_logs_av_rank_tables_and_saves_a_model(packed):
    log = packed["log"]
    assert "model_conf.fusion_conf.rank_map (MLPFusion)" in log
    assert "encoder (LowRankConformerEncoder):" in log
    assert "nltk_data" not in log and "Flash Attention" not in log
    assert (packed["exp"] / "1epoch.pth").exists()
    assert (packed["exp"] / "valid.acc.ave.pth").exists()  # ESPnet's n-best averaging ran
    import torch

    state = torch.load(packed["exp"] / "1epoch.pth", map_location="cpu")
    assert "fusion.mlp.0.U" in state and "video_frontend.proj.V" in state


def test_pack_holds_config_and_model(packed):
    names = packed["names"]
    assert "meta.yaml" in names
    assert any(n.endswith("config.yaml") for n in names)
    assert any(n.endswith(".pth") for n in names)


def _decode(packed, out, modality, streams, in_process):
    cfg = next(packed["unpacked"].rglob("config.yaml"))
    pth = next(packed["unpacked"].rglob("*.pth"))
    data = packed["data"]
    spec = {"speech": f"{data['wav.scp']},speech,sound",
            "video": f"{data['video.scp']},video,video_npy"}  # fmt: skip
    cmd = [
        "espnet_lowrank.bin.avsr_inference",
        "--asr_train_config",
        str(cfg),
        "--asr_model_file",
        str(pth),
        "--output_dir",
        str(out),
        "--modality",
        modality,
        "--nbest",
        "2",
        "--beam_size",
        "3",
        "--ctc_weight",
        "0.3",
        "--maxlenratio",
        "0.5",
    ]
    for s in streams:
        cmd += ["--data_path_and_name_and_type", spec[s]]
    if not in_process:
        return _run(*cmd)
    from espnet_lowrank.bin import avsr_inference

    avsr_inference.main(cmd[1:])


@pytest.mark.parametrize(
    "modality,streams,in_process",
    [("av", ("speech", "video"), False), ("audio", ("speech",), True),
     ("video", ("video",), True)],
)  # fmt: skip
def test_decode_nbest_from_the_packed_model(packed, tmp_path, modality, streams, in_process):
    """``python -m`` for the AV decode; one-stream decodes call ``main`` (same code, faster)."""
    _decode(packed, tmp_path / "out", modality, streams, in_process)
    utts = [line.split()[0] for line in packed["data"]["text"].read_text().splitlines()]
    for n in (1, 2):
        best = tmp_path / "out" / f"{n}best_recog"
        text = best / "text"
        assert text.exists(), f"{n}best_recog/text missing"
        keys = [line.split(maxsplit=1)[0] for line in text.read_text().splitlines()]
        assert sorted(keys) == sorted(utts)
        scores = (best / "score").read_text().splitlines()
        assert len(scores) == len(utts) and all("tensor(" in s for s in scores)


def test_modality_without_its_data_is_a_clear_error(packed, tmp_path):
    from espnet_lowrank.bin import avsr_inference

    cfg = next(packed["unpacked"].rglob("config.yaml"))
    pth = next(packed["unpacked"].rglob("*.pth"))
    with pytest.raises(ValueError, match=r"--modality av needs data named \['video'\]"):
        avsr_inference.main(
            ["--asr_train_config", str(cfg), "--asr_model_file", str(pth), "--output_dir",
             str(tmp_path / "o"), "--data_path_and_name_and_type",
             f"{packed['data']['wav.scp']},speech,sound"]
        )  # fmt: skip


def test_saved_config_inlines_every_rank_map(packed):
    cfg = yaml.safe_load(next(packed["unpacked"].rglob("config.yaml")).read_text())
    assert cfg["model"] == "avsr" and cfg["input_size"] == 16
    for part in ("audio_frontend", "video_frontend", "fusion"):
        assert cfg["model_conf"][f"{part}_conf"]["rank_map"]["resolved"], part
    for part in ("encoder", "decoder"):
        assert cfg[f"{part}_conf"]["rank_map"]["resolved"], part


def test_av_speech2text_refuses_a_non_av_model(tmp_path):
    from espnet_lowrank.bin.avsr_inference import AVSpeech2Text
    from espnet_lowrank.tasks.asr import LowRankASRTask
    from tests.tiny_corpus import write_asr_config, write_corpus

    data = write_corpus(tmp_path / "data", n_utts=2)
    partial = write_asr_config(tmp_path / "asr.yaml", data)
    args = LowRankASRTask.get_parser().parse_args(["--config", str(partial)])
    config = tmp_path / "config.yaml"  # complete, as training writes it
    config.write_text(yaml.safe_dump({k: v for k, v in vars(args).items() if k != "config"}))
    with pytest.raises(ValueError, match="not an AVSR model config"):
        AVSpeech2Text(asr_train_config=str(config), asr_model_file=None)
