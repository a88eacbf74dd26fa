import pytest
import torch

from espnet_lowrank.avsr.fusion import MLPFusion
from espnet_lowrank.layers import LowRankLinear
from espnet_lowrank.rank_map import RankMapError


def test_concatenates_then_mlp():
    torch.manual_seed(0)
    fusion = MLPFusion(6, 10, hidden_size=12, output_size=8, dropout_rate=0.0).eval()
    a, v = torch.randn(2, 5, 6), torch.randn(2, 5, 10)
    out = fusion(a, v)
    assert out.shape == (2, 5, 8)
    torch.testing.assert_close(out, fusion.mlp(torch.cat([a, v], -1)))
    # both streams matter
    assert not torch.allclose(fusion(a, torch.zeros_like(v)), out)
    assert not torch.allclose(fusion(torch.zeros_like(a), v), out)


def test_rank_map_reaches_both_linears():
    fusion = MLPFusion(6, 10, hidden_size=12, output_size=8, rank_map={"groups": {"mlp": 0.5}})
    first, last = fusion.mlp[0], fusion.mlp[4]
    assert isinstance(first, LowRankLinear) and isinstance(last, LowRankLinear)
    assert (first.rank, last.rank) == (6, 4)  # 0.5 * min(16, 12), 0.5 * min(12, 8)
    n = sum(p.numel() for p in fusion.mlp[0].parameters())
    assert n == 6 * (16 + 12) + 12
    fusion = MLPFusion(6, 10, hidden_size=12, output_size=8, rank_map={"groups": {"output": 3}})
    assert type(fusion.mlp[0]) is torch.nn.Linear and fusion.mlp[4].rank == 3
    assert fusion.rank_map_config()["resolved"] == {"mlp.0": "dense", "mlp.4": 3}


def test_full_rank_svd_factorization_reproduces_the_dense_mlp():
    torch.manual_seed(0)
    dense = MLPFusion(6, 10, hidden_size=12, output_size=8, dropout_rate=0.0).eval()
    torch.manual_seed(0)
    full = MLPFusion(
        6, 10, hidden_size=12, output_size=8, dropout_rate=0.0, rank_map={"groups": {"mlp": 1.0}}
    ).eval()
    a, v = torch.randn(1, 3, 6), torch.randn(1, 3, 10)
    torch.testing.assert_close(full(a, v), dense(a, v), rtol=1e-4, atol=1e-5)


def test_errors():
    with pytest.raises(RankMapError, match="unknown group for the fusion"):
        MLPFusion(4, 4, rank_map={"groups": {"projection": 0.5}})
    with pytest.raises(RankMapError, match="fusion_conf.rank_map: presets and rank-map files"):
        MLPFusion(4, 4, rank_map="lr_sms")
    with pytest.raises(ValueError, match="equal"):
        MLPFusion(4, 4, hidden_size=8, output_size=8)(torch.randn(1, 3, 4), torch.randn(1, 2, 4))
