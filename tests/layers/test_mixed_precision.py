"""Every factorized layer under CPU autocast (bfloat16) and held in bfloat16 / float16."""

import pytest
import torch
from torch import nn

from espnet_lowrank.layers import INIT_MODES, LowRankConv2d, LowRankLinear, LowRankPointwiseConv1d
from espnet_lowrank.layers.lowrank_linear import svd_factors

BF16 = dict(device_type="cpu", dtype=torch.bfloat16)
TOL = dict(rtol=3e-2, atol=3e-2)  # bfloat16 keeps 8 significant bits


def _layer(kind: str, rank: int) -> nn.Module:
    """A 12 -> 10 layer of ``kind`` (conv2d: 3 -> 10 channels, 2x2 kernel, 12 = 3*2*2)."""
    if kind == "linear":
        return LowRankLinear(12, 10, rank)
    if kind == "conv1x1":
        return LowRankPointwiseConv1d(12, 10, rank)
    return LowRankConv2d(3, 10, 2, rank, stride=2)


def _input(kind: str) -> torch.Tensor:
    shape = {"linear": (4, 5, 12), "conv1x1": (4, 12, 5), "conv2d": (4, 3, 6, 6)}[kind]
    return torch.randn(*shape)


KINDS = ("linear", "conv1x1", "conv2d")
PATHS = {"factorized": 3, "merged": 10}  # rho 1.1 at rank 10: inference merges


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("path", PATHS)
def test_autocast_forward_backward_and_eval_switching(kind, path):
    torch.manual_seed(0)
    layer = _layer(kind, PATHS[path])
    x = _input(kind)
    reference = layer.to_dense()
    with torch.autocast(**BF16):
        y = layer(x)
        y.float().square().sum().backward()
    assert y.dtype == torch.bfloat16
    torch.testing.assert_close(y.float(), reference(x), **TOL)
    for p in layer.parameters():  # the master weights and their gradients stay float32
        assert p.dtype == torch.float32 and p.grad.dtype == torch.float32
        assert torch.isfinite(p.grad).all() and p.grad.abs().sum() > 0
    layer.eval()
    with torch.no_grad():
        assert layer._use_merged() == (path == "merged")
        for _ in range(2):  # back and forth: nothing cached in one mode leaks into the other
            with torch.autocast(**BF16):
                y16 = layer(x)
            y32 = layer(x)
            assert (y16.dtype, y32.dtype) == (torch.bfloat16, torch.float32)
            torch.testing.assert_close(y32, reference(x), rtol=1e-5, atol=1e-5)
            torch.testing.assert_close(y16.float(), y32, **TOL)
    layer.train()
    with torch.autocast(**BF16):  # and training after an autocast eval still has gradients
        layer(x).float().sum().backward()


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16])
@pytest.mark.parametrize("init", INIT_MODES)
def test_initialisation_in_a_half_precision_model(kind, dtype, init):
    """Factors are drawn and split in float32/float64 and cast back (no half SVD on CPU)."""
    torch.manual_seed(0)
    if kind == "conv2d":
        layer = LowRankConv2d(3, 10, 2, 4, init=init, dtype=dtype)
    else:
        cls = LowRankLinear if kind == "linear" else LowRankPointwiseConv1d
        layer = cls(12, 10, 4, init=init, dtype=dtype)
    assert all(p.dtype == dtype for p in layer.parameters())
    w = layer.U.float() @ layer.V.float()  # (U V in half rounds to full rank)
    assert torch.isfinite(w).all() and torch.linalg.matrix_rank(w).item() == 4
    layer.espnet_initialization_fn()  # ESPnet's --init hook redraws in the same dtype
    assert layer.U.dtype == dtype and torch.isfinite(layer.U).all()


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16])
def test_from_dense_in_half_precision_is_the_truncated_svd(dtype):
    torch.manual_seed(0)
    linear = nn.Linear(12, 10).to(dtype)
    conv1 = nn.Conv1d(12, 10, 1).to(dtype)
    conv2 = nn.Conv2d(3, 10, 2).to(dtype)
    layers = [
        (LowRankLinear.from_linear(linear, 4), linear.weight),
        (LowRankPointwiseConv1d.from_conv(conv1, 4), conv1.weight),
        (LowRankConv2d.from_conv(conv2, 4), conv2.weight),
    ]
    for layer, weight in layers:
        assert layer.U.dtype == layer.V.dtype == layer.bias.dtype == dtype
        u, v = svd_factors(weight.reshape(10, -1).double(), 4)
        tol = 1e-2 if dtype == torch.bfloat16 else 2e-3
        torch.testing.assert_close(layer.merged_weight().double(), u @ v, rtol=tol, atol=tol)
    with torch.no_grad():  # a bfloat16 model runs in bfloat16 on both paths
        x = torch.randn(2, 12, dtype=dtype)
        for rank in (4, 10):
            layer = LowRankLinear.from_linear(linear, rank).eval()
            assert layer(x).dtype == dtype
        torch.testing.assert_close(layer(x).float(), linear(x).float(), rtol=2e-2, atol=2e-2)
