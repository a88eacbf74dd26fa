"""The low-rank Transformer LM follows the low-rank FFN LM paper's defaults."""

import torch

from espnet_lowrank._espnet_import import import_quietly
from espnet_lowrank.lm.lowrank_transformer_lm import LowRankTransformerLM

TransformerLM = import_quietly("espnet2.lm.transformer_lm")[0].TransformerLM
TINY = dict(embed_unit=8, att_unit=16, head=2, unit=64, layer=3)


def test_default_keeps_first_ffn_and_attention_dense_with_rank_d_over_2():
    lm = LowRankTransformerLM(20, **TINY)
    r = lm.rank_plan.ranks
    assert r["encoder.encoders.0.feed_forward.w_1"] is None
    assert r["encoder.encoders.1.feed_forward.w_1"] == 8  # d/2
    assert r["encoder.encoders.2.feed_forward.w_2"] == 8
    assert all(v is None for k, v in r.items() if "self_attn" in k)
    assert lm.rank_plan.spec.init == "spectral"
    # FFN params at R = d/2 with FFN width 4d: R(d+4d) = 62.5% of 4d^2
    w1 = lm.get_submodule("encoder.encoders.1.feed_forward.w_1")
    assert w1.weight_params / w1.dense_weight_params == 8 * (16 + 64) / (16 * 64) == 0.625


def test_dense_map_equals_espnet_lm_and_scoring_interface():
    stock = TransformerLM(20, **TINY)
    ours = LowRankTransformerLM(20, rank_map="dense", **TINY)
    ours.load_state_dict(stock.state_dict())
    ys = torch.randint(1, 20, (2, 5))
    ours.eval()
    stock.eval()
    with torch.no_grad():
        torch.testing.assert_close(ours(ys, None)[0], stock(ys, None)[0])
    lm = LowRankTransformerLM(20, **TINY).eval()
    logp, _ = lm.batch_score(ys, [None, None], torch.zeros(2, 1, 16))
    assert logp.shape == (2, 20)
    torch.testing.assert_close(logp.exp().sum(-1), torch.ones(2))
