"""Two CPU processes (gloo) under torchrun: factor gradients are all-reduced."""

import os
import sys
from pathlib import Path

import pytest
import torch

from ..hang_guard import guarded_run

pytestmark = pytest.mark.slow


def test_factor_gradients_are_synchronised(tmp_path):
    worker = Path(__file__).with_name("ddp_worker.py")
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(Path(__file__).parents[2])}
    proc = guarded_run(
        [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2",
         "--master_addr", "127.0.0.1", "--master_port", "29531", str(worker), str(tmp_path)],
        capture_output=True, text=True, timeout=3600, env=env,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    r0 = torch.load(tmp_path / "rank0.pt")
    r1 = torch.load(tmp_path / "rank1.pt")
    assert r0["synced"].keys() == r1["synced"].keys() and len(r0["synced"]) > 10
    same = [n for n in r0["local"] if torch.allclose(r0["local"][n], r1["local"][n])]
    assert not same, f"different data should give different local gradients: {same}"
    for name in r0["synced"]:
        # DDP made them equal: their mean
        torch.testing.assert_close(r0["synced"][name], r1["synced"][name])
        mean = (r0["local"][name] + r1["local"][name]) / 2
        torch.testing.assert_close(r0["synced"][name], mean, rtol=1e-4, atol=1e-6)
