"""Low-rank factorized layers ``y = U (V x) + b``: linear, pointwise Conv1d, Conv2d.

Shapes: ``V`` is ``(rank, in_features)``, ``U`` is ``(out_features, rank)``, so the
layer stores and computes ``rank * (in_features + out_features)`` weights instead
of ``in_features * out_features``.

Initialisation modes (``init``):

- ``"svd"``: draw a dense weight exactly as ``nn.Linear`` would (Kaiming-uniform,
  bound ``1/sqrt(in)``), keep its top-``rank`` SVD ``P S Qᵀ`` and give each factor
  ``√S``: ``U = P √S``, ``V = √S Qᵀ`` (LR-SMS: SVD initialisation).
- ``"spectral"``: the same split of a dense ``N(0, 0.02²)`` draw (the low-rank FFN
  language-model paper, arXiv 2407.09835).
- ``"random"``: ``U`` and ``V`` drawn independently from zero-mean normals whose
  product ``U V`` has the element variance of the dense ``nn.Linear`` init,
  ``1 / (3 in)``, with the variance split evenly between the factors.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar, Dict, Optional, Tuple, Type, TypeVar, Union

import torch
from torch import nn
from torch.nn import functional as F

INIT_MODES = ("svd", "spectral", "random")
_L = TypeVar("_L", bound="LowRankLayer")


def _check_shape(in_features: int, out_features: int, rank: int) -> None:
    for name, value in (("in_features", in_features), ("out_features", out_features)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ValueError(f"{name} must be a positive int, got {value!r}")
    if not isinstance(rank, int) or isinstance(rank, bool):
        raise ValueError(f"rank must be an int, got {rank!r}")
    if not 1 <= rank <= min(in_features, out_features):
        raise ValueError(
            f"rank must be in [1, min(in, out)] = [1, {min(in_features, out_features)}]"
            f" for a {in_features}->{out_features} layer, got {rank}"
        )


def _thin_svd(w: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Thin SVD through a QR of the tall side: several times faster than a direct
    LAPACK SVD for the very rectangular weights of subsampling projections."""
    if w.shape[0] < w.shape[1]:
        p, s, qh = _thin_svd(w.T)
        return qh.T, s, p.T
    q, r = torch.linalg.qr(w)
    p, s, qh = torch.linalg.svd(r)
    return q @ p, s, qh


def svd_factors(weight: torch.Tensor, rank: int) -> Tuple[torch.Tensor, torch.Tensor]:
    """Best rank-``rank`` factors of ``weight`` (out, in): ``U`` (out, r), ``V`` (r, in).

    ``U @ V`` is the truncated SVD of ``weight`` (Eckart–Young optimal in Frobenius
    and spectral norm), with ``√S`` given to each factor. Computed in float64 for
    stability and returned in ``weight``'s dtype.
    """
    w = weight.detach().to(torch.float64)
    p, s, qh = _thin_svd(w)
    root = s[:rank].sqrt()
    u = p[:, :rank] * root
    v = root[:, None] * qh[:rank]
    return u.to(weight.dtype), v.to(weight.dtype)


