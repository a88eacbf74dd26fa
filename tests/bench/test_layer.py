"""Layer benchmark: FLOP-ideal formula, target scope, record contents."""

from __future__ import annotations

import pytest

from espnet_lowrank.bench import layer


def test_ideal_speedup_formula():
    # rho = r (in + out) / (in out)
    assert layer.ideal_speedup(512, 512, 64) == pytest.approx(4.0)
    assert layer.ideal_speedup(512, 2048, 128) == pytest.approx(512 * 2048 / (128 * 2560))
    assert layer.ideal_speedup(100, 100, 50) == pytest.approx(1.0)  # break-even rank


def test_rank_for_and_scope():
    assert layer.rank_for(512, 2048, 0.25) == 128
    assert layer.rank_for(10, 10, 0.01) == 1
    assert layer.in_target_scope(512, 2048, 64, 256)
    assert not layer.in_target_scope(256, 2048, 64, 4096)
    assert not layer.in_target_scope(512, 512, 63, 4096)
    assert not layer.in_target_scope(512, 512, 128, 16)


def test_full_grid_has_square_and_ffn_shapes():
    shapes = layer.full_shapes()
    assert (3072, 3072) in shapes and (768, 3072) in shapes and (3072, 768) in shapes


def test_run_records(monkeypatch):
    recs = layer.run(
        [(32, 64)],
        ratios=[0.25],
        tokens=[1, 8],
        repeats=1,
        warmup=1,
        min_sample_s=0.0,
        log=lambda m: None,
    )
    modes = [(r["tokens"], r["mode"], r["path"]) for r in recs]
    assert modes == [
        (1, "train", "factorized"),
        (1, "inference", "factorized"),
        (1, "inference", "merged"),
        (8, "train", "factorized"),
        (8, "inference", "factorized"),
        (8, "inference", "merged"),
    ]
    for r in recs:
        assert r["rank"] == 8
        assert r["ideal_speedup"] == pytest.approx(32 * 64 / (8 * 96))
        assert r["efficiency"] == pytest.approx(r["speedup"] / r["ideal_speedup"])
        assert r["speedup"] == pytest.approx(r["dense_min_ms"] / r["lowrank_min_ms"])
        assert r["in_target_scope"] is False and r["meets_target"] is None
        assert (r["miss_reason"] is not None) == r["slower_than_dense"]
        assert isinstance(r["noisy"], bool)
    # exactly one inference path per case is the layer's own choice
    for n in (1, 8):
        inf = [r for r in recs if r["tokens"] == n and r["mode"] == "inference"]
        assert sum(r["default_path"] for r in inf) == 1
    text = layer.summary(recs)
    assert "0/0 cases" in text


def test_summary_names_missed_cases():
    rec = {
        "in_features": 1024,
        "out_features": 1024,
        "rank": 64,
        "tokens": 4096,
        "mode": "train",
        "path": "factorized",
        "default_path": True,
        "ideal_speedup": 8.0,
        "speedup": 3.0,
        "efficiency": 0.375,
        "in_target_scope": True,
        "meets_target": False,
        "slower_than_dense": False,
        "noisy": False,
    }
    rec["miss_reason"] = layer.miss_reason(rec)
    text = layer.summary([rec])
    assert "0/1 cases" in text and "MISS train 1024x1024 r=64" in text
    assert "small rank 64" in rec["miss_reason"]
