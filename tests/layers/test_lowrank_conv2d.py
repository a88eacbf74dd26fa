"""LowRankConv2d: a 2-D convolution whose kernel matrix (C_out, C_in kh kw) is U V."""

import math

import pytest
import torch
from torch import nn

from espnet_lowrank.factorize import densify
from espnet_lowrank.layers import LowRankConv2d


def test_full_rank_svd_reproduces_the_dense_convolution():
    torch.manual_seed(0)
    conv = nn.Conv2d(3, 8, kernel_size=3, stride=2)  # kernel matrix 8 x 27: rank <= 8
    lr = LowRankConv2d.from_conv(conv, rank=8)
    x = torch.randn(2, 3, 11, 9)
    torch.testing.assert_close(lr(x), conv(x), rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(lr.to_conv()(x), conv(x), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("stride, padding", [(1, 0), (2, 0), ((2, 1), (1, 0)), (3, 1)])
def test_truncated_layer_is_the_rank_r_kernel_matrix(stride, padding):
    """The two-convolution path equals one convolution with the merged kernel U V,
    and that kernel is the truncated SVD of the dense kernel matrix."""
    torch.manual_seed(0)
    conv = nn.Conv2d(6, 10, kernel_size=(3, 5), stride=stride, padding=padding)
    lr = LowRankConv2d.from_conv(conv, rank=4)
    matrix = conv.weight.detach().flatten(1).double()
    s = torch.linalg.svdvals(matrix)
    err = torch.linalg.matrix_norm(matrix - lr.merged_weight().detach().double())
    assert math.isclose(err.item(), s[4:].square().sum().sqrt().item(), rel_tol=1e-5)
    x = torch.randn(2, 6, 12, 14)
    merged = lr.to_conv()
    assert merged.stride == conv.stride and merged.padding == conv.padding
    y = lr(x)
    assert y.shape == conv(x).shape
    torch.testing.assert_close(y, merged(x), rtol=1e-5, atol=1e-5)


def test_parameters_and_cost_follow_the_kernel_matrix():
    layer = LowRankConv2d(16, 32, 3, rank=5, stride=2)
    assert layer.in_features == 16 * 9 and layer.out_channels == 32
    assert layer.V.shape == (5, 144) and layer.U.shape == (32, 5)
    assert sum(p.numel() for p in layer.parameters()) == 5 * (144 + 32) + 32
    assert layer.flops_per_token() == 5 * (144 + 32)
    assert layer.dense_weight_params == nn.Conv2d(16, 32, 3).weight.numel()


@pytest.mark.parametrize("init", ["svd", "spectral", "random"])
def test_init_scale_matches_the_dense_kernel(init):
    """At full rank the merged kernel has nn.Conv2d's variance 1 / (3 fan_in) (svd,
    random) or 0.02² (spectral)."""
    torch.manual_seed(0)
    layer = LowRankConv2d(16, 160, 3, rank=144, init=init)
    w = layer.merged_weight().detach()
    want = 0.02**2 if init == "spectral" else 1.0 / (3 * 144)
    assert w.var().item() == pytest.approx(want, rel=0.05)


def test_inference_merges_near_break_even_and_training_keeps_factors():
    torch.manual_seed(0)
    layer = LowRankConv2d(4, 6, 3, rank=6).eval()  # rho = 6*42/216 > 0.8: merged
    saving = LowRankConv2d(16, 16, 3, rank=2).eval()
    x = torch.randn(1, 4, 7, 7)
    with torch.no_grad():
        assert layer._use_merged() and not saving._use_merged()
        y = layer(x)
        filters = layer.V.view(6, 4, 3, 3)
        two_step = nn.functional.conv2d(
            nn.functional.conv2d(x, filters), layer.U[:, :, None, None], layer.bias
        )
        torch.testing.assert_close(y, two_step, rtol=1e-5, atol=1e-5)
    layer.train()
    layer(x).sum().backward()
    assert layer.U.grad is not None and layer.V.grad is not None


def test_densify_restores_an_nn_conv2d():
    torch.manual_seed(0)
    model = nn.Sequential(LowRankConv2d(4, 8, 3, rank=3, stride=2), nn.ReLU())
    x = torch.randn(2, 4, 9, 9)
    with torch.no_grad():
        before = model(x)
    assert densify(model) == 1
    assert type(model[0]) is nn.Conv2d and model[0].stride == (2, 2)
    with torch.no_grad():
        torch.testing.assert_close(model(x), before, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize(
    "conv",
    [
        nn.Conv2d(4, 4, 3, groups=2),
        nn.Conv2d(4, 4, 3, dilation=2),
        nn.Conv2d(4, 4, 3, padding="same"),
        nn.Conv2d(4, 4, 3, padding=1, padding_mode="reflect"),
    ],
)
def test_rejects_convolutions_it_cannot_express(conv):
    with pytest.raises(TypeError, match="not a plain Conv2d"):
        LowRankConv2d.from_conv(conv, rank=2)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(kernel_size=0), "kernel_size must be"),
        (dict(kernel_size=(3, 3, 3)), "kernel_size must be"),
        (dict(stride=0), "stride must be"),
        (dict(padding=-1), "padding must be"),
        (dict(rank=37), r"rank must be in \[1, min\(in, out\)\] = \[1, 36\]"),
    ],
)
def test_bad_arguments_name_the_argument(kwargs, message):
    args = dict(in_channels=4, out_channels=40, kernel_size=3, rank=2) | kwargs
    with pytest.raises(ValueError, match=message):
        LowRankConv2d(**args)
