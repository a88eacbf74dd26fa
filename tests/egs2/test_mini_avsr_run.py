"""``egs2/mini_lowrank/avsr1/run.sh`` options: the model subset of one run (two side by side),
the seeds, and the AV models' need for the single-stream models they start from."""

import shutil
from pathlib import Path

import pytest

from ..hang_guard import guarded_run

RECIPE = Path(__file__).parents[2] / "egs2" / "mini_lowrank" / "avsr1"
TAGS = "av_audio_only av_video_only av_full_uniinit av_lr_sms_uniinit av_full av_lr_sms"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--models", "bogus"], f"--models takes {TAGS}, not 'bogus'"),
        (["--models", "av_full av_lr"], f"--models takes {TAGS}, not 'av_lr'"),
        (["--seeds", "0 x"], "--seeds takes integers, not 'x'"),
        (["--smoke", "yes"], "--smoke must be true or false, not 'yes'"),
    ],
)
def test_bad_options_are_refused_before_anything_runs(argv, message, tmp_path):
    proc = guarded_run(["bash", str(RECIPE / "run.sh"), *argv],
                       cwd=tmp_path, capture_output=True, text=True, timeout=600)  # fmt: skip
    assert proc.returncode == 2
    assert proc.stderr.splitlines() == [f"{RECIPE / 'run.sh'}: {message}"]
    assert not any(tmp_path.iterdir())


def test_av_models_without_their_single_stream_models_are_one_message(tmp_path):
    d = tmp_path / "avsr1"
    shutil.copytree(RECIPE, d, ignore=shutil.ignore_patterns("data", "dump", "exp", "downloads"))
    proc = guarded_run(["bash", "run.sh", "--models", "av_lr_sms_uniinit"], cwd=d,
                       capture_output=True, text=True, timeout=600)  # fmt: skip
    assert proc.returncode == 2 and len(proc.stderr.splitlines()) == 1
    assert "exp/asr_av_audio_only/valid.acc.ave.pth" in proc.stderr and not (d / "exp").exists()
