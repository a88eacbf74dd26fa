"""Rank-map suggestion: depth fits, budget search, and a YAML that validates and builds."""

import pytest
import yaml

from espnet_lowrank.analysis.collect import (
    AnalysisError,
    LayerAnalysis,
    ModelAnalysis,
    PartAnalysis,
)
from espnet_lowrank.analysis.suggest import fit_depth, suggest_rank_map
from espnet_lowrank.asr.lowrank_conformer_encoder import (
    ENCODER_SCHEMA,
    LowRankConformerEncoder,
)
from espnet_lowrank.rank_map import load_rank_map, resolve

M = "energy95"
BLOCKS = 4
ENC = dict(
    input_size=20,
    output_size=32,
    attention_heads=2,
    linear_units=64,
    num_blocks=BLOCKS,
    macaron_style=True,
    cnn_module_kernel=3,
)
NOISY = [0.3, 0.05, 0.35, 0.1]  # no depth trend: R^2 low, residual large


def default_profile(slot):
    if slot.group.startswith("attn"):
        return 0.1 + 0.05 * slot.block  # linear in depth
    if slot.group.startswith(("ffn", "macaron")):
        return NOISY[slot.block]
    if slot.group.startswith("conv"):
        return 0.2 + (0.004 if slot.block % 2 else 0.0)  # flat, tiny noise
    return 0.3  # subsampling


@pytest.fixture(scope="module")
def encoder():
    return LowRankConformerEncoder(**ENC, rank_map="dense")


def synthetic(encoder, profile=default_profile):
    """A ModelAnalysis of ``encoder``'s layers whose ``M`` ratio follows ``profile``."""
    pa = PartAnalysis("encoder", ENCODER_SCHEMA, encoder.rank_plan.num_blocks)
    for s in encoder.rank_plan.slots:
        pa.layers.append(LayerAnalysis(s, None, [], {M: profile(s) * s.max_rank}))
    return ModelAnalysis("asr", [M], {"encoder": pa})


def reload_params(path, analysis):
    """(dense, low-rank) params of the factorizable layers, from the YAML file alone."""
    pa = analysis.parts["encoder"]
    ranks = resolve(load_rank_map(str(path), "encoder"), pa.slots, pa.schema, pa.num_blocks)
    return sum(s.params(None) for s in pa.slots), sum(s.params(ranks[s.name]) for s in pa.slots)


def test_fit_depth():
    start, end, r2, rms = fit_depth([0.1, 0.2, 0.3, 0.4])
    assert (start, end, r2) == pytest.approx((0.1, 0.4, 1.0)) and rms == pytest.approx(0)
    assert fit_depth([0.5, 0.5, 0.5]) == pytest.approx((0.5, 0.5, 1.0, 0.0))
    assert fit_depth([0.7]) == (0.7, 0.7, 1.0, 0.0)
    _, _, r2, rms = fit_depth(NOISY)
    assert r2 < 0.8 and rms > 0.02


def test_without_budget_the_measured_profile_is_written(encoder, tmp_path):
    analysis = synthetic(encoder)
    s = suggest_rank_map(analysis, M)
    assert s.scale == 1.0 and s.target is None
    groups = s.maps["encoder"]["groups"]
    assert groups["attn_q"] == {"start": 0.1, "end": 0.25}  # good fit: linear schedule
    assert groups["ffn_w1"] == NOISY  # bad fit: explicit list
    # flat with tiny noise: low R^2, but the RMS residual is within tolerance -> linear
    assert groups["conv_pw1"] == {"start": 0.2008, "end": 0.2032}
    assert groups["subsampling"] == 0.3
    path = s.write(tmp_path / "map.yaml", ["made by a test"])
    text = path.read_text()
    assert text.startswith("# made by a test\n# measure: energy95")
    assert "achieved: factorizable layers" in text and "R^2" in text
    assert reload_params(path, analysis) == (s.params_dense, s.params_lowrank)
    # the file is the rank map the schema documents: sections, groups, schedules
    raw = yaml.safe_load(text)
    assert set(raw) == {"encoder"} and raw["encoder"]["default"] == "dense"


