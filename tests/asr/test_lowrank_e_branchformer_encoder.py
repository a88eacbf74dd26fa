"""ESPnet's E-Branchformer encoder tests, run on the low-rank class (only the class swapped)."""

import pytest

from espnet_lowrank.asr.lowrank_e_branchformer_encoder import LowRankEBranchformerEncoder
from tests.asr.encoder_cases import ATTENTION_TYPES, branch_conf, run_forward_backward

Encoder = LowRankEBranchformerEncoder


def build(input_layer="conv2d", attention=ATTENTION_TYPES[1], **kw):
    return Encoder(20, **branch_conf(input_layer, attention, **kw))


@pytest.mark.parametrize(
    "input_layer", ["linear", "conv2d", "conv2d1", "conv2d2", "conv2d6", "conv2d8", "embed"]
)
@pytest.mark.parametrize("use_linear_after_conv", [True, False])
def test_forward_backward_per_input_layer(input_layer, use_linear_after_conv):
    enc = build(input_layer, use_linear_after_conv=use_linear_after_conv)
    run_forward_backward(enc, input_layer)


@pytest.mark.parametrize("attention", ATTENTION_TYPES)
@pytest.mark.parametrize("max_pos_emb_len", [128, 5000])
def test_forward_backward_per_attention_type(attention, max_pos_emb_len):
    run_forward_backward(build(attention=attention, max_pos_emb_len=max_pos_emb_len), "conv2d")


@pytest.mark.parametrize(
    "kw",
    [
        dict(use_ffn=True, macaron_ffn=True, linear_units=1024),
        dict(use_ffn=True, macaron_ffn=False, linear_units=2048),
        dict(use_ffn=False, macaron_ffn=True),
        dict(use_ffn=False, macaron_ffn=False),
        dict(merge_conv_kernel=31),
        dict(layer_drop_rate=0.1),
        dict(use_linear_after_conv=True, layer_drop_rate=0.1, merge_conv_kernel=31),
    ],
)
def test_forward_backward_per_block_option(kw):
    run_forward_backward(build(**kw), "conv2d")


@pytest.mark.parametrize(
    "kw",
    [
        dict(input_layer="dummy"),
        dict(rel_pos_type="dummy"),
        dict(pos_enc_layer_type="dummy"),
        dict(pos_enc_layer_type="abc_pos", attention_layer_type="dummy"),
        dict(positionwise_layer_type="dummy"),
    ],
)
def test_invalid_layer_types_raise_espnets_value_error(kw):
    with pytest.raises(ValueError):
        Encoder(20, **kw)


@pytest.mark.parametrize(
    "kw",
    [
        dict(rel_pos_type="latest", pos_enc_layer_type="legacy_rel_pos",
             attention_layer_type="legacy_rel_sselfattn"),
        dict(pos_enc_layer_type="rel_pos", attention_layer_type="legacy_rel_sselfattn"),
        dict(pos_enc_layer_type="legacy_rel_pos", attention_layer_type="rel_sselfattn"),
        dict(attention_layer_type="fast_selfattn", pos_enc_layer_type="rel_pos"),
    ],
)  # fmt: skip
def test_invalid_rel_pos_combinations_raise_espnets_assertion(kw):
    with pytest.raises(AssertionError):
        Encoder(20, **kw)


def test_output_size():
    assert Encoder(20, output_size=256, num_blocks=1).output_size() == 256


def test_lr_sms_factorizes_the_cgmlp_branch_and_the_merge():
    enc = build(output_size=16, cgmlp_linear_units=64, linear_units=32, num_blocks=3,
                use_linear_after_conv=True, use_ffn=True, macaron_ffn=True)  # fmt: skip
    low = {s.group for s in enc.rank_plan.slots if enc.rank_plan.ranks[s.name] is not None}
    assert low == {
        "attn_q", "attn_k", "attn_v", "attn_out", "attn_pos", "ffn_w1", "ffn_w2",
        "macaron_w1", "macaron_w2", "cgmlp_proj1", "cgmlp_proj2", "cgmlp_gate",
        "merge_proj", "subsampling",
    }  # fmt: skip
    # cgMLP ranks ramp over depth like the feed-forward layers: 0.25 -> 0.5 of min(in, out)
    proj1 = [enc.rank_plan.ranks[f"encoders.{b}.cgmlp.channel_proj1.0"] for b in range(3)]
    assert proj1 == [4, 6, 8]
    assert enc.rank_plan.ranks["encoders.0.merge_proj"] == 3  # 0.2 of min(32, 16)
    assert enc.rank_plan.ranks["encoders.2.cgmlp.csgu.linear"] == 8  # 0.25 of the square 32
