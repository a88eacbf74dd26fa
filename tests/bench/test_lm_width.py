"""``bench lm_width``: FLOP ideals and parameter counts follow the formulas (no speed asserted)."""

from __future__ import annotations

import json

import pytest
import torch

from espnet_lowrank.bench import lm_width
from espnet_lowrank.bin import bench


def test_ffn_ideal_formula():
    assert lm_width.ffn_ideal(256, 128) == pytest.approx(1.6)  # R = d/2
    assert lm_width.ffn_ideal(256, 64) == pytest.approx(3.2)  # R = d/4


def test_lowrank_ffn_counts_and_shapes():
    ffn = lm_width.lowrank_ffn(16, 4)
    n = sum(p.numel() for p in ffn.parameters())
    assert n == 4 * (16 + 64) + 64 + 4 * (64 + 16) + 16  # U V per matrix, biases
    assert ffn(torch.randn(2, 3, 16)).shape == (2, 3, 16)


def test_linear_flops_counts_factors():
    lin = torch.nn.Linear(8, 4)
    assert lm_width.linear_flops(lin, 10) == 2 * 10 * 32
    ffn = lm_width.lowrank_ffn(16, 4)
    assert lm_width.linear_flops(ffn, 1) == 2 * (4 * (16 + 64) + 4 * (64 + 16))


def test_cli_records(tmp_path):
    out = tmp_path / "w.json"
    bench.main(["lm_width", "--widths", "32", "--ratios", "0.5,0.25", "--batch", "1",
                "--repeats", "1", "--allow_few_repeats", "--threads", "1", "--quick",
                "--json", str(out)])  # fmt: skip
    recs = json.loads(out.read_text())
    assert sorted((r["what"], r["rank"]) for r in recs) == [
        ("ffn", 8), ("ffn", 16), ("step", 8), ("step", 16)
    ]  # fmt: skip
    for r in recs:
        assert r["lowrank_params"] < r["dense_params"]
        assert r["realised_over_ideal"] == pytest.approx(r["speedup"] / r["ideal"])
        if r["what"] == "ffn":
            assert r["ideal"] == pytest.approx(lm_width.ffn_ideal(32, r["rank"]))
        else:  # block 0's FFN and the attention stay dense: below the FFN ideal
            assert 1 < r["ideal"] < lm_width.ffn_ideal(32, r["rank"])