@pytest.mark.parametrize("round_to", [1, 4])
@pytest.mark.parametrize("budget", [0.25, 0.4, 0.6, 0.85])
def test_budget_is_met_within_rounding(encoder, tmp_path, budget, round_to):
    analysis = synthetic(encoder)
    s = suggest_rank_map(analysis, M, param_ratio=budget, round_to=round_to)
    assert s.achieved <= budget + 1e-12
    assert budget - s.achieved <= s.step + 1e-12  # one rank step more would exceed it
    assert 0 < s.step < 0.05
    path = s.write(tmp_path / "map.yaml")
    dense, low = reload_params(path, analysis)
    assert low / dense == pytest.approx(s.achieved, abs=0)
    for slot in analysis.parts["encoder"].slots:
        r = s.ranks["encoder"][slot.name]
        if r is not None:
            assert r % round_to == 0 or r == slot.max_rank
            assert slot.params(r) < slot.params(None)  # factorized layers save parameters
    text = path.read_text()
    assert f"--param_ratio): {budget:g}" in text and f"ratio {s.achieved:.4f}" in text


def test_budget_scales_the_profile_preserving_its_shape(encoder):
    s = suggest_rank_map(synthetic(encoder), M, param_ratio=0.3)
    g = s.maps["encoder"]["groups"]
    assert g["attn_q"]["end"] / g["attn_q"]["start"] == pytest.approx(2.5, rel=1e-2)
    assert g["attn_q"]["start"] == pytest.approx(0.1 * s.scale, abs=1e-4)


def test_suggested_map_builds_the_lowrank_encoder(encoder, tmp_path):
    analysis = synthetic(encoder)
    s = suggest_rank_map(analysis, M, param_ratio=0.5, round_to=2)
    path = s.write(tmp_path / "map.yaml")
    built = LowRankConformerEncoder(**ENC, rank_map=str(path))
    assert built.rank_plan.ranks == s.ranks["encoder"]
    lowrank = sum(sl.params(built.rank_plan.ranks[sl.name]) for sl in built.rank_plan.slots)
    assert lowrank == s.params_lowrank


def test_layers_that_would_save_nothing_stay_dense(encoder):
    s = suggest_rank_map(synthetic(encoder, lambda slot: 0.9), M)
    assert all(r is None for r in s.ranks["encoder"].values())
    assert set(s.maps["encoder"]["layers"]) == {sl.name for sl in encoder.rank_plan.slots}
    assert s.achieved == 1.0
    full = suggest_rank_map(synthetic(encoder), M, param_ratio=1.0)
    assert full.achieved == 1.0


def test_dense_groups(encoder):
    analysis = synthetic(encoder)
    s = suggest_rank_map(analysis, M, param_ratio=0.6, dense_groups=["attention", "subsampling"])
    groups = s.maps["encoder"]["groups"]
    for g in ("attn_q", "attn_k", "attn_v", "attn_out", "attn_pos", "subsampling"):
        assert groups[g] == "dense"
    assert s.achieved <= 0.6
    with pytest.raises(AnalysisError, match="'decoder.attention' matches no group"):
        suggest_rank_map(analysis, M, dense_groups=["decoder.attention"])


@pytest.mark.parametrize("bad", [0.0, -0.5, 1.5])
def test_budget_outside_unit_interval_is_an_error(encoder, bad):
    with pytest.raises(AnalysisError, match=r"--param_ratio must be in \(0, 1\]"):
        suggest_rank_map(synthetic(encoder), M, param_ratio=bad)


def test_unreachable_budget_and_unmeasured_measure_are_errors(encoder):
    analysis = synthetic(encoder)
    with pytest.raises(AnalysisError, match="below the smallest ratio"):
        suggest_rank_map(analysis, M, param_ratio=0.01)
    with pytest.raises(AnalysisError, match="'stable' was not measured"):
        suggest_rank_map(analysis, "stable")
    with pytest.raises(AnalysisError, match="--round_to"):
        suggest_rank_map(analysis, M, round_to=0)
