"""Profile: factorizable layers found, shares sum to 1, Amdahl arithmetic."""

from __future__ import annotations

import pytest

from espnet_lowrank.bench import models, profile
from espnet_lowrank.bench.profile import PREFIX, analyse


def test_analyse_shares_and_amdahl():
    fact = {"encoder.a": "attention", "encoder.b": "feed_forward", "decoder.c": "output_layer"}
    times = {
        f"{PREFIX}step": 1000.0,
        f"{PREFIX}fact::encoder.a": 200.0,
        f"{PREFIX}fact::encoder.b": 300.0,
        f"{PREFIX}fact::decoder.c": 100.0,
        f"{PREFIX}rest::attention_modules": 350.0,  # includes the 200 of encoder.a
        f"{PREFIX}optimizer": 50.0,
    }
    ratios = {"encoder.a": 0.25, "encoder.b": 0.5}  # decoder.c stays dense
    res = analyse(times, fact, ratios, param_fraction=0.5)
    cats = {c["category"]: c for c in res["categories"]}
    assert sum(c["share"] for c in res["categories"]) == pytest.approx(1.0)
    assert cats["attention_scores_softmax"]["share"] == pytest.approx(0.15)
    assert cats["other"]["share"] == pytest.approx(1 - 0.6 - 0.15 - 0.05)
    assert res["factorizable_share"] == pytest.approx(0.6)
    saved = 200 * 0.75 + 300 * 0.5
    assert res["speedup"] == pytest.approx(1000 / (1000 - saved))
    assert res["ceiling_all_factorizable_free"] == pytest.approx(1000 / 400)
    assert cats["output_layer"]["flop_ratio"] == pytest.approx(1.0)
    assert res["speedup_with_optimizer_scaled"] == pytest.approx(1000 / (1000 - saved - 25))


def test_profile_tiny_model_end_to_end():
    torch = pytest.importorskip("torch")
    torch.set_num_threads(1)
    (rec,) = profile.run(["tiny"], repeats=1, warmup=1, log=lambda m: None)
    assert rec["unclosed_ranges"] == 0
    shares = [c["share"] for c in rec["categories"]]
    assert sum(shares) == pytest.approx(1.0, abs=1e-6)
    cats = {c["category"]: c for c in rec["categories"]}
    size = models.ASR_SIZES["tiny"]
    # 5 attention linears per encoder block + 8 per decoder block
    assert cats["attention"]["layers"] == 5 * size.blocks + 8 * size.dec_blocks
    assert cats["conv_pointwise"]["layers"] == 2 * size.blocks
    for name in ("attention", "feed_forward", "conv_pointwise", "frontend", "optimizer"):
        assert cats[name]["ms_per_step"] > 0, name
    assert 0 < rec["factorizable_share"] < 1
    assert 1 < rec["speedup"] <= rec["ceiling_all_factorizable_free"]


def test_instrumented_step_survives_in_place_activations():
    """ESPnet 202611's subsampling runs ReLU(inplace=True) on the output of the hooked
    3x3 convolution; the profile's model must still train (and its function is unchanged)."""
    torch = pytest.importorskip("torch")
    size = models.ASR_SIZES["tiny"]
    model = models.build_asr(size, "dense")
    relus = [m for m in model.encoder.embed.conv if isinstance(m, torch.nn.ReLU)]
    assert relus
    for m in relus:
        m.inplace = True
    fact = profile.factorizable_layers(model)
    assert fact["encoder.embed.conv.2"] == "subsampling_conv"
    ranges = profile._instrument(model, fact)
    try:
        loss = model(**models.asr_batch(size))[0]
        loss.backward()
    finally:
        ranges.close()
    assert not any(m.inplace for m in relus)
    assert model.encoder.embed.conv[2].weight.grad is not None
