"""The low-rank Conformer encoder is a drop-in ConformerEncoder."""

import inspect

import pytest
import torch

from espnet_lowrank._espnet_import import import_quietly
from espnet_lowrank.asr.lowrank_conformer_encoder import LowRankConformerEncoder
from espnet_lowrank.layers import LowRankLinear, LowRankPointwiseConv1d

ConformerEncoder = import_quietly("espnet2.asr.encoder.conformer_encoder")[0].ConformerEncoder

TINY = dict(
    output_size=16,
    attention_heads=2,
    linear_units=40,
    num_blocks=3,
    macaron_style=True,
    rel_pos_type="latest",
    pos_enc_layer_type="rel_pos",
    selfattention_layer_type="rel_selfattn",
    cnn_module_kernel=3,
)


def n_params(m):
    return sum(p.numel() for p in m.parameters())


def forward(enc, seed=0):
    torch.manual_seed(seed)
    x = torch.randn(2, 40, 20)
    lens = torch.tensor([40, 31])
    enc.eval()
    with torch.no_grad():
        return enc(x, lens)[0]


def test_dense_map_equals_espnet_encoder_with_same_weights():
    stock = ConformerEncoder(20, **TINY)
    ours = LowRankConformerEncoder(20, rank_map="dense", **TINY)
    ours.load_state_dict(stock.state_dict())
    torch.testing.assert_close(forward(ours), forward(stock))
    assert n_params(ours) == n_params(stock)


def test_full_rank_svd_init_reproduces_the_dense_model():
    torch.manual_seed(3)
    stock = ConformerEncoder(20, **TINY)
    torch.manual_seed(3)
    ours = LowRankConformerEncoder(20, rank_map={"default": 1.0}, **TINY)
    dense = [name for name, r in ours.rank_plan.ranks.items() if r is None]
    assert dense == ["embed.conv.2"]  # opt-in: default does not reach it
    torch.testing.assert_close(forward(ours), forward(stock), rtol=1e-4, atol=1e-4)


def test_lr_sms_factorizes_every_group_and_counts_match_formula():
    enc = LowRankConformerEncoder(20, **TINY)  # default preset lr_sms
    groups = {s.group for s in enc.rank_plan.slots if enc.rank_plan.ranks[s.name] is not None}
    assert groups == {
        "attn_q", "attn_k", "attn_v", "attn_out", "attn_pos", "ffn_w1", "ffn_w2",
        "macaron_w1", "macaron_w2", "conv_pw1", "conv_pw2", "subsampling",
    }  # fmt: skip
    stock = ConformerEncoder(20, **TINY)
    saved = 0
    for slot in enc.rank_plan.slots:
        r = enc.rank_plan.ranks[slot.name]
        mod = enc.get_submodule(slot.name)
        if slot.group == "subsampling_conv":  # opt-in, not in the preset
            assert r is None and type(mod) is torch.nn.Conv2d
            continue
        want = LowRankPointwiseConv1d if slot.kind == "conv1x1" else LowRankLinear
        assert type(mod) is want and mod.rank == r
        bias = slot.out_features if slot.bias else 0
        assert (
            sum(p.numel() for p in mod.parameters())
            == r * (slot.in_features + slot.out_features) + bias
        )
        saved += slot.in_features * slot.out_features - r * (slot.in_features + slot.out_features)
    assert n_params(stock) - n_params(enc) == saved > 0
    # ranks grow linearly with depth in the feed-forward layers
    ffn = [enc.rank_plan.ranks[f"encoders.{b}.feed_forward.w_1"] for b in range(3)]
    assert ffn[0] < ffn[2] and ffn == sorted(ffn)


@pytest.mark.parametrize(
    "kw",
    [
        dict(input_layer="conv2d"),
        dict(input_layer="conv2d6"),
        dict(input_layer="conv2d8"),
        dict(input_layer="linear"),
        dict(
            pos_enc_layer_type="abs_pos", selfattention_layer_type="selfattn", rel_pos_type="legacy"
        ),
        dict(
            pos_enc_layer_type="rel_pos",
            selfattention_layer_type="rel_selfattn",
            rel_pos_type="legacy",
        ),
        dict(macaron_style=False, use_cnn_module=False),
        dict(interctc_layer_idx=[1], interctc_use_conditioning=False),
        dict(positionwise_layer_type="conv1d", positionwise_conv_kernel_size=3),
    ],
)
def test_builds_and_trains_wherever_espnet_builds(kw):
    conf = {**TINY, **kw}
    enc = LowRankConformerEncoder(20, **conf)
    stock = ConformerEncoder(20, **conf)
    x = torch.randn(2, 64, 20, requires_grad=True)
    lens = torch.tensor([64, 50])
    out, olens, _ = enc(x, lens)
    ref, rlens, _ = stock(x, lens)
    if isinstance(out, tuple):  # interctc: (output, [(layer, intermediate), ...])
        assert len(out[1]) == len(ref[1])
        out, ref = out[0], ref[0]
    assert out.shape == ref.shape and torch.equal(olens, rlens)
    out.sum().backward()
    assert all(p.grad is not None for p in enc.parameters() if p.requires_grad)


