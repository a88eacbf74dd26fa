"""Measurements for RESULTS.md: epoch times from train.log, parameters, ranks, RTF."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from espnet_lowrank.bin import model_info
from espnet_lowrank.recipe import measure
from tests.tiny_corpus import write_asr_config, write_corpus

EPOCH = (
    "[vm] 2026-11-25 19:04:55,011 (trainer:394) INFO: {n}epoch results: [train] "
    "iter_time=0.002, loss=73.047, train_time=0.715, time={span}, total_count=311, "
    "[valid] loss=60.384, time=6 seconds, total_count=23"
)


@pytest.mark.parametrize(
    "span, seconds",
    [
        ("3 minutes and 42.58 seconds", 222.58),
        ("45.2 seconds", 45.2),
        ("1 minute and 5 seconds", 65.0),
        ("1 hour, 2 minutes and 3 seconds", 3723.0),
    ],
)
def test_parse_timespan(span: str, seconds: float) -> None:
    assert measure.parse_timespan(span) == pytest.approx(seconds)


def test_parse_timespan_rejects_other_text() -> None:
    with pytest.raises(ValueError, match="not a time span: '3 fortnights'"):
        measure.parse_timespan("3 fortnights")


def test_epoch_seconds_reads_train_part_last_wins(tmp_path: Path) -> None:
    log = tmp_path / "train.log"
    lines = [
        "noise",
        EPOCH.format(n=1, span="2 minutes and 1 seconds"),
        EPOCH.format(n=2, span="59.5 seconds"),
        EPOCH.format(n=2, span="1 minute and 0.5 seconds"),  # resumed run wrote epoch 2 again
    ]
    log.write_text("\n".join(lines) + "\n")
    assert measure.epoch_seconds(log) == {1: 121.0, 2: 60.5}
    log.write_text("no epochs yet\n")
    with pytest.raises(ValueError, match="train.log: no 'Nepoch results"):
        measure.epoch_seconds(log)
    with pytest.raises(FileNotFoundError, match="missing.log"):
        measure.epoch_seconds(tmp_path / "missing.log")


def test_rtf_and_audio_seconds(tmp_path: Path) -> None:
    u2n = tmp_path / "utt2num_samples"
    u2n.write_text("a 16000\nb 32000\n")
    assert measure.audio_seconds(u2n, 16000) == 3.0
    assert measure.real_time_factor(1.5, 2, 3.0) == 1.0
    u2n.write_text("a 16000\nb x\n")
    with pytest.raises(ValueError, match=r"utt2num_samples:2: expected"):
        measure.audio_seconds(u2n, 16000)
    with pytest.raises(ValueError, match="jobs >= 1"):
        measure.real_time_factor(1.0, 0, 3.0)


def test_train_and_decode_records(tmp_path: Path) -> None:
    """The CLI records counts equal to the built model's and the mean epoch time."""
    from espnet_lowrank.tasks.asr import LowRankASRTask

    data = write_corpus(tmp_path / "data", n_utts=2)
    exp = tmp_path / "exp" / "asr_tiny"
    exp.mkdir(parents=True)
    config = write_asr_config(exp / "config.yaml", data)
    args = LowRankASRTask.get_parser().parse_args(["--config", str(config)])
    model = LowRankASRTask.build_model(args)
    with open(config, "a") as f:  # what ESPnet's trainer saves beside the options
        f.write("required:\n- output_dir\n- token_list\ndistributed: false\n")
    (exp / "train.log").write_text(
        EPOCH.format(n=1, span="10 seconds") + "\n" + EPOCH.format(n=2, span="20 seconds") + "\n"
    )
    png = exp / "ranks.png"
    assert model_info.main(["train", "--exp_dir", str(exp), "--plot", str(png)]) == 0
    info = json.loads((exp / "model_info.json").read_text())
    assert info["params_total"] == sum(p.numel() for p in model.parameters())
    assert info["params_encoder"] == sum(p.numel() for p in model.encoder.parameters())
    assert info["params_decoder"] == sum(p.numel() for p in model.decoder.parameters())
    assert info["epoch_seconds"] == 15.0
    assert "factorizable layers" in info["rank_table"] and png.stat().st_size > 1000

    u2n = tmp_path / "utt2num_samples"
    u2n.write_text("a 160000\n")  # 10 s
    for name, wall in (("test", 2.0), ("dev", 4.0)):
        argv = ["decode", "--exp_dir", str(exp), "--set", name, "--wall_seconds", str(wall)]
        assert model_info.main([*argv, "--jobs", "2", "--utt2num_samples", str(u2n)]) == 0
    info = json.loads((exp / "model_info.json").read_text())
    assert info["rtf_sets"] == {"test": 0.4, "dev": 0.8}
    assert info["rtf"] == pytest.approx(0.6)
    assert info["params_total"] == sum(p.numel() for p in model.parameters())  # kept


def test_train_errors_name_the_file(tmp_path: Path, capsys) -> None:
    assert model_info.main(["train", "--exp_dir", str(tmp_path)]) == 2
    assert f"training config not found: {tmp_path / 'config.yaml'}" in capsys.readouterr().err


def test_all_dense_rank_map_is_tabled_as_dense(tmp_path: Path) -> None:
    data = write_corpus(tmp_path / "data", n_utts=2)
    config = write_asr_config(tmp_path / "c.yaml", data, rank_map="dense")
    assert measure.rank_table(config).count("dense") > 0  # low-rank class, all dense
    counts = measure.parameter_counts(config)
    assert counts["params_total"] > counts["params_encoder"] > 0