def _matmul_in(u: torch.Tensor, v: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """``U V`` without autograd, in ``u``'s dtype with autocast off, cast to ``dtype``."""
    with torch.no_grad(), torch.autocast(u.device.type, enabled=False):
        return (u @ v).to(dtype)


class LowRankLayer(nn.Module):
    """What every factorized layer shares: ``W ≈ U V``, init, merged-weight cache, conversion.

    ``V`` is ``(rank, in_features)``, ``U`` is ``(out_features, rank)``, the optional
    bias ``(out_features,)``. The siblings :class:`LowRankLinear`,
    :class:`LowRankPointwiseConv1d` and :class:`LowRankConv2d` add what is particular to
    their kind: ``forward``, the dense type they replace (``DENSE_TYPE``, checked by
    :meth:`check_dense`), how that dense module's shape maps to their arguments
    (:meth:`dense_geometry`) and the dense module they merge into. :data:`LOWRANK_CLASSES`
    maps a rank-map slot's ``kind`` to its class.

    Args:
        in_features: columns of ``W`` (``C_in kh kw`` for a 2-D convolution).
        out_features: rows of ``W`` (output features or channels).
        rank: inner dimension ``r``, ``1 <= r <= min(in_features, out_features)``.
        bias: add a learnable bias of shape ``(out_features,)``.
        init: one of :data:`INIT_MODES` (see the module docstring).
        device, dtype: of the parameters.
    """

    #: ``LayerSlot.kind`` of the layers this class factorizes
    KIND: ClassVar[str]
    #: the dense module type it replaces
    DENSE_TYPE: ClassVar[Type[nn.Module]]

    def __init__(
        self,
        in_features: int,
        out_features: int,
        rank: int,
        bias: bool = True,
        init: str = "svd",
        device: Optional[torch.device] = None,
        dtype: Optional[torch.dtype] = None,
    ) -> None:
        super().__init__()
        _check_shape(in_features, out_features, rank)
        if init not in INIT_MODES:
            raise ValueError(f"init must be one of {INIT_MODES}, got {init!r}")
        kw = {"device": device, "dtype": dtype}
        self.in_features = in_features
        self.out_features = out_features
        self.rank = rank
        self.init = init
        self.V = nn.Parameter(torch.empty(rank, in_features, **kw))
        self.U = nn.Parameter(torch.empty(out_features, rank, **kw))
        if bias:
            self.bias = nn.Parameter(torch.empty(out_features, **kw))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    # ----------------------------------------------------------------- init
    def reset_parameters(self) -> None:
        """Draw the factors per ``self.init`` and the bias as ``nn.Linear`` does."""
        self.reset_factors()
        if self.bias is not None:
            bound = 1.0 / math.sqrt(self.in_features)
            nn.init.uniform_(self.bias, -bound, bound)

    @torch.no_grad()
    def reset_factors(self) -> None:
        """Re-draw ``U`` and ``V`` per ``self.init``; the bias is left as it is."""
        if self.U.is_meta:  # nn.utils.skip_init: the caller fills the factors
            return
        shape = (self.out_features, self.in_features)
        if self.init == "random":
            # Var(U V)_ij = rank * var_u * var_v must equal 1 / (3 in).
            var = 1.0 / (3.0 * self.in_features)
            std = (var / self.rank) ** 0.25
            self.U.normal_(0.0, std)
            self.V.normal_(0.0, std)
            return
        dense = torch.empty(shape, device=self.U.device, dtype=torch.float32)
        if self.init == "svd":
            nn.init.kaiming_uniform_(dense, a=math.sqrt(5))  # what nn.Linear draws
        else:
            dense.normal_(0.0, 0.02)
        u, v = svd_factors(dense, self.rank)
        self.U.copy_(u)
        self.V.copy_(v)

    def espnet_initialization_fn(self) -> None:
        """Hook called by ESPnet's ``initialize(model, init)`` after its own pass.

        ESPnet re-initialises every parameter with ``dim > 1`` independently
        (Xavier, Kaiming, ...), which gives ``U V`` the wrong scale; this restores
        the configured factor initialisation. ESPnet zeroes biases beforehand, and
        they stay zero, as for its dense layers.
        """
        self.reset_factors()

    # -------------------------------------------------------------- compute
    #: Inference (no autograd) uses the cached merged weight ``U V`` in a single
    #: matmul when the factors save little: ``rho = r (in + out) / (in out)`` at
    #: least this. Below it the two thin matmuls read fewer weights and win at every
    #: token count (measured by ``python -m espnet_lowrank.bin.bench layer``: 1.3-3.8x
    #: faster than dense at 1 token where merging was 0.8-1.0x). ``inf`` disables it.
    merge_min_rho: float = 0.8

    def _factors(self) -> Tuple[torch.Tensor, torch.Tensor, bool]:
        """``(U, V, cacheable)``: the factors, and whether their product may be cached.

        Plain parameters are read from ``_parameters`` (``nn.Module.__getattr__`` costs
        about 0.4 µs per lookup, a visible share of a one-token forward of a small
        layer). Factors computed on access (``torch.nn.utils.parametrize``, pruning)
        are resolved the usual way and are not cacheable: each access is a new tensor
        whose address and version say nothing of its source.
        """
        params = self._parameters
        u, v = params.get("U"), params.get("V")
        if u is None or v is None:
            return self.U, self.V, False
        return u, v, True

    def _use_merged(self) -> bool:
        """Whether a forward now takes the merged dense weight (see ``merge_min_rho``)."""
        u, v, _ = self._factors()
        return self._merge_applies(u, v)

    def _merge_applies(self, u: torch.Tensor, v: torch.Tensor) -> bool:
        if torch.is_grad_enabled() and (u.requires_grad or v.requires_grad):
            return False
        i, o = self.in_features, self.out_features
        return self.rank * (i + o) >= self.merge_min_rho * i * o

    def merged_weight(self) -> torch.Tensor:
        """The dense weight ``U V``, ``(out_features, in_features)``."""
        return self.U @ self.V

    def cached_merged_weight(self) -> torch.Tensor:
        """``U V`` computed once and reused while it is what the layer would compute now.

        The product is taken in the factors' dtype with autocast off, then cast once to
        the dtype the matmul will run in (the autocast dtype inside ``torch.autocast``
        on the factors' device, else the factors' own). The cache is keyed on that
        dtype, the factors' device, storage addresses and version counters, and whether
        it was made under ``torch.inference_mode`` (an inference tensor cannot enter
        autograd later). So an in-place change of the factors (optimizer step,
        ``load_state_dict``, ``copy_``), ``.to()``/``.half()``, leaving or entering
        autocast, or replacing ``.data`` all miss it. The cached factors' storages are
        held with it, so a freed address cannot come back with a matching key;
        ``Module._apply`` (``.to()``, ``.cuda()``, ``.half()``) drops it. Changes made
        through ``param.data`` in place bypass the version counter; call
        :meth:`clear_merged_cache` after such edits. Factors computed on access
        (``parametrize``) are multiplied anew at each call, as is everything traced by
        ``torch.compile``/``torch.export``. The product is taken without autograd (no
        ``torch.no_grad`` decorator on the hit path: at one token its overhead is a
        visible share of a small GEMM).
        """
        return self._product(*self._factors())

    def clear_merged_cache(self) -> None:
        """Drop the cached ``U V`` (it is rebuilt on the next merged forward)."""
        self.__dict__.pop("_merged_cache", None)

    def _apply(self, fn, recurse: bool = True):
        self.clear_merged_cache()
        return super()._apply(fn, recurse)

    def _product(self, u: torch.Tensor, v: torch.Tensor, cacheable: bool) -> torch.Tensor:
        dev = u.device.type
        dtype = torch.get_autocast_dtype(dev) if torch.is_autocast_enabled(dev) else u.dtype
        if torch.compiler.is_compiling():  # traced: any autocast is the tracer's to apply
            return u @ v
        if not cacheable:
            return _matmul_in(u, v, dtype)
        key = (
            u.data_ptr(), v.data_ptr(), u._version, v._version, dtype, u.device,
            torch.is_inference_mode_enabled(),
        )  # fmt: skip
        cache = self.__dict__.get("_merged_cache")
        if cache is None or cache[0] != key:
            cache = (key, _matmul_in(u, v, dtype), u.detach(), v.detach())
            self.__dict__["_merged_cache"] = cache
        return cache[1]

    # ------------------------------------------------------------ counting
    @property
    def weight_params(self) -> int:
        """Weights stored by the factors: ``rank * (in + out)``."""
        return self.rank * (self.in_features + self.out_features)

    @property
    def dense_weight_params(self) -> int:
        """Weights of the dense layer this replaces: ``in * out``."""
        return self.in_features * self.out_features

    def flops_per_token(self) -> int:
        """Multiply-accumulates per input vector (output position): ``rank * (in + out)``."""
        return self.weight_params

    # ---------------------------------------------------------- conversion
    @staticmethod
    def check_dense(dense: nn.Module) -> None:
        """Raise ``TypeError`` unless ``dense`` is a module of this kind we can factorize."""
        raise NotImplementedError

    @staticmethod
    def dense_geometry(dense: nn.Module) -> Dict[str, Any]:
        """This class's shape arguments (all but ``rank``, ``bias``, ``init``, ``device``,
        ``dtype``) for a layer of ``dense``'s shape: here ``in_features`` and
        ``out_features`` of its weight matrix ``(out, in)``."""
        shape = dense.weight.shape
        return {"in_features": math.prod(shape[1:]), "out_features": shape[0]}

    def _new_dense(self) -> nn.Module:
        """A new dense module of this layer's shape, on the factors' device and dtype."""
        raise NotImplementedError

    @classmethod
    def _kwargs_like(cls, dense: nn.Module, rank: int, init: str) -> Dict[str, Any]:
        """Constructor arguments for a rank-``rank`` layer of ``dense``'s shape and bias."""
        cls.check_dense(dense)
        w = dense.weight
        return dict(
            cls.dense_geometry(dense), rank=rank, bias=dense.bias is not None, init=init,
            device=w.device, dtype=w.dtype,
        )  # fmt: skip

    @classmethod
    def from_dense(cls: Type[_L], dense: nn.Module, rank: int, init: str = "svd") -> _L:
        """Compress a (trained) dense module of this kind to its best rank-``rank`` form:
        the truncated SVD of its weight matrix ``(out, in)``, and its bias.

        ``init`` is only recorded (it says how ESPnet's ``--init`` re-draws factors).
        """
        layer = nn.utils.skip_init(cls, **cls._kwargs_like(dense, rank, init))
        layer.load_dense_(dense.weight.reshape(layer.out_features, -1), dense.bias)
        return layer

    @classmethod
    def drawn_like(cls: Type[_L], dense: nn.Module, rank: int, init: str) -> _L:
        """A new layer of ``dense``'s shape with factors drawn per ``init`` and the bias
        of ``dense`` (factorizing at ``spectral`` or ``random`` init). It is built as the
        constructor builds it, bias draw included, then takes the dense bias."""
        layer = cls(**cls._kwargs_like(dense, rank, init))
        if dense.bias is not None:
            with torch.no_grad():
                layer.bias.copy_(dense.bias)
        return layer

    @torch.no_grad()
    def load_dense_(self, weight: torch.Tensor, bias: Optional[torch.Tensor]) -> None:
        """Set the factors to the truncated SVD of ``weight`` ``(out, in)`` and copy ``bias``."""
        u, v = svd_factors(weight, self.rank)
        self.U.copy_(u)
        self.V.copy_(v)
        if (bias is None) != (self.bias is None):
            raise ValueError("bias presence differs between the dense and low-rank layer")
        if bias is not None:
            self.bias.copy_(bias)

    def _dense_kw(self) -> Dict[str, Any]:
        """``bias``, ``device``, ``dtype`` for the dense module this layer merges into."""
        return {"bias": self.bias is not None, "device": self.U.device, "dtype": self.U.dtype}

    @torch.no_grad()
    def to_dense(self) -> nn.Module:
        """The merged dense module (``DENSE_TYPE``) computing the same function: ``U V``
        reshaped to its weight, and this layer's bias. What :func:`densify` calls."""
        dense = self._new_dense()
        dense.weight.copy_(self.merged_weight().view_as(dense.weight))
        if self.bias is not None:
            dense.bias.copy_(self.bias)
        return dense

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"rank={self.rank}, bias={self.bias is not None}, init={self.init}"
        )