def test_tiny_widths_resolve_to_valid_ranks():
    enc = LowRankConformerEncoder(
        20, output_size=2, attention_heads=1, linear_units=2, num_blocks=1,
        rank_map={"round_to": 64, "default": 0.01, "groups": {"subsampling_conv": 0.01}},
    )  # fmt: skip
    assert set(enc.rank_plan.ranks.values()) <= {1, 2}
    enc(torch.randn(1, 16, 20), torch.tensor([16]))


def test_signature_is_the_parents_plus_rank_map():
    parent = inspect.signature(ConformerEncoder.__init__).parameters
    ours = inspect.signature(LowRankConformerEncoder).parameters
    assert list(ours)[:-1] == [p for p in parent if p != "self"]
    assert ours["rank_map"].default == "lr_sms"
    for name in parent:
        if name != "self":
            assert ours[name].default == parent[name].default


def test_print_config_defaults_include_rank_map():
    from espnet2.utils.get_default_kwargs import get_default_kwargs

    kw = get_default_kwargs(LowRankConformerEncoder)
    assert kw["rank_map"] == "lr_sms" and kw["num_blocks"] == 6


def test_state_dict_round_trip_and_densify():
    from espnet_lowrank.factorize import densify

    enc = LowRankConformerEncoder(20, **TINY)
    again = LowRankConformerEncoder(
        20, rank_map={"resolved": enc.rank_map_config()["resolved"]}, **TINY
    )
    again.load_state_dict(enc.state_dict())
    torch.testing.assert_close(forward(again), forward(enc))
    expected = forward(enc)
    assert densify(enc) == sum(r is not None for r in enc.rank_plan.ranks.values())
    stock = ConformerEncoder(20, **TINY)
    stock.load_state_dict(enc.state_dict())  # densified keys are the stock keys
    torch.testing.assert_close(forward(stock), expected, rtol=1e-4, atol=1e-5)


def test_mismatched_checkpoints_fail_loudly_even_non_strict():
    lowrank = LowRankConformerEncoder(20, **TINY)
    dense = LowRankConformerEncoder(20, rank_map="dense", **TINY)
    with pytest.raises(RuntimeError, match="checkpoint is dense, model layer is low-rank"):
        lowrank.load_state_dict(dense.state_dict(), strict=False)
    with pytest.raises(RuntimeError, match="checkpoint is low-rank, model layer is dense"):
        dense.load_state_dict(lowrank.state_dict(), strict=False)
    other = LowRankConformerEncoder(20, rank_map="uniform", **TINY)
    with pytest.raises(RuntimeError, match="size mismatch"):
        other.load_state_dict(lowrank.state_dict(), strict=False)
    missing = {k: v for k, v in lowrank.state_dict().items() if "encoders.1.self_attn" not in k}
    with pytest.raises(RuntimeError, match=r"encoders\.1\.self_attn\.linear_q: not in the"):
        lowrank.load_state_dict(missing, strict=False)


@pytest.mark.parametrize("rank_map", ["lr_sms", "dense"])
def test_every_weight_is_checked_bias_included_both_directions(rank_map):
    """A missing bias, a missing factor or an extra key fails even non-strict."""
    enc = LowRankConformerEncoder(20, rank_map=rank_map, **TINY)
    state = enc.state_dict()
    name = "encoders.0.feed_forward.w_1"
    first = "V" if enc.rank_plan.ranks[name] is not None else "weight"
    for drop, extra, message in [
        (f"{name}.bias", None, rf"{name}: missing \['bias'\]"),
        (f"{name}.{first}", None, rf"{name}: missing \['{first}'\]"),
        (None, "encoders.0.self_attn.linear_pos.bias", r"linear_pos: unexpected \['bias'\]"),
    ]:
        broken = {k: v for k, v in state.items() if k != drop}
        if extra is not None:  # linear_pos has no bias
            broken[extra] = torch.zeros(enc.get_submodule(extra[: -len(".bias")]).out_features)
        with pytest.raises(RuntimeError, match=message):
            enc.load_state_dict(broken, strict=False)
    if first == "V":  # factors and a dense weight side by side
        both = dict(state, **{f"{name}.weight": torch.zeros(1)})
        with pytest.raises(RuntimeError, match=rf"{name}: unexpected \['weight'\]"):
            enc.load_state_dict(both, strict=False)


