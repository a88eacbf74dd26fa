"""Export an ESPnet encoder (low-rank, or densified by :func:`~espnet_lowrank.factorize.densify`)
to ONNX.

ESPnet's encoders build their padding mask with ``make_pad_mask(ilens)``, whose size is
``ilens.max()``: a shape that depends on tensor data. ``torch.export`` (and the dynamo
ONNX exporter built on it) stops there, for ESPnet's stock ``ConformerEncoder`` as for
ours; ESPnet wrote that mask for JIT tracing, so the TorchScript ONNX exporter
(``dynamo=False``) exports the whole encoder with dynamic batch and time axes.
``torch.export`` does take the factorized layers and the encoder's blocks (see the tests).
Factorized layers export on the path inference takes (merged ``U V`` when the rank saves
little, as a constant; two thin matmuls otherwise). The frontend (STFT, mel) and
normalisation stay outside: the graph maps features to encoder states.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Tuple

import torch
from torch import nn


class EncoderForExport(nn.Module):
    """``encoder(feats, feats_lens)`` without ESPnet's third (state) output.

    Shapes: ``feats`` ``(B, T, D)`` float, ``feats_lens`` ``(B,)`` int64 →
    ``enc`` ``(B, T', d)``, ``enc_lens`` ``(B,)`` (``T'`` after subsampling).
    """

    def __init__(self, encoder: nn.Module) -> None:
        super().__init__()
        self.encoder = encoder

    def forward(
        self, feats: torch.Tensor, feats_lens: torch.Tensor
    ) -> Tuple[torch.Tensor, torch.Tensor]:
        enc, enc_lens, _ = self.encoder(feats, feats_lens)
        return enc, enc_lens


def export_encoder_onnx(
    encoder: nn.Module, path: Path | str, feat_dim: int, frames: int = 64, opset: int = 17
) -> Path:
    """Write ``encoder`` (in eval mode) as ONNX to ``path``; dynamic batch and time.

    Inputs ``feats`` ``(B, T, feat_dim)`` and ``feats_lens`` ``(B,)``; outputs ``enc``,
    ``enc_lens``. Traced on a ``(2, frames, feat_dim)`` example (lengths ``frames`` and
    ``frames - 3``, so the padding mask is traced as data, not as a constant).
    """
    if frames < 16:
        raise ValueError(f"frames must be >= 16 (the subsampling needs them), got {frames}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    model = EncoderForExport(encoder).eval()
    feats = torch.randn(2, frames, feat_dim)
    lens = torch.tensor([frames, frames - 3])
    axes = {
        "feats": {0: "batch", 1: "frames"},
        "feats_lens": {0: "batch"},
        "enc": {0: "batch", 1: "enc_frames"},
        "enc_lens": {0: "batch"},
    }
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer notes on Python conditions in ESPnet's code
        torch.onnx.export(
            model,
            (feats, lens),
            str(path),
            dynamo=False,
            input_names=["feats", "feats_lens"],
            output_names=["enc", "enc_lens"],
            dynamic_axes=axes,
            opset_version=opset,
        )
    return path
