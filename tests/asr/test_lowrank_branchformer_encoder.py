"""ESPnet's Branchformer encoder tests, run on the low-rank class (only the class swapped)."""

import pytest

from espnet_lowrank.asr.lowrank_branchformer_encoder import LowRankBranchformerEncoder
from tests.asr.encoder_cases import ATTENTION_TYPES, branch_conf, run_forward_backward

Encoder = LowRankBranchformerEncoder


def build(input_layer="conv2d", attention=ATTENTION_TYPES[1], **kw):
    return Encoder(20, **branch_conf(input_layer, attention, use_attn=True, use_cgmlp=True, **kw))


@pytest.mark.parametrize(
    "input_layer", ["linear", "conv2d", "conv2d1", "conv2d2", "conv2d6", "conv2d8", "embed"]
)
@pytest.mark.parametrize("use_linear_after_conv", [True, False])
def test_forward_backward_per_input_layer(input_layer, use_linear_after_conv):
    run_forward_backward(
        build(input_layer, use_linear_after_conv=use_linear_after_conv), input_layer
    )


@pytest.mark.parametrize("attention", ATTENTION_TYPES)
def test_forward_backward_per_attention_type(attention):
    run_forward_backward(build(attention=attention), "conv2d")


@pytest.mark.parametrize(
    "merge_method, cgmlp_weight, attn_branch_drop_rate",
    [
        ("concat", 0.5, 0.0),
        ("learned_ave", 0.5, 0.0),
        ("learned_ave", 0.5, 0.1),
        ("learned_ave", 0.5, [0.1, 0.1]),
        ("fixed_ave", 0.5, 0.0),
        ("fixed_ave", [0.5, 0.5], 0.0),
        ("fixed_ave", 0.0, 0.0),  # cgMLP branch dropped
        ("fixed_ave", 1.0, 0.0),  # attention branch dropped
    ],
)
@pytest.mark.parametrize("stochastic_depth_rate", [0.0, 0.1, [0.1, 0.1]])
def test_forward_backward_per_merge(
    merge_method, cgmlp_weight, attn_branch_drop_rate, stochastic_depth_rate
):
    enc = build(
        merge_method=merge_method,
        cgmlp_weight=cgmlp_weight,
        attn_branch_drop_rate=attn_branch_drop_rate,
        stochastic_depth_rate=stochastic_depth_rate,
    )
    run_forward_backward(enc, "conv2d")


@pytest.mark.parametrize(
    "kw, error",
    [
        (dict(rel_pos_type="dummy"), ValueError),
        (dict(pos_enc_layer_type="dummy"), ValueError),
        (dict(pos_enc_layer_type="abc_pos", attention_layer_type="dummy"), ValueError),
        (dict(input_layer="fff"), ValueError),
        (dict(merge_method="dummy"), ValueError),
        (dict(num_blocks=2, cgmlp_weight=[0.1, 0.1, 0.1]), ValueError),
        (dict(num_blocks=2, attn_branch_drop_rate=[0.1, 0.1, 0.1]), ValueError),
        (dict(num_blocks=2, stochastic_depth_rate=[0.1]), ValueError),
        (dict(num_blocks=2, stochastic_depth_rate=[0.1, 0.1, 0.1]), ValueError),
        (dict(merge_method="fixed_ave", cgmlp_weight=-1.0), AssertionError),
        (dict(use_attn=False, use_cgmlp=False), AssertionError),
        (dict(rel_pos_type="latest", pos_enc_layer_type="legacy_rel_pos",
              attention_layer_type="legacy_rel_sselfattn"), AssertionError),
        (dict(pos_enc_layer_type="rel_pos", attention_layer_type="legacy_rel_sselfattn"),
         AssertionError),
        (dict(pos_enc_layer_type="legacy_rel_pos", attention_layer_type="rel_sselfattn"),
         AssertionError),
        (dict(attention_layer_type="fast_selfattn", pos_enc_layer_type="rel_pos"),
         AssertionError),
    ],
)  # fmt: skip
def test_invalid_options_raise_espnets_errors(kw, error):
    with pytest.raises(error):
        Encoder(20, **kw)


def test_output_size():
    assert Encoder(20, output_size=256, num_blocks=1).output_size() == 256


@pytest.mark.parametrize(
    "merge_method, cgmlp_weight, merge_in",
    [("concat", 0.5, 32), ("learned_ave", 0.5, 16), ("fixed_ave", 0.5, 16)],
)
def test_lr_sms_factorizes_both_branches_and_the_merge(merge_method, cgmlp_weight, merge_in):
    enc = build(output_size=16, cgmlp_linear_units=64, num_blocks=2, merge_method=merge_method,
                cgmlp_weight=cgmlp_weight)  # fmt: skip
    low = {s.group for s in enc.rank_plan.slots if enc.rank_plan.ranks[s.name] is not None}
    assert low == {
        "attn_q", "attn_k", "attn_v", "attn_out", "attn_pos", "cgmlp_proj1", "cgmlp_proj2",
        "merge_proj", "subsampling",
    }  # fmt: skip
    merge = next(s for s in enc.rank_plan.slots if s.name == "encoders.0.merge_proj")
    assert merge.in_features == merge_in


def test_a_block_without_attention_takes_the_preset():
    """``fixed_ave`` with ``cgmlp_weight: 1.0`` drops the attention branch; the preset's
    ``attention`` group then matches nothing, which its ``optional`` list allows."""
    enc = build(output_size=16, cgmlp_linear_units=64, merge_method="fixed_ave", cgmlp_weight=1.0)
    assert not any(s.group.startswith("attn_") for s in enc.rank_plan.slots)
    with pytest.raises(ValueError, match="groups.attention: matches no layer"):
        build(merge_method="fixed_ave", cgmlp_weight=1.0, rank_map={"groups": {"attention": 0.5}})