def test_espnet_initialize_keeps_factor_structure():
    from espnet2.torch_utils.initialize import initialize

    enc = LowRankConformerEncoder(20, **TINY)
    initialize(enc, "xavier_uniform")
    layer = enc.get_submodule("encoders.0.feed_forward.w_1")
    torch.testing.assert_close(layer.U.norm(dim=0), layer.V.norm(dim=1), rtol=1e-4, atol=1e-6)
    forward(enc)


@pytest.mark.parametrize("input_layer, convs", [("conv2d", 1), ("conv2d6", 1), ("conv2d8", 2)])
def test_subsampling_conv_is_opt_in_and_factorizes_the_channel_mixing_convs(input_layer, convs):
    from espnet_lowrank.layers import LowRankConv2d

    conf = {**TINY, "input_layer": input_layer}
    everything = LowRankConformerEncoder(20, rank_map={"default": 0.5}, **conf)
    slots = [s for s in everything.rank_plan.slots if s.group == "subsampling_conv"]
    assert len(slots) == convs and all(s.kind == "conv2d" for s in slots)
    assert all(everything.rank_plan.ranks[s.name] is None for s in slots)  # default skips it

    enc = LowRankConformerEncoder(20, rank_map={"groups": {"subsampling_conv": 0.5}}, **conf)
    stock = ConformerEncoder(20, **conf)
    saved = 0
    for s in slots:
        mod = enc.get_submodule(s.name)
        dense = stock.get_submodule(s.name)
        # kernel matrix (16, 16 k k): rank 0.5 * 16
        assert type(mod) is LowRankConv2d and mod.rank == 8
        assert s.in_features == dense.weight[0].numel() and s.out_features == 16
        saved += dense.weight.numel() - mod.weight_params
    assert n_params(stock) - n_params(enc) == saved > 0
    x = torch.randn(2, 64, 20, requires_grad=True)
    lens = torch.tensor([64, 50])
    out, olens, _ = enc(x, lens)
    ref, rlens, _ = stock(x, lens)
    assert out.shape == ref.shape and torch.equal(olens, rlens)
    out.sum().backward()
    assert all(p.grad is not None for p in enc.parameters())


def test_full_rank_subsampling_conv_reproduces_the_dense_model():
    torch.manual_seed(3)
    stock = ConformerEncoder(20, **TINY)
    torch.manual_seed(3)
    ours = LowRankConformerEncoder(
        20, rank_map={"default": 1.0, "groups": {"subsampling_conv": 1.0}}, **TINY
    )
    assert all(r is not None for r in ours.rank_plan.ranks.values())
    torch.testing.assert_close(forward(ours), forward(stock), rtol=1e-4, atol=1e-4)


def test_resolved_maps_saved_before_subsampling_conv_existed_still_load():
    """Configs written by earlier releases list no ``embed.conv.2``: it stays dense."""
    enc = LowRankConformerEncoder(20, **TINY)
    resolved = enc.rank_map_config()["resolved"]
    assert resolved["embed.conv.2"] == "dense"
    old = {k: v for k, v in resolved.items() if k != "embed.conv.2"}
    again = LowRankConformerEncoder(20, rank_map={"resolved": old}, **TINY)
    again.load_state_dict(enc.state_dict())
    torch.testing.assert_close(forward(again), forward(enc))
    # other layers must still be listed
    del old["encoders.0.self_attn.linear_q"]
    with pytest.raises(ValueError, match=r"layers not listed \['encoders.0.self_attn.linear_q'\]"):
        LowRankConformerEncoder(20, rank_map={"resolved": old}, **TINY)


def test_random_init_of_the_subsampling_conv_keeps_the_dense_bias():
    torch.manual_seed(5)
    stock = ConformerEncoder(20, **TINY)
    torch.manual_seed(5)
    enc = LowRankConformerEncoder(
        20, rank_map={"init": "random", "groups": {"subsampling_conv": 0.5}}, **TINY
    )
    dense, conv = stock.embed.conv[2], enc.embed.conv[2]
    assert conv.init == "random"
    torch.testing.assert_close(conv.bias, dense.bias)
    # drawn anew, not the truncated SVD of the dense kernel: U and V are not balanced
    assert not torch.allclose(conv.U.norm(dim=0), conv.V.norm(dim=1), rtol=1e-3)
