import math

import pytest
import torch
from torch import nn
from torch.nn import functional as F

from espnet_lowrank.layers import LowRankLinear, LowRankPointwiseConv1d
from espnet_lowrank.layers.lowrank_linear import svd_factors


def test_full_rank_svd_reproduces_dense_linear():
    torch.manual_seed(0)
    dense = nn.Linear(12, 7)
    lr = LowRankLinear.from_linear(dense, rank=7)
    x = torch.randn(3, 5, 12)
    torch.testing.assert_close(lr(x), dense(x), rtol=1e-5, atol=1e-5)


def test_truncated_svd_is_the_best_rank_r_approximation():
    torch.manual_seed(0)
    w = torch.randn(9, 6, dtype=torch.float64)
    u, v = svd_factors(w, 3)
    s = torch.linalg.svdvals(w)
    err = torch.linalg.matrix_norm(w - u @ v)
    assert math.isclose(err.item(), s[3:].square().sum().sqrt().item(), rel_tol=1e-9)
    # the split is balanced: both factors carry sqrt(S)
    torch.testing.assert_close(u.norm(dim=0), v.norm(dim=1))


@pytest.mark.parametrize("init", ["svd", "spectral", "random"])
def test_parameter_count_and_shapes(init):
    layer = LowRankLinear(20, 30, rank=4, init=init)
    assert layer.V.shape == (4, 20) and layer.U.shape == (30, 4)
    n = sum(p.numel() for p in layer.parameters())
    assert n == 4 * (20 + 30) + 30 == layer.weight_params + 30
    assert layer.flops_per_token() == 4 * 50
    assert layer(torch.randn(2, 3, 4, 20)).shape == (2, 3, 4, 30)


def test_no_bias():
    layer = LowRankLinear(5, 6, rank=2, bias=False)
    assert layer.bias is None
    assert sum(p.numel() for p in layer.parameters()) == 2 * 11
    assert layer.to_linear().bias is None


@pytest.mark.parametrize(
    "init, expected_var",
    [("svd", None), ("spectral", 0.02**2), ("random", 1.0 / (3 * 256))],
)
def test_init_scale(init, expected_var):
    torch.manual_seed(0)
    layer = LowRankLinear(256, 256, rank=256, init=init)
    w = layer.merged_weight().detach()
    if init == "svd":  # full rank: the nn.Linear draw itself
        expected_var = 1.0 / (3 * 256)
        assert w.abs().max() <= 1 / math.sqrt(256) + 1e-5
    assert w.var().item() == pytest.approx(expected_var, rel=0.05)


def test_low_rank_svd_init_is_truncation_of_a_dense_draw():
    torch.manual_seed(0)
    layer = LowRankLinear(64, 128, rank=8, init="svd")
    w = layer.merged_weight().detach()
    assert torch.linalg.matrix_rank(w).item() == 8
    # the top singular values of a Kaiming-uniform 128x64 draw: all close to the same scale
    s = torch.linalg.svdvals(w)[:8]
    assert s.min() > 0.5 * s.max()


def test_to_linear_round_trip_and_state_dict():
    torch.manual_seed(1)
    layer = LowRankLinear(10, 8, rank=3)
    x = torch.randn(4, 10)
    torch.testing.assert_close(layer.to_linear()(x), layer(x), rtol=1e-5, atol=1e-6)
    other = LowRankLinear(10, 8, rank=3, init="random")
    other.load_state_dict(layer.state_dict())
    torch.testing.assert_close(other(x), layer(x))
    assert set(layer.state_dict()) == {"U", "V", "bias"}


def test_gradients_flow_to_both_factors():
    layer = LowRankLinear(6, 5, rank=2)
    layer(torch.randn(3, 6)).sum().backward()
    assert layer.U.grad is not None and layer.V.grad is not None
    assert layer.U.grad.abs().sum() > 0 and layer.V.grad.abs().sum() > 0


@pytest.mark.parametrize(
    "args, message",
    [
        ((4, 5, 0), "rank must be in"),
        ((4, 5, 5), "rank must be in"),
        ((0, 5, 1), "in_features"),
        ((4, 5, 2.0), "rank must be an int"),
    ],
)
def test_bad_shapes(args, message):
    with pytest.raises(ValueError, match=message):
        LowRankLinear(*args)


