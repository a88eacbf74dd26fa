"""ONNX export of the low-rank encoder and of its densified copy; torch.export of the layers
and of the encoder blocks; what torch.export makes of ESPnet's full encoder."""

import copy

import pytest
import torch

from espnet_lowrank._espnet_import import import_quietly
from espnet_lowrank.asr.lowrank_conformer_encoder import LowRankConformerEncoder
from espnet_lowrank.export import EncoderForExport, export_encoder_onnx
from espnet_lowrank.factorize import densify
from espnet_lowrank.layers import LowRankConv2d, LowRankLinear, LowRankPointwiseConv1d
from tests.asr.test_lowrank_conformer_encoder import TINY

ConformerEncoder = import_quietly("espnet2.asr.encoder.conformer_encoder")[0].ConformerEncoder
AUTO = torch.export.Dim.AUTO
ONNX_TOL = dict(rtol=1e-4, atol=1e-4)  # onnxruntime's float32 kernels vs torch's


def _encoder():
    torch.manual_seed(0)
    enc = LowRankConformerEncoder(20, rank_map={"default": 0.5}, **TINY).eval()
    # the subsampling projection (embed.out.0 in ESPnet 202511, embed.out in 202611) merges
    proj = next(
        m for n, m in enc.named_modules()
        if n.startswith("embed.out") and isinstance(m, LowRankLinear)
    )  # fmt: skip
    proj.merge_min_rho = 0.0
    return enc


def _eager(model, feats, lens):
    with torch.no_grad():
        return EncoderForExport(model).eval()(feats, lens)


@pytest.mark.slow
def test_onnx_encoder_and_densified_encoder_match_eager(tmp_path):
    onnx = pytest.importorskip("onnx")  # the `export` extra (make test installs it)
    ort = pytest.importorskip("onnxruntime")
    enc = _encoder()
    dense = copy.deepcopy(enc)
    assert densify(dense) > 0
    feats, lens = torch.randn(3, 77, 20), torch.tensor([77, 50, 20])  # not the traced shape
    ref = _eager(enc, feats, lens)
    for name, model in (("lowrank", enc), ("dense", dense)):
        path = export_encoder_onnx(model, tmp_path / f"{name}.onnx", feat_dim=20)
        onnx.checker.check_model(str(path))
        sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        out, out_lens = sess.run(None, {"feats": feats.numpy(), "feats_lens": lens.numpy()})
        torch.testing.assert_close(torch.from_numpy(out_lens), ref[1])
        valid = torch.arange(out.shape[1])[None, :] < ref[1][:, None]  # padding is free
        torch.testing.assert_close(torch.from_numpy(out)[valid], ref[0][valid], **ONNX_TOL)
    with pytest.raises(ValueError, match="frames must be >= 16"):
        export_encoder_onnx(enc, tmp_path / "x.onnx", feat_dim=20, frames=8)


@pytest.mark.parametrize(
    "layer, shape",
    [
        (LowRankLinear(12, 10, 3), (4, 5, 12)),
        (LowRankLinear(12, 10, 10), (4, 5, 12)),  # merged path
        (LowRankPointwiseConv1d(12, 10, 3), (4, 12, 5)),
        (LowRankPointwiseConv1d(12, 10, 10), (4, 12, 5)),
        (LowRankConv2d(3, 10, 2, 3, stride=2), (4, 3, 6, 6)),
        (LowRankConv2d(3, 10, 2, 10, stride=2), (4, 3, 6, 6)),
    ],
)
def test_torch_export_of_every_layer_and_path(layer, shape):
    layer.eval()
    x = torch.randn(*shape)
    with torch.no_grad():
        ep = torch.export.export(layer, (x,), dynamic_shapes=({0: AUTO},))
        assert "_merged_cache" not in layer.__dict__  # tracing never caches a product
        x2 = torch.randn(7, *shape[1:])
        torch.testing.assert_close(ep.module()(x2), layer(x2), rtol=1e-6, atol=1e-6)


def test_torch_export_of_an_encoder_block():
    enc = _encoder()
    block = enc.encoders[0]

    def inputs(batch, frames):
        with torch.no_grad():
            xs, pos = enc.embed(torch.randn(batch, frames, 20), None)[0]
        return (xs, pos), torch.ones(batch, 1, xs.size(1), dtype=torch.bool)

    with torch.no_grad():
        ep = torch.export.export(
            block,
            inputs(2, 40),
            dynamic_shapes=(({0: AUTO, 1: AUTO}, {1: AUTO}), {0: AUTO, 2: AUTO}),
        )
        other = inputs(3, 80)
        torch.testing.assert_close(ep.module()(*other)[0][0], block(*other)[0][0])


@pytest.mark.parametrize("cls", ["stock", "lowrank"])
def test_torch_export_of_the_whole_encoder_stops_at_espnets_pad_mask(cls):
    """make_pad_mask(ilens) sizes the mask by ilens.max(): data-dependent, for stock and ours."""
    enc = ConformerEncoder(20, **TINY) if cls == "stock" else _encoder()
    feats, lens = torch.randn(2, 40, 20), torch.tensor([40, 31])
    with torch.no_grad(), pytest.raises(Exception, match="data-dependent"):
        torch.export.export(EncoderForExport(enc.eval()), (feats, lens))
