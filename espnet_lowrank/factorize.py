"""Apply a resolved rank map to a module tree by name, and undo it (densify)."""

from __future__ import annotations

from typing import Mapping, Optional, Sequence

from torch import nn

from espnet_lowrank.layers import LowRankConv2d, LowRankLinear, LowRankPointwiseConv1d
from espnet_lowrank.rank_map import LayerSlot


def _set_submodule(root: nn.Module, name: str, module: nn.Module) -> None:
    parent_name, _, child = name.rpartition(".")
    parent = root.get_submodule(parent_name) if parent_name else root
    setattr(parent, child, module)


def factorize(
    root: nn.Module,
    slots: Sequence[LayerSlot],
    ranks: Mapping[str, Optional[int]],
    init: str = "svd",
) -> None:
    """Replace each dense slot of ``root`` whose rank is not ``None`` by a factorized layer.

    With ``init="svd"`` the factors are the truncated SVD of the weight the dense
    layer already holds (freshly initialised in a new model, trained in a
    converted one), so at full rank the model computes exactly what the dense one
    did. With ``spectral`` or ``random`` the factors are drawn anew and the dense
    layer's bias is kept.
    """
    for slot in slots:
        rank = ranks[slot.name]
        if rank is None:
            continue
        dense = root.get_submodule(slot.name)
        if isinstance(dense, LowRankLinear):
            raise ValueError(f"{slot.name} is already factorized")
        if slot.kind == "conv2d":
            new = LowRankConv2d.from_conv(dense, rank, init=init)  # keeps the dense bias
            if init != "svd":
                new.reset_factors()
        elif init == "svd":
            if slot.kind == "conv1x1":
                new = LowRankPointwiseConv1d.from_conv(dense, rank, init=init)
            else:
                new = LowRankLinear.from_linear(dense, rank, init=init)
        else:
            w = dense.weight
            cls = LowRankPointwiseConv1d if slot.kind == "conv1x1" else LowRankLinear
            new = cls(
                slot.in_features,
                slot.out_features,
                rank,
                bias=slot.bias,
                init=init,
                device=w.device,
                dtype=w.dtype,
            )
            if slot.bias:
                new.bias.data.copy_(dense.bias.data)
        new.train(dense.training)
        _set_submodule(root, slot.name, new)


def densify(root: nn.Module) -> int:
    """Replace every factorized layer below ``root`` by its merged dense module.

    Returns the number of layers replaced. The function computed is unchanged
    (up to float rounding of ``U V``).
    """
    targets = [(n, m) for n, m in root.named_modules() if isinstance(m, LowRankLinear)]
    for name, mod in targets:
        dense = mod.to_dense()
        dense.train(mod.training)
        _set_submodule(root, name, dense)
    return len(targets)
