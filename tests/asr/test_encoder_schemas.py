"""Invariants every low-rank encoder keeps against its ESPnet parent (all schemas)."""

import inspect

import pytest
import torch

from espnet_lowrank._espnet_import import import_quietly
from espnet_lowrank.asr.encoder_schemas import BRANCHFORMER, CONFORMER, E_BRANCHFORMER
from espnet_lowrank.asr.lowrank_branchformer_encoder import LowRankBranchformerEncoder
from espnet_lowrank.asr.lowrank_conformer_encoder import LowRankConformerEncoder
from espnet_lowrank.asr.lowrank_e_branchformer_encoder import LowRankEBranchformerEncoder
from espnet_lowrank.asr.lowrank_transformer_encoder import LowRankTransformerEncoder
from espnet_lowrank.factorize import densify
from espnet_lowrank.layers import LowRankLinear
from espnet_lowrank.rank_map import RankMapError

_enc = "espnet2.asr.encoder."
EB, BF, TF = import_quietly(
    _enc + "e_branchformer_encoder", _enc + "branchformer_encoder", _enc + "transformer_encoder"
)
CLASSES = {
    "e_branchformer": (
        LowRankEBranchformerEncoder, EB.EBranchformerEncoder,
        dict(output_size=16, attention_heads=2, cgmlp_linear_units=48, cgmlp_conv_kernel=3,
             use_linear_after_conv=True, use_ffn=True, macaron_ffn=True, linear_units=32,
             num_blocks=3, attention_layer_type="rel_selfattn", pos_enc_layer_type="rel_pos",
             rel_pos_type="latest"),
    ),
    "branchformer": (
        LowRankBranchformerEncoder, BF.BranchformerEncoder,
        dict(output_size=16, attention_heads=2, cgmlp_linear_units=48, cgmlp_conv_kernel=3,
             use_linear_after_conv=True, num_blocks=3, merge_method="concat"),
    ),
    "transformer": (
        LowRankTransformerEncoder, TF.TransformerEncoder,
        dict(output_size=16, attention_heads=2, linear_units=32, num_blocks=3),
    ),
}  # fmt: skip


def forward(enc, seed=0):
    torch.manual_seed(seed)
    enc.eval()
    with torch.no_grad():
        return enc(torch.randn(2, 40, 20), torch.tensor([40, 31]))[0]


def n_params(m):
    return sum(p.numel() for p in m.parameters())


@pytest.fixture(params=sorted(CLASSES))
def case(request):
    return CLASSES[request.param]


def test_signature_is_the_parents_plus_rank_map(case):
    ours, parent, _ = case
    want = [p for p in inspect.signature(parent.__init__).parameters if p != "self"]
    sig = inspect.signature(ours).parameters
    assert list(sig) == want + ["rank_map"] and sig["rank_map"].default == "lr_sms"
    from espnet2.utils.get_default_kwargs import get_default_kwargs

    assert get_default_kwargs(ours)["rank_map"] == "lr_sms"


def test_dense_map_computes_the_parent_with_its_weights(case):
    ours, parent, conf = case
    stock = parent(20, **conf)
    enc = ours(20, rank_map="dense", **conf)
    enc.load_state_dict(stock.state_dict())
    torch.testing.assert_close(forward(enc), forward(stock))
    assert n_params(enc) == n_params(stock)


def test_full_rank_svd_init_reproduces_the_parent(case):
    ours, parent, conf = case
    torch.manual_seed(3)
    stock = parent(20, **conf)
    torch.manual_seed(3)
    enc = ours(20, rank_map={"default": 1.0}, **conf)
    assert [n for n, r in enc.rank_plan.ranks.items() if r is None] == ["embed.conv.2"]
    torch.testing.assert_close(forward(enc), forward(stock), rtol=1e-4, atol=1e-4)


def test_lr_sms_parameter_count_is_the_formula(case):
    ours, parent, conf = case
    enc, stock = ours(20, **conf), parent(20, **conf)
    saved = 0
    for s in enc.rank_plan.slots:
        r = enc.rank_plan.ranks[s.name]
        if r is None:
            assert s.group == "subsampling_conv"
            continue
        mod = enc.get_submodule(s.name)
        assert type(mod) is LowRankLinear and mod.rank == r
        saved += s.in_features * s.out_features - r * (s.in_features + s.out_features)
    assert n_params(stock) - n_params(enc) == saved > 0


def test_state_dict_round_trip_densify_and_mismatch(case):
    ours, parent, conf = case
    enc = ours(20, **conf)
    again = ours(20, rank_map={"resolved": enc.rank_map_config()["resolved"]}, **conf)
    again.load_state_dict(enc.state_dict())
    expected = forward(enc)
    torch.testing.assert_close(forward(again), expected)
    with pytest.raises(RuntimeError, match="checkpoint is low-rank, model layer is dense"):
        ours(20, rank_map="dense", **conf).load_state_dict(enc.state_dict(), strict=False)
    assert densify(enc) == sum(r is not None for r in enc.rank_plan.ranks.values())
    stock = parent(20, **conf)
    stock.load_state_dict(enc.state_dict())  # densified keys are the stock keys
    torch.testing.assert_close(forward(stock), expected, rtol=1e-4, atol=1e-5)


def test_other_encoders_groups_are_accepted_only_when_optional():
    conf = CLASSES["transformer"][2]
    with pytest.raises(RankMapError, match="groups.cgmlp: unknown group for the encoder"):
        LowRankTransformerEncoder(20, rank_map={"groups": {"cgmlp": 0.5}}, **conf)
    enc = LowRankTransformerEncoder(
        20, rank_map={"groups": {"cgmlp": 0.5, "attention": 0.5}, "optional": ["cgmlp"]}, **conf
    )
    assert {s.group for s in enc.rank_plan.slots if enc.rank_plan.ranks[s.name]} == {
        "attn_q", "attn_k", "attn_v", "attn_out"
    }  # fmt: skip
    # a name no encoder has stays an error, optional or not
    with pytest.raises(RankMapError, match="groups.cgmpl: unknown group"):
        LowRankTransformerEncoder(
            20, rank_map={"groups": {"cgmpl": 0.5}, "optional": ["cgmpl"]}, **conf
        )


def test_one_group_name_per_layer_kind_across_encoders():
    assert set(CONFORMER.family) == {"cgmlp", "cgmlp_gate", "cgmlp_proj1", "cgmlp_proj2",
                                     "merge_proj"}  # fmt: skip
    assert "conv_pointwise" in E_BRANCHFORMER.family and "feed_forward" in BRANCHFORMER.family
    assert LowRankConformerEncoder.RANK_SCHEMA is CONFORMER
    for schema in (CONFORMER, E_BRANCHFORMER, BRANCHFORMER):
        assert schema.aliases["attention"] == ("attn_q", "attn_k", "attn_v", "attn_out", "attn_pos")
