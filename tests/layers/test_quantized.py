"""Dynamic int8 quantization of factorized layers."""

import pytest
import torch
from torch import nn
from torch.ao.nn.quantized import dynamic as nnqd

from espnet_lowrank.asr.lowrank_conformer_encoder import LowRankConformerEncoder
from espnet_lowrank.layers import (
    LowRankConv2d,
    LowRankLayer,
    LowRankLinear,
    LowRankPointwiseConv1d,
)
from espnet_lowrank.layers.quantized import (
    DynamicQuantizedLowRankLinear,
    DynamicQuantizedLowRankPointwiseConv1d,
    quantize_dynamic,
)
from tests.asr.test_lowrank_conformer_encoder import TINY


def _rel_err(a: torch.Tensor, b: torch.Tensor) -> float:
    return ((a - b).norm() / b.norm()).item()


@pytest.mark.parametrize("rank, path", [(8, "factorized"), (30, "merged")])
def test_linear_is_quantized_on_the_path_float_inference_takes(rank, path):
    torch.manual_seed(0)
    model = nn.Sequential(LowRankLinear(48, 32, rank), nn.ReLU(), nn.Linear(32, 5)).eval()
    x = torch.randn(7, 48)
    with torch.no_grad():
        ref = model(x)
        assert model[0]._use_merged() == (path == "merged")
    q = quantize_dynamic(model)
    assert isinstance(model[0], LowRankLinear)  # not in place by default
    layer = q[0]
    assert type(layer) is DynamicQuantizedLowRankLinear and isinstance(q[2], nnqd.Linear)
    children = {name: type(m) for name, m in layer.named_children()}
    expected = ["merged"] if path == "merged" else ["V", "U"]
    assert children == dict.fromkeys(expected, nnqd.Linear)
    if path == "factorized":  # int8 keeps the saving: rank (in + out) weights
        assert layer.V.weight().shape == (8, 48) and layer.U.weight().shape == (32, 8)
        assert layer.V.weight().dtype == torch.qint8
    assert _rel_err(q(x), ref) < 0.03


def test_pointwise_conv_and_a_whole_encoder():
    torch.manual_seed(0)
    conv = nn.Sequential(LowRankPointwiseConv1d(16, 24, 4)).eval()
    x = torch.randn(2, 16, 9)
    q = quantize_dynamic(conv)
    assert type(q[0]) is DynamicQuantizedLowRankPointwiseConv1d
    assert _rel_err(q(x), conv(x).detach()) < 0.03

    enc = LowRankConformerEncoder(
        20, rank_map={"default": 0.5, "groups": {"subsampling_conv": 0.5}}, **TINY
    )
    enc.eval()
    feats, lens = torch.randn(2, 40, 20), torch.tensor([40, 31])
    with torch.no_grad():
        ref = enc(feats, lens)[0]
    qenc = quantize_dynamic(enc)
    left = {type(m) for m in qenc.modules() if isinstance(m, (LowRankLayer, nn.Linear))}
    assert left == {LowRankConv2d}  # dynamic quantization keeps convolutions in float
    assert any(isinstance(m, DynamicQuantizedLowRankPointwiseConv1d) for m in qenc.modules())
    with torch.no_grad():
        assert _rel_err(qenc(feats, lens)[0], ref) < 0.1


def test_state_dict_round_trip_and_float16():
    torch.manual_seed(0)

    def model():
        return nn.Sequential(LowRankLinear(40, 30, 6), LowRankLinear(30, 30, 28)).eval()

    a, b = quantize_dynamic(model()), quantize_dynamic(model())
    x = torch.randn(3, 40)
    assert not torch.equal(a(x), b(x))
    b.load_state_dict(a.state_dict())
    torch.testing.assert_close(b(x), a(x))
    half = quantize_dynamic(model(), dtype=torch.float16)
    assert half[0].V.extra_repr().endswith("dtype=torch.float16")  # (weight() unpacks to float32)
    with pytest.raises(ValueError, match="qint8 or torch.float16"):
        quantize_dynamic(model(), dtype=torch.quint8)


def test_from_float_errors():
    with pytest.raises(ValueError, match="no qconfig"):
        DynamicQuantizedLowRankLinear.from_float(LowRankLinear(4, 4, 2))
    with pytest.raises(TypeError, match="expects LowRankLinear"):
        DynamicQuantizedLowRankLinear.from_float(LowRankPointwiseConv1d(4, 4, 2))


def test_int8_state_counts_one_byte_per_weight():
    from espnet_lowrank.bench.int8 import state_megabytes

    model = nn.Sequential(LowRankLinear(256, 256, 64), LowRankLinear(256, 256, 240)).eval()
    ratio = state_megabytes(quantize_dynamic(model)) / state_megabytes(model)
    # layer 2 merges (rho 1.9): 256^2 int8 weights instead of 240 * 512 float ones
    ideal = (64 * 512 + 256 * 256) / (4 * (64 * 512 + 240 * 512))  # 0.158
    assert ideal < ratio < 1.2 * ideal


def test_torch_default_spec_leaves_factorized_layers_in_float():
    """What ESPnet's --quantize_asr_model (qconfig spec {nn.Linear}) does to our layers."""
    from torch.ao.quantization import quantize_dynamic as torch_quantize_dynamic

    model = nn.Sequential(LowRankLinear(8, 8, 2), nn.Linear(8, 8)).eval()
    with pytest.warns(DeprecationWarning):
        q = torch_quantize_dynamic(model, {nn.Linear}, dtype=torch.qint8)
    assert type(q[0]) is LowRankLinear and isinstance(q[1], nnqd.Linear)
