"""``bench/gpu.sh --device cpu``: the GPU script's dry run, so it cannot rot without a GPU."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
SCRIPT = Path(__file__).resolve().parents[2] / "bench" / "gpu.sh"


def test_cpu_dry_run_writes_every_table_and_record(tmp_path):
    out = tmp_path / "out"
    env = dict(os.environ, PYTHON=sys.executable)
    proc = subprocess.run(
        ["bash", str(SCRIPT), "--device", "cpu", "--out", str(out)],
        capture_output=True, text=True, env=env, timeout=1200,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    for dtype in ("float32", "bfloat16"):
        for cmd in ("layer", "train", "decode"):
            recs = json.loads((out / f"{cmd}_{dtype}.json").read_text())
            assert recs and all(r["bench"] == cmd and r["dtype"] == dtype for r in recs)
            assert all(r["device"] == "cpu" and r["speedup"] > 0 for r in recs)
            assert (out / f"{cmd}_{dtype}.md").read_text().startswith(f"== {cmd} {dtype}")
    layer = json.loads((out / "layer_bfloat16.json").read_text())
    assert {r["path"] for r in layer} == {"factorized", "merged"}
    assert all(r["ideal_speedup"] > 0 for r in layer)  # realised vs ideal
    assert "ideal 1/ρ" in proc.stdout


def test_bad_option_is_named(tmp_path):
    proc = subprocess.run(
        ["bash", str(SCRIPT), "--device", "tpu"], capture_output=True, text=True, cwd=tmp_path
    )
    assert proc.returncode == 2 and "--device must be cuda or cpu, got tpu" in proc.stderr
