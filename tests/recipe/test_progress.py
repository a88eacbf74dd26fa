"""The run-length estimate and the lane progress lines of ``local/side_by_side.sh``."""

from __future__ import annotations

from pathlib import Path

import pytest

from espnet_lowrank.bin import recipe_tools
from espnet_lowrank.errors import InputError
from espnet_lowrank.recipe import progress

MINI = Path(__file__).parents[2] / "egs2" / "mini_lowrank" / "asr1"
TIMING = """\
machine: the reference machine
probe_step_ms: 500
phases: {corpus: 600, prepare: 60, lanes: 3000}
"""


def _timing(tmp_path: Path, text: str = TIMING) -> Path:
    path = tmp_path / "demo_timing.yaml"
    path.write_text(text)
    return path


def test_estimate_scales_the_reference_phases(tmp_path):
    ref = progress.load_reference(_timing(tmp_path))
    text = progress.estimate(ref, 1000.0, ["corpus", "prepare", "lanes"])
    assert text.startswith("expected: about 2 h 02 min on this machine (corpus 20 min, prepare")
    assert "lanes 1 h 40 min" in text and "scaled by 2.00" in text
    assert "1000 ms here and 500 ms on the reference machine" in text
    assert "(lanes 25 min)" in progress.estimate(ref, 250.0, ["lanes"])
    assert "nothing left to do" in progress.estimate(ref, 250.0, [])


@pytest.mark.parametrize(
    "text, message",
    [
        ("machine: m\nphases: {corpus: 1, prepare: 1, lanes: 1}\n", "missing key 'probe_step_ms'"),
        ("machine: m\nprobe_step_ms: 5\nphases: {corpus: 1, lanes: 1}\n",
         "phases must map exactly"),
        ("machine: m\nprobe_step_ms: 0\nphases: {corpus: 1, prepare: 1, lanes: 1}\n",
         "probe_step_ms must be a positive number"),
        ("machine: m\nprobe_step_ms: 5\nphases: {corpus: x, prepare: 1, lanes: 1}\n",
         "corpus must be a positive number of seconds/ms, not 'x'"),
    ],
)  # fmt: skip
def test_timing_file_errors_name_file_and_key(tmp_path, text, message):
    path = _timing(tmp_path, text)
    with pytest.raises(InputError) as e:
        progress.load_reference(path)
    assert message in str(e.value) and str(path) in str(e.value)


def test_the_mini_timing_file_is_valid():
    ref = progress.load_reference(MINI / "conf" / "demo_timing.yaml")
    assert ref.probe_step_ms > 0 and set(ref.phases) == set(progress.PHASES)


def test_remaining_phases(tmp_path):
    assert progress.remaining_phases(tmp_path, ["asr_a"]) == ["corpus", "prepare", "lanes"]
    (tmp_path / "data" / "local").mkdir(parents=True)
    (tmp_path / "data" / "local" / "corpus_info.json").write_text("{}")
    assert progress.remaining_phases(tmp_path, ["asr_a"]) == ["lanes"]
    (tmp_path / "exp" / "asr_a").mkdir(parents=True)
    (tmp_path / "exp" / "asr_a" / "RESULTS.md").write_text("")
    assert progress.remaining_phases(tmp_path, ["asr_a"]) == []


def test_lane_status_follows_the_stage_and_the_epoch(tmp_path):
    log = tmp_path / "lane0.log"
    assert progress.lane_status(log, tmp_path) == "not started"
    log.write_text("2026-12-02T03:30:58 (asr.sh:378) ../../TEMPLATE/asr1/asr.sh ...\n")
    assert progress.lane_status(log, tmp_path) == "preparing"
    exp = tmp_path / "exp" / "asr_a"
    exp.mkdir(parents=True)
    (exp / "config.yaml").write_text("max_epoch: 10\n")
    (exp / "train.log").write_text(
        "[vm] x (abs_task:1885) INFO: [train] Batch sampler: NumElementsBatchSampler(N-batch=731, "
        "batch_bins=250000)\n[vm] x (trainer:811) INFO: 3epoch:train:397-432batch: iter_time=0.0\n"
    )
    with log.open("a") as f:
        f.write("2026-12-02T03:30:58 (asr.sh:379) asr_exp=exp/asr_a lm_exp=exp/lm token_list=t\n")
        f.write("2026-12-02T03:30:58 (asr.sh:569) Stage 8: ASR training -> exp/asr_a (log: x)\n")
    assert progress.lane_status(log, tmp_path) == "asr_a: Stage 8, epoch 3/10, batch 432/731"
    with log.open("a") as f:
        f.write("2026-12-02T04:40:00 (asr.sh:610) Stage 9: decoding test\n")
    assert progress.lane_status(log, tmp_path) == "asr_a: Stage 9"
    with log.open("a") as f:
        f.write("2026-12-02T05:00:00 (asr.sh:940) Successfully finished. [elapsed=5400s]\n")
    assert progress.lane_status(log, tmp_path) == "asr_a: finished"
    line = progress.status_line([log, tmp_path / "none.log"], tmp_path, 0.0)
    assert line.endswith("] lane0: asr_a: finished | lane1: not started")


def test_probe_and_the_tool(tmp_path, capsys):
    ms = progress.probe_step_ms(MINI / "conf" / "train_asr_smoke.yaml", repeats=1)
    assert 0 < ms < 60_000
    timing = _timing(tmp_path)
    smoke = str(MINI / "conf" / "train_asr_smoke.yaml")
    rc = recipe_tools.main(["demo-estimate", "--config", smoke, "--timing", str(timing),
                            "--recipe_dir", str(tmp_path)])  # fmt: skip
    assert rc == 0
    out = capsys.readouterr()
    assert out.out.startswith("expected: about ") and "probe step" in out.err
    assert recipe_tools.main(["demo-estimate", "--config", "x.yaml", "--timing",
                              str(tmp_path / "none.yaml")]) == 2  # fmt: skip
    assert "demo timing file" in capsys.readouterr().err
