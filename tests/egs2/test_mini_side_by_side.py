"""``local/side_by_side.sh`` (what ``make demo`` runs) refuses the run.sh flags it cannot take."""

from pathlib import Path

import pytest

from ..hang_guard import guarded_run

SCRIPT = Path(__file__).parents[2] / "egs2" / "mini_lowrank" / "asr1" / "local" / "side_by_side.sh"


@pytest.mark.parametrize("flag", ["--smoke", "--lane"])
def test_run_sh_flags_are_refused_before_anything_runs(flag, tmp_path):
    # run from an empty folder: had the script gone on, ./run.sh would not be found
    proc = guarded_run(["bash", str(SCRIPT), "--python", "python3", flag, "true"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=600)  # fmt: skip
    assert proc.returncode == 2
    assert f"{flag} is a run.sh option this script cannot take" in proc.stderr
    assert not any(tmp_path.iterdir())