class LowRankLinear(LowRankLayer):
    """``y = U (V x) + b``: a drop-in for ``nn.Linear`` with a rank-``rank`` weight.

    Args: as :class:`LowRankLayer` (``in_features``, ``out_features`` as ``nn.Linear``).
    Shapes: input ``(*, in_features)`` → output ``(*, out_features)``.
    """

    KIND = "linear"
    DENSE_TYPE = nn.Linear

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x``: ``(*, in_features)`` → ``(*, out_features)``."""
        u, v, cacheable = self._factors()
        if self._merge_applies(u, v):
            return F.linear(x, self._product(u, v, cacheable), self.bias)
        return F.linear(F.linear(x, v), u, self.bias)

    @staticmethod
    def check_dense(dense: nn.Module) -> None:
        """Raise unless ``dense`` is an ``nn.Linear``."""
        if not isinstance(dense, nn.Linear):
            raise TypeError(f"expected nn.Linear, got {type(dense).__name__}")

    @classmethod
    def from_linear(cls, linear: nn.Linear, rank: int, init: str = "svd") -> LowRankLinear:
        """Compress a (trained) ``nn.Linear`` to its best rank-``rank`` approximation."""
        return cls.from_dense(linear, rank, init)

    def _new_dense(self) -> nn.Linear:
        return nn.Linear(self.in_features, self.out_features, **self._dense_kw())

    def to_linear(self) -> nn.Linear:
        """The merged dense ``nn.Linear`` computing the same function."""
        return self.to_dense()


class LowRankPointwiseConv1d(LowRankLayer):
    """Pointwise (kernel size 1) ``nn.Conv1d`` as ``U (V x) + b`` over channels.

    Replaces the Conformer convolution module's ``pointwise_conv1/2``.
    Args: as :class:`LowRankLayer` (``in_features``/``out_features``: the channels).
    Shapes: input ``(batch, in_channels, time)`` → ``(batch, out_channels, time)``.
    """

    KIND = "conv1x1"
    DENSE_TYPE = nn.Conv1d

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x``: ``(B, C_in, T)`` → ``(B, C_out, T)``."""
        u, v, cacheable = self._factors()
        if self._merge_applies(u, v):
            y = torch.matmul(self._product(u, v, cacheable), x)
        else:
            y = torch.matmul(u, torch.matmul(v, x))
        if self.bias is not None:  # in y's dtype, as nn.Conv1d's bias under autocast
            y = y + self.bias.to(y.dtype)[:, None]
        return y

    @staticmethod
    def check_dense(dense: nn.Module) -> None:
        """Raise unless ``dense`` is a plain pointwise convolution we can factorize."""
        if (
            not isinstance(dense, nn.Conv1d)
            or dense.kernel_size != (1,)
            or dense.groups != 1
            or dense.stride != (1,)
            or dense.dilation != (1,)
            or dense.padding not in ((0,), "valid")
        ):
            raise TypeError(f"not a plain pointwise Conv1d: {dense}")

    @classmethod
    def from_conv(cls, conv: nn.Conv1d, rank: int, init: str = "svd") -> LowRankPointwiseConv1d:
        """Compress a (trained) pointwise ``nn.Conv1d`` by truncated SVD."""
        return cls.from_dense(conv, rank, init)

    def _new_dense(self) -> nn.Conv1d:
        return nn.Conv1d(self.in_features, self.out_features, 1, **self._dense_kw())

    def to_conv(self) -> nn.Conv1d:
        """The merged dense pointwise ``nn.Conv1d`` computing the same function."""
        return self.to_dense()