def test_bad_init():
    with pytest.raises(ValueError, match="init must be one of"):
        LowRankLinear(4, 4, 2, init="xavier")


def test_pointwise_conv_matches_dense_conv():
    torch.manual_seed(0)
    conv = nn.Conv1d(6, 10, kernel_size=1)
    lr = LowRankPointwiseConv1d.from_conv(conv, rank=6)
    x = torch.randn(2, 6, 13)
    torch.testing.assert_close(lr(x), conv(x), rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(lr.to_conv()(x), conv(x), rtol=1e-5, atol=1e-5)
    low = LowRankPointwiseConv1d.from_conv(conv, rank=2)
    assert low(x).shape == (2, 10, 13)


def test_pointwise_conv_rejects_real_convolutions():
    with pytest.raises(TypeError, match="not a plain pointwise"):
        LowRankPointwiseConv1d.from_conv(nn.Conv1d(4, 4, kernel_size=3), rank=2)
    with pytest.raises(TypeError, match="not a plain pointwise"):
        LowRankPointwiseConv1d.from_conv(nn.Conv1d(4, 4, kernel_size=1, groups=2), rank=2)


def test_espnet_initialize_keeps_factor_scale():
    from espnet2.torch_utils.initialize import initialize

    torch.manual_seed(0)
    model = nn.Sequential(LowRankLinear(256, 512, rank=64), nn.ReLU())
    initialize(model, "xavier_uniform")
    layer = model[0]
    u, v = layer.U.detach(), layer.V.detach()
    # the SVD split is restored: orthogonal columns/rows with equal norms sqrt(s_i)
    # (xavier on U and V independently gives neither)
    torch.testing.assert_close(u.norm(dim=0), v.norm(dim=1), rtol=1e-4, atol=1e-6)
    gram = u.T @ u
    torch.testing.assert_close(gram, torch.diag(torch.diagonal(gram)), atol=1e-4, rtol=0)
    # and the scale of the SVD of an nn.Linear draw: top-64 of a 1/(3*256)-variance matrix
    w = layer.merged_weight().detach()
    dense_var = 1.0 / (3 * 256)
    assert 0.1 * dense_var < w.var().item() < dense_var
    assert torch.count_nonzero(layer.bias) == 0  # ESPnet zeroes biases, we keep that


def test_inference_merges_only_near_break_even_and_invalidates_the_cache():
    torch.manual_seed(0)
    saving = LowRankLinear(64, 64, rank=4).eval()  # rho = 0.125: stays factorized
    layer = LowRankLinear(8, 6, rank=4).eval()  # rho = 4*14/48 > 1: merged is cheaper
    x = torch.randn(3, 8)
    with torch.no_grad():
        assert not saving._use_merged() and layer._use_merged()
        y1 = layer(x)
        w1 = layer.cached_merged_weight()
        assert layer.cached_merged_weight() is w1  # reused
        torch.testing.assert_close(y1, F.linear(F.linear(x, layer.V), layer.U, layer.bias))
        layer.U.add_(1.0)  # an optimizer step changes the factors in place
        w2 = layer.cached_merged_weight()
        assert w2 is not w1
        torch.testing.assert_close(w2, layer.U @ layer.V)
        torch.testing.assert_close(layer(x), x @ (layer.U @ layer.V).T + layer.bias)
    other = LowRankLinear(8, 6, rank=4)
    layer.load_state_dict(other.state_dict())
    with torch.no_grad():
        torch.testing.assert_close(layer(x), other.eval()(x))
    # training (autograd) never uses the cache: gradients reach the factors
    layer.train()
    assert not layer._use_merged()
    layer(x).sum().backward()
    assert layer.U.grad is not None and layer.V.grad is not None


def test_parametrized_factors_are_followed_and_never_cached():
    """Factors computed on access (parametrize) are read the usual way, each forward."""
    from torch.nn.utils import parametrize

    class Double(nn.Module):
        def forward(self, u: torch.Tensor) -> torch.Tensor:
            return 2.0 * u

    torch.manual_seed(0)
    layer = LowRankLinear(8, 6, rank=4)  # rho > 1: inference takes the merged path
    parametrize.register_parametrization(layer, "U", Double())
    x = torch.randn(3, 8)

    def expected() -> torch.Tensor:
        u = 2.0 * layer.parametrizations.U.original
        return F.linear(F.linear(x, layer.V), u, layer.bias)

    layer(x).sum().backward()  # training: the gradient reaches the original factor
    assert layer.parametrizations.U.original.grad is not None
    layer.eval()
    with torch.no_grad():
        assert layer._use_merged()
        torch.testing.assert_close(layer(x), expected())
        layer.parametrizations.U.original.add_(1.0)  # the source changes
        torch.testing.assert_close(layer(x), expected())  # no stale product
    assert "_merged_cache" not in layer.__dict__


def test_merged_and_factorized_paths_agree():
    torch.manual_seed(0)
    for rank in (2, 6):
        layer = LowRankLinear(8, 6, rank=min(rank, 6)).eval()
        conv = LowRankPointwiseConv1d(8, 6, rank=min(rank, 6)).eval()
        for tokens in (1, 300):
            x = torch.randn(tokens, 8)
            xc = torch.randn(1, 8, tokens)
            with torch.no_grad():
                torch.testing.assert_close(
                    layer(x), F.linear(F.linear(x, layer.V), layer.U, layer.bias),
                    atol=1e-5, rtol=1e-5,
                )  # fmt: skip
                torch.testing.assert_close(conv(xc), conv.to_conv()(xc), atol=1e-5, rtol=1e-5)


@pytest.mark.slow
def test_works_under_torch_compile():
    torch.manual_seed(0)
    layer = LowRankLinear(16, 12, rank=4)
    compiled = torch.compile(layer)  # inductor: real code generation
    x = torch.randn(40, 16)
    torch.testing.assert_close(compiled(x), layer(x))
    compiled(x).sum().backward()
    assert layer.U.grad is not None
    with torch.no_grad():
        torch.testing.assert_close(compiled(x[:2]), layer(x[:2]))
    merged = torch.compile(LowRankLinear(8, 6, rank=6).eval())  # the cached merged path
    with torch.no_grad():
        x8 = torch.randn(5, 8)
        torch.testing.assert_close(merged(x8), merged._orig_mod.to_linear()(x8))


def test_merged_cache_follows_autocast_on_and_off():
    """The issue's reproducer: a merged-path layer used under autocast, then without it."""
    layer = LowRankLinear(64, 64, 60).eval()  # rho = 1.9: merged path
    x = torch.randn(3, 64)
    with torch.no_grad():
        for _ in range(2):
            with torch.autocast("cpu", dtype=torch.bfloat16):
                y16 = layer(x)
            y32 = layer(x)
            assert y16.dtype == torch.bfloat16 and y32.dtype == torch.float32
            torch.testing.assert_close(y32, layer.to_linear()(x), rtol=1e-5, atol=1e-5)
            torch.testing.assert_close(y16.float(), y32, rtol=2e-2, atol=2e-2)


def test_merged_cache_follows_dtype_data_and_inference_mode():
    torch.manual_seed(0)
    layer = LowRankLinear(8, 6, rank=4).eval()  # merged path
    x = torch.randn(3, 8)
    with torch.no_grad():
        layer(x)
        layer.to(torch.float64)  # .to() drops the cache; the key knows the dtype anyway
        assert "_merged_cache" not in layer.__dict__
        assert layer(x.double()).dtype == torch.float64
        layer.float()
        layer.U.data = torch.randn(6, 4)  # a new tensor behind the same parameter
        torch.testing.assert_close(layer(x), layer.to_linear()(x))
        layer.U.data.mul_(2.0)  # in place through .data: the version counter misses it
        layer.clear_merged_cache()
        torch.testing.assert_close(layer(x), layer.to_linear()(x))
    # a product cached under inference_mode is an inference tensor, which autograd
    # refuses: a frozen layer whose input needs a gradient must get a normal one
    layer.requires_grad_(False)
    with torch.inference_mode():
        layer(x)
    xg = x.clone().requires_grad_(True)
    layer(xg).sum().backward()
    torch.testing.assert_close(xg.grad, (layer.U @ layer.V).sum(0).expand(3, 8))
