"""``egs2/mini_lowrank/asr1/run.sh --smoke true --corpus v1``: every stage on the tiny espeak-ng
corpus (corpus v2's smoke run, every engine, takes about an hour on 2 cores: run by hand).

Runs the recipe from a copy (data, dumps and exp/ go to tmp_path): corpus generation,
formatting, tokens, LM, ASR statistics and training (with the rank analysis of the
baseline), decoding, sclite scoring, RESULTS.md and packing (run.sh skips the upload).
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

from ..hang_guard import guarded_run

REPO = Path(__file__).resolve().parents[2]
MINI = REPO / "egs2" / "mini_lowrank" / "asr1"

pytestmark = pytest.mark.skipif(
    shutil.which("espeak-ng") is None
    or shutil.which("sclite") is None
    and not Path("/usr/lib/sctk/bin/sclite").exists(),
    reason="needs the Debian packages espeak-ng and sctk (make test installs them as root)",
)


def _recipe_copy(tmp: Path) -> Path:
    shutil.copytree(REPO / "egs2" / "TEMPLATE", tmp / "egs2" / "TEMPLATE")
    recipe = tmp / "egs2" / "mini_lowrank" / "asr1"
    recipe.mkdir(parents=True)
    for name in ("run.sh", "path.sh", "cmd.sh", "conf", "local"):
        src = MINI / name
        (shutil.copytree if src.is_dir() else shutil.copy)(src, recipe / name)
    return recipe


@pytest.mark.slow
def test_smoke_run_goes_through_every_stage(tmp_path: Path) -> None:
    recipe = _recipe_copy(tmp_path)
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}:{os.environ['PATH']}")
    r = guarded_run(
        ["bash", "run.sh", "--smoke", "true", "--corpus", "v1", "--python", sys.executable],
        cwd=recipe, env=env, capture_output=True, text=True, timeout=5400,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr[-4000:]
    exp = recipe / "exp" / "asr_train_asr_smoke_raw_en_char"
    results = (recipe / "RESULTS.md").read_text()
    assert "## Comparison" in results and "|WER test|CER test|WER test_unseen|" in results
    assert "## asr_train_asr_smoke_raw_en_char" in results
    assert "### Rank analysis" in results and "rank_analysis/suggested_rank_map.yaml" in results
    assert "![ranks of asr_train_asr_smoke_raw_en_char](exp/" in results
    for test_set in ("test", "test_unseen"):
        dec = next(exp.glob(f"decode_*/{test_set}"))
        for metric in ("wer", "cer"):
            assert "Sum/Avg" in (dec / f"score_{metric}" / "result.txt").read_text()
    assert (exp / "rank_analysis" / "suggested_rank_map.yaml").is_file()
    assert list(exp.glob("*.zip"))  # packed (run.sh skips the upload stage)
    # every stage ran once; a second run skips them all
    again = guarded_run(
        ["bash", "run.sh", "--smoke", "true", "--corpus", "v1", "--python", sys.executable],
        cwd=recipe, env=env, capture_output=True, text=True, timeout=1800,
    )  # fmt: skip
    assert again.returncode == 0, again.stderr[-3000:]
    assert "Stage 8: skipped" in again.stderr and "Stage 8: rank analysis skipped" in again.stderr
