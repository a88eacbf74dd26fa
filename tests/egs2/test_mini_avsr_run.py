"""``egs2/mini_lowrank/avsr1/run.sh --models``: the model subset of one run (two side by side)."""

from pathlib import Path

import pytest

from ..hang_guard import guarded_run

RECIPE = Path(__file__).parents[2] / "egs2" / "mini_lowrank" / "avsr1"


@pytest.mark.parametrize("models", ["bogus", "av_full av_lr"])
def test_unknown_model_tags_are_refused_before_anything_runs(models, tmp_path):
    proc = guarded_run(["bash", str(RECIPE / "run.sh"), "--models", models],
                       cwd=tmp_path, capture_output=True, text=True, timeout=600)  # fmt: skip
    assert proc.returncode == 2
    assert "--models takes av_audio_only av_video_only av_full av_lr_sms, not '" in proc.stderr
    assert not any(tmp_path.iterdir())
