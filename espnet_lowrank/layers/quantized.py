"""Dynamic int8 quantization of factorized layers (``torch.ao.quantization``).

``torch.ao.quantization.quantize_dynamic`` swaps a module only when its exact type is in
both the qconfig spec and the mapping, so ESPnet's ``--quantize_asr_model true``
(``{nn.Linear}``) leaves every :class:`LowRankLinear` in float. The counterparts here
hold dynamically quantized linears (int8 weights, activations quantized per call):

- a layer that saves weights (``rho < merge_min_rho``) becomes two of them, ``V`` then
  ``U``: int8 keeps the low-rank saving (``rank (in + out)`` int8 weights);
- a layer at a rank that saves little (``rho >= merge_min_rho``, where inference takes
  the merged path in float) becomes one linear of the merged ``U V``.

:func:`quantize_dynamic` quantizes a whole model: ``nn.Linear`` as ESPnet does, plus
``LowRankLinear`` and ``LowRankPointwiseConv1d``. ``LowRankConv2d`` stays in float, as
dense ``nn.Conv2d`` does under dynamic quantization.
"""

from __future__ import annotations

import warnings
from typing import Dict, Type

import torch
from torch import nn
from torch.ao.nn.quantized import dynamic as nnqd

from espnet_lowrank.layers.lowrank_linear import (
    LowRankLayer,
    LowRankLinear,
    LowRankPointwiseConv1d,
)


def _quantized_linear(weight, bias, qconfig) -> nnqd.Linear:
    """An ``nnqd.Linear`` holding ``weight`` (out, in) and ``bias`` quantized per ``qconfig``."""
    linear = nn.Linear(weight.shape[1], weight.shape[0], bias=bias is not None)
    with torch.no_grad():
        linear.weight.copy_(weight)
        if bias is not None:
            linear.bias.copy_(bias)
    linear.qconfig = qconfig
    return nnqd.Linear.from_float(linear)


class DynamicQuantizedLowRankLinear(nn.Module):
    """The dynamically quantized form of a :class:`LowRankLinear`.

    Children: ``merged`` (one ``nnqd.Linear`` of ``U V``) or ``V`` (in → rank, no bias)
    and ``U`` (rank → out, with the bias). Shapes: ``(*, in_features)`` →
    ``(*, out_features)``, float in and out.
    """

    _FLOAT_TYPE: Type[LowRankLayer] = LowRankLinear

    def __init__(self, layer: LowRankLayer, qconfig) -> None:
        super().__init__()
        self.in_features, self.out_features, self.rank = (
            layer.in_features, layer.out_features, layer.rank,
        )  # fmt: skip
        u, v = layer.U.detach().float(), layer.V.detach().float()
        bias = None if layer.bias is None else layer.bias.detach().float()
        self.is_merged = layer.weight_params >= layer.merge_min_rho * layer.dense_weight_params
        if self.is_merged:
            self.merged = _quantized_linear(u @ v, bias, qconfig)
        else:
            self.V = _quantized_linear(v, None, qconfig)
            self.U = _quantized_linear(u, bias, qconfig)

    @classmethod
    def from_float(cls, mod: LowRankLayer, use_precomputed_fake_quant: bool = False):
        """What ``torch.ao.quantization.convert`` calls; ``mod.qconfig`` says the dtype."""
        if type(mod) is not cls._FLOAT_TYPE:
            raise TypeError(f"{cls.__name__}.from_float expects {cls._FLOAT_TYPE.__name__}")
        if getattr(mod, "qconfig", None) is None:
            raise ValueError(f"{cls.__name__}.from_float: the layer has no qconfig")
        return cls(mod, mod.qconfig)

    def _linear(self, x: torch.Tensor) -> torch.Tensor:
        if self.is_merged:
            return self.merged(x)
        return self.U(self.V(x))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x``: ``(*, in_features)`` → ``(*, out_features)``."""
        return self._linear(x)

    def extra_repr(self) -> str:
        path = "merged" if self.is_merged else "factorized"
        return f"in_features={self.in_features}, out_features={self.out_features}, " + (
            f"rank={self.rank}, path={path}"
        )


class DynamicQuantizedLowRankPointwiseConv1d(DynamicQuantizedLowRankLinear):
    """The dynamically quantized :class:`LowRankPointwiseConv1d`:
    ``(B, C_in, T)`` → ``(B, C_out, T)`` through the channel-last linears."""

    _FLOAT_TYPE = LowRankPointwiseConv1d

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x``: ``(B, C_in, T)`` → ``(B, C_out, T)``."""
        return self._linear(x.transpose(1, 2)).transpose(1, 2)


#: float type -> quantized counterpart, for ``quantize_dynamic(..., mapping=...)``
DYNAMIC_QUANT_MAPPINGS: Dict[type, type] = {
    LowRankLinear: DynamicQuantizedLowRankLinear,
    LowRankPointwiseConv1d: DynamicQuantizedLowRankPointwiseConv1d,
}


def quantize_dynamic(
    model: nn.Module, dtype: torch.dtype = torch.qint8, inplace: bool = False
) -> nn.Module:
    """``model`` with every ``nn.Linear`` and factorized linear/pointwise layer quantized.

    ``torch.ao.quantization.quantize_dynamic`` with the default mapping plus
    :data:`DYNAMIC_QUANT_MAPPINGS`; ``dtype`` is ``torch.qint8`` or ``torch.float16``.
    The model should be in eval mode (dynamic quantization is for inference).
    Its deprecation notice (torch 2.10+ points at torchao) is silenced: ESPnet's own
    ``--quantize_asr_model`` calls the same function.
    """
    from torch.ao.quantization import quantize_dynamic as torch_quantize_dynamic
    from torch.ao.quantization.quantization_mappings import (
        get_default_dynamic_quant_module_mappings,
    )

    if dtype not in (torch.qint8, torch.float16):
        raise ValueError(f"dtype must be torch.qint8 or torch.float16, got {dtype}")
    mapping = {**get_default_dynamic_quant_module_mappings(), **DYNAMIC_QUANT_MAPPINGS}
    spec = {nn.Linear, *DYNAMIC_QUANT_MAPPINGS}
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="torch.ao.quantization is deprecated")
        return torch_quantize_dynamic(
            model, qconfig_spec=spec, dtype=dtype, mapping=mapping, inplace=inplace
        )
