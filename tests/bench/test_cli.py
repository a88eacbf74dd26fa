"""Every subcommand at tiny size: JSON schema of the records (no speed is asserted)."""

from __future__ import annotations

import json

import pytest

from espnet_lowrank.bin import bench

COMMON = ["--repeats", "1", "--warmup", "1", "--allow_few_repeats", "--threads", "1"]
RATIO_KEYS = {
    "speedup",
    "speedup_median",
    "dense_min_ms",
    "dense_median_ms",
    "lowrank_min_ms",
    "lowrank_median_ms",
    "environment",
    "repeats",
    "bench",
}


def _run(tmp_path, argv):
    out = tmp_path / "out.json"
    bench.main(argv + COMMON + ["--json", str(out)])
    records = json.loads(out.read_text())
    assert isinstance(records, list) and records
    return records


def test_layer_schema(tmp_path):
    recs = _run(tmp_path, ["layer", "--quick", "--shapes", "32x64", "--tokens", "4"])
    for r in recs:
        assert RATIO_KEYS | {
            "in_features",
            "out_features",
            "rank",
            "tokens",
            "ideal_speedup",
            "efficiency",
            "mode",
            "path",
            "default_path",
        } <= set(r)
        assert r["environment"]["threads"] == 1


def test_train_schema(tmp_path):
    (r,) = _run(tmp_path, ["train", "--sizes", "tiny", "--no_memory"])
    assert RATIO_KEYS | {"param_ratio", "memory_ratio", "dense_params", "lowrank_params"} <= set(r)
    assert r["param_ratio"] == pytest.approx(r["dense_params"] / r["lowrank_params"])
    assert r["param_ratio"] > 1  # lr_sms factorizes something at any size


def test_lm_schema(tmp_path):
    (r,) = _run(tmp_path, ["lm", "--sizes", "tiny", "--no_memory"])
    assert RATIO_KEYS | {"param_ratio", "dense_params", "lowrank_params"} <= set(r)
    assert r["lowrank_params"] < r["dense_params"]


def test_decode_schema(tmp_path):
    (r,) = _run(tmp_path, ["decode", "--sizes", "tiny", "--beam", "2", "--utterances", "1"])
    assert RATIO_KEYS | {"encoder_speedup", "dense_rtf", "lowrank_rtf", "beam"} <= set(r)
    # both variants decode the same number of tokens
    assert r["dense_hyp_tokens"] == r["lowrank_hyp_tokens"] == [r["output_tokens"]]


def test_profile_schema(tmp_path):
    (r,) = _run(tmp_path, ["profile", "--sizes", "tiny"])
    assert {"speedup", "categories", "factorizable_share", "bench", "environment"} <= set(r)
    assert sum(c["share"] for c in r["categories"]) == pytest.approx(1.0)


def test_repeats_below_five_rejected(tmp_path):
    with pytest.raises(SystemExit, match="repeats"):
        bench.main(["layer", "--repeats", "2", "--json", str(tmp_path / "x.json")])


def test_bad_size_named(tmp_path):
    with pytest.raises(SystemExit, match="huge"):
        bench.main(["train", "--sizes", "huge", "--json", str(tmp_path / "x.json")] + COMMON)


def test_train_passes_batch_override_to_memory_probe(monkeypatch):
    from espnet_lowrank.bench import memory, train

    seen = []

    def fake_probe(kind, size, rank_map, **kw):
        seen.append((kind, size, rank_map, kw["batch"], kw["seconds"]))
        peak = 200.0 if rank_map == "dense" else 100.0
        return {"method": "fake", "peak_mb": peak, "resolved": True}

    monkeypatch.setattr(memory, "measure_in_subprocess", fake_probe)
    (r,) = train.run(["tiny"], repeats=1, warmup=0, batch=1, seconds=0.25, log=lambda m: None)
    assert seen == [("asr", "tiny", "dense", 1, 0.25), ("asr", "tiny", "lr_sms", 1, 0.25)]
    assert r["memory_ratio"] == pytest.approx(2.0)
    assert "batch 1 x 0.25 s" in r["model"]


def test_lm_configs_schema(tmp_path):
    """bench lm --lm_configs: one record per config after the first, against the first."""
    tokens = tmp_path / "tokens.txt"
    tokens.write_text("".join(f"t{i}\n" for i in range(20)))
    conf = (
        "lm: {lm}\nlm_conf: {{embed_unit: 8, att_unit: 16, head: 2, unit: 32, layer: 2{extra}}}\n"
    )
    dense, low = tmp_path / "dense.yaml", tmp_path / "low.yaml"
    dense.write_text(conf.format(lm="transformer", extra=""))
    rank_map = ", rank_map: {default: dense, groups: {feed_forward: 4}}"
    low.write_text(conf.format(lm="lowrank_transformer", extra=rank_map))
    (r,) = _run(tmp_path, ["lm", "--lm_configs", str(dense), str(low), "--token_list",
                           str(tokens), "--batch", "2"])  # fmt: skip
    assert r["size"] == "low vs dense" and r["lowrank_params"] < r["dense_params"]
    with pytest.raises(SystemExit, match="needs --token_list"):
        bench.main(["lm", "--lm_configs", str(dense), str(low), "--json", str(tmp_path / "x")])
