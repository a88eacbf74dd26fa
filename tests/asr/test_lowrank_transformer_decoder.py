"""The low-rank Transformer decoder is a drop-in TransformerDecoder."""

import pytest
import torch

from espnet_lowrank._espnet_import import import_quietly
from espnet_lowrank.asr.lowrank_transformer_decoder import LowRankTransformerDecoder

TransformerDecoder = import_quietly("espnet2.asr.decoder.transformer_decoder")[0].TransformerDecoder

TINY = dict(attention_heads=2, linear_units=32, num_blocks=2)


def run(dec, seed=0):
    torch.manual_seed(seed)
    hs = torch.randn(2, 7, 16)
    hlens = torch.tensor([7, 5])
    ys = torch.randint(0, 11, (2, 4))
    ylens = torch.tensor([4, 3])
    dec.eval()
    with torch.no_grad():
        return dec(hs, hlens, ys, ylens)[0]


def test_dense_and_full_rank_match_espnet():
    torch.manual_seed(1)
    stock = TransformerDecoder(11, 16, **TINY)
    torch.manual_seed(1)
    full = LowRankTransformerDecoder(11, 16, rank_map={"default": 1.0}, **TINY)
    dense = LowRankTransformerDecoder(11, 16, rank_map="dense", **TINY)
    dense.load_state_dict(stock.state_dict())
    torch.testing.assert_close(run(dense), run(stock))
    torch.testing.assert_close(run(full), run(stock), rtol=1e-4, atol=1e-4)


def test_lr_sms_groups_and_beam_search_interface():
    dec = LowRankTransformerDecoder(11, 16, **TINY)
    lowrank = {s.group for s in dec.rank_plan.slots if dec.rank_plan.ranks[s.name] is not None}
    assert "output_layer" not in lowrank
    assert {"self_attn_q", "src_attn_out", "ffn_w1", "ffn_w2"} <= lowrank
    # the scorer interface used by ESPnet's beam search works unchanged
    ys = torch.tensor([[10, 3]])
    x = torch.randn(1, 7, 16)
    logp, states = dec.batch_score(ys, [None], x)
    assert logp.shape == (1, 11) and len(states) == 1


def test_aliases_and_errors():
    dec = LowRankTransformerDecoder(
        11, 16, rank_map={"groups": {"attention": 4, "src_attention": "dense"}}, **TINY
    )
    assert dec.rank_plan.ranks["decoders.0.self_attn.linear_q"] == 4
    assert dec.rank_plan.ranks["decoders.0.src_attn.linear_q"] is None
    from espnet_lowrank.rank_map import RankMapError

    with pytest.raises(
        RankMapError, match=r"decoder_conf\.rank_map\.groups\.attn_q: unknown group"
    ):
        LowRankTransformerDecoder(11, 16, rank_map={"groups": {"attn_q": 4}}, **TINY)