class LowRankConv2d(LowRankLayer):
    """A 2-D convolution whose kernel, seen as a matrix, has rank ``rank``.

    The dense kernel ``(C_out, C_in, kh, kw)`` is the matrix ``W`` of shape
    ``(C_out, C_in kh kw)`` (each row a flattened filter); here ``W ≈ U V``, so the
    layer is a ``rank``-channel ``kh x kw`` convolution with filters ``V`` (same
    stride and padding as the dense one) followed by a 1x1 convolution ``U`` and the
    bias. Weights and multiply-accumulates per output position (``flops_per_token``)
    fall from ``C_out C_in kh kw`` to ``rank (C_in kh kw + C_out)``. Replaces the channel-mixing
    3x3 convolutions of ESPnet's ``Conv2dSubsampling`` (``embed.conv.2``), which the
    linears' rank map cannot otherwise reach. The initialisation modes and the
    cached merged kernel are those of :class:`LowRankLayer` with
    ``in_features = C_in kh kw`` (``nn.Conv2d`` draws its kernel with that fan-in).

    Args:
        in_channels, out_channels: as ``nn.Conv2d``.
        kernel_size, stride, padding: ``(h, w)`` pairs (or ints), as ``nn.Conv2d``.
        rank: ``1 <= rank <= min(C_in kh kw, C_out)``.
        bias, init, device, dtype: as :class:`LowRankLayer`.

    Shapes: input ``(B, C_in, H, W)`` → ``(B, C_out, H', W')`` with ``H'``, ``W'`` as
    for the dense convolution.
    """

    KIND = "conv2d"
    DENSE_TYPE = nn.Conv2d

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: Union[int, Tuple[int, int]],
        rank: int,
        stride: Union[int, Tuple[int, int]] = 1,
        padding: Union[int, Tuple[int, int]] = 0,
        bias: bool = True,
        init: str = "svd",
        device: Optional[torch.device] = None,
        dtype: Optional[torch.dtype] = None,
    ) -> None:
        self.in_channels = in_channels
        self.kernel_size = _pair(kernel_size, "kernel_size")
        self.stride = _pair(stride, "stride")
        self.padding = _pair(padding, "padding", minimum=0)
        kh, kw = self.kernel_size
        super().__init__(
            in_channels * kh * kw, out_channels, rank, bias=bias, init=init, device=device,
            dtype=dtype,
        )  # fmt: skip

    @property
    def out_channels(self) -> int:
        return self.out_features

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x``: ``(B, C_in, H, W)`` → ``(B, C_out, H', W')``."""
        u, v, cacheable = self._factors()
        if self._merge_applies(u, v):
            kernel = self._product(u, v, cacheable).view(
                self.out_features, self.in_channels, *self.kernel_size
            )
            return F.conv2d(x, kernel, self.bias, self.stride, self.padding)
        filters = v.view(self.rank, self.in_channels, *self.kernel_size)
        y = F.conv2d(x, filters, None, self.stride, self.padding)
        return F.conv2d(y, u[:, :, None, None], self.bias)

    @staticmethod
    def check_dense(dense: nn.Module) -> None:
        """Raise unless ``dense`` is a plain (ungrouped, undilated, zero-padded) Conv2d."""
        if (
            not isinstance(dense, nn.Conv2d)
            or dense.groups != 1
            or dense.dilation != (1, 1)
            or dense.padding_mode != "zeros"
            or isinstance(dense.padding, str)
        ):
            raise TypeError(
                f"not a plain Conv2d (groups 1, dilation 1, numeric zero padding): {dense}"
            )

    @staticmethod
    def dense_geometry(dense: nn.Conv2d) -> Dict[str, Any]:
        return {
            "in_channels": dense.in_channels, "out_channels": dense.out_channels,
            "kernel_size": dense.kernel_size, "stride": dense.stride, "padding": dense.padding,
        }  # fmt: skip

    @classmethod
    def from_conv(cls, conv: nn.Conv2d, rank: int, init: str = "svd") -> LowRankConv2d:
        """Compress a (trained) ``nn.Conv2d`` to the best rank-``rank`` kernel matrix."""
        return cls.from_dense(conv, rank, init)

    @classmethod
    def drawn_like(cls, dense: nn.Module, rank: int, init: str) -> LowRankConv2d:
        """As :meth:`LowRankLayer.drawn_like`, but drawing the factors only (no bias is
        drawn and replaced): the random stream, hence a seeded model, stays as it was."""
        layer = nn.utils.skip_init(cls, **cls._kwargs_like(dense, rank, init))
        layer.reset_factors()
        with torch.no_grad():
            if dense.bias is not None:
                layer.bias.copy_(dense.bias)
        return layer

    def _new_dense(self) -> nn.Conv2d:
        return nn.Conv2d(
            self.in_channels, self.out_features, self.kernel_size, stride=self.stride,
            padding=self.padding, **self._dense_kw(),
        )  # fmt: skip

    def to_conv(self) -> nn.Conv2d:
        """The merged dense ``nn.Conv2d`` computing the same function."""
        return self.to_dense()

    def extra_repr(self) -> str:
        return (
            f"{self.in_channels}, {self.out_features}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}, padding={self.padding}, rank={self.rank}, "
            f"bias={self.bias is not None}, init={self.init}"
        )


#: ``LayerSlot.kind`` -> the class that factorizes layers of that kind
LOWRANK_CLASSES: Dict[str, Type[LowRankLayer]] = {
    cls.KIND: cls for cls in (LowRankLinear, LowRankPointwiseConv1d, LowRankConv2d)
}


def _pair(value, name: str, minimum: int = 1) -> Tuple[int, int]:
    """``value`` (int or pair of ints) as a pair; errors name ``name``."""
    pair = (value, value) if isinstance(value, int) and not isinstance(value, bool) else value
    if (
        not isinstance(pair, (tuple, list))
        or len(pair) != 2
        or not all(isinstance(v, int) and not isinstance(v, bool) and v >= minimum for v in pair)
    ):
        raise ValueError(f"{name} must be an int >= {minimum} or a pair of them, got {value!r}")
    return (int(pair[0]), int(pair[1]))
