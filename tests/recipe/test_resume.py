"""checkpoint.pth check before resuming."""

from pathlib import Path

import pytest
import torch

from espnet_lowrank.recipe.resume import checkpoint_epoch


def test_reads_epoch(tmp_path: Path) -> None:
    state = {"model": {}, "reporter": {"epoch": 3}, "optimizers": [], "schedulers": []}
    torch.save(state, tmp_path / "checkpoint.pth")
    assert checkpoint_epoch(tmp_path / "checkpoint.pth") == 3


def test_torn_file_is_named(tmp_path: Path) -> None:
    p = tmp_path / "checkpoint.pth"
    state = {"model": {"w": torch.zeros(1000)}, "reporter": {"epoch": 1}}
    torch.save(dict(state, optimizers=[], schedulers=[]), p)
    p.write_bytes(p.read_bytes()[:500])  # as if killed while saving
    with pytest.raises(ValueError, match="checkpoint.pth is unreadable.*killed while saving"):
        checkpoint_epoch(p)


def test_not_a_training_checkpoint(tmp_path: Path) -> None:
    torch.save({"encoder.w": torch.zeros(2)}, tmp_path / "valid.acc.ave.pth")
    with pytest.raises(ValueError, match="not an ESPnet training checkpoint"):
        checkpoint_epoch(tmp_path / "valid.acc.ave.pth")
