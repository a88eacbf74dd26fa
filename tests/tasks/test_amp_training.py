"""``use_amp: true`` through our training entry point on a CPU-only machine.

ESPnet 202511's trainer takes ``autocast`` and ``GradScaler`` from ``torch.cuda.amp``:
without CUDA both disable themselves with a warning, so the steps run in float32 and
nothing refuses. This test pins that behaviour (it fails if ESPnet starts autocasting
on CPU, whose path ``tests/test_mixed_precision.py`` covers directly).
"""

import pytest
import torch

from tests.tiny_corpus import run_asr_train, write_asr_config, write_corpus

pytestmark = pytest.mark.slow


def test_use_amp_trains_on_cpu_in_float32(tmp_path):
    data = write_corpus(tmp_path / "data")
    config = write_asr_config(tmp_path / "train.yaml", data, use_amp=True)
    exp = tmp_path / "exp"
    proc = run_asr_train(config, exp)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "GradScaler is enabled, but CUDA is not available" in proc.stderr
    assert "Disabling autocast" in proc.stderr
    state = torch.load(exp / "1epoch.pth", map_location="cpu")
    factors = {k: v for k, v in state.items() if k.endswith((".U", ".V"))}
    assert factors and all(v.dtype == torch.float32 for v in factors.values())
    assert all(torch.isfinite(v).all() for v in factors.values())
