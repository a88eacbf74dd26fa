"""Apply a resolved rank map to a module tree by name, and undo it (densify)."""

from __future__ import annotations

from torch import nn

from espnet_lowrank.layers import LOWRANK_CLASSES, LowRankLayer
from espnet_lowrank.rank_map import RankPlan


def _set_submodule(root: nn.Module, name: str, module: nn.Module) -> None:
    parent_name, _, child = name.rpartition(".")
    parent = root.get_submodule(parent_name) if parent_name else root
    setattr(parent, child, module)


def factorize(root: nn.Module, plan: RankPlan) -> None:
    """Replace each dense slot of ``root`` that ``plan`` gives a rank by a factorized layer
    (the class of the slot's kind, :data:`~espnet_lowrank.layers.LOWRANK_CLASSES`).

    With ``init="svd"`` (``plan.spec.init``) the factors are the truncated SVD of the
    weight the dense layer already holds (freshly initialised in a new model, trained
    in a converted one), so at full rank the model computes exactly what the dense one
    did. With ``spectral`` or ``random`` the factors are drawn anew and the dense
    layer's bias is kept.
    """
    init = plan.spec.init
    for slot, rank in plan.factorized():
        dense = root.get_submodule(slot.name)
        if isinstance(dense, LowRankLayer):
            raise ValueError(f"{slot.name} is already factorized")
        cls = LOWRANK_CLASSES[slot.kind]
        if init == "svd":
            new = cls.from_dense(dense, rank, init=init)
        else:
            new = cls.drawn_like(dense, rank, init)
        new.train(dense.training)
        _set_submodule(root, slot.name, new)


def densify(root: nn.Module) -> int:
    """Replace every factorized layer below ``root`` by its merged dense module.

    Returns the number of layers replaced. The function computed is unchanged
    (up to float rounding of ``U V``).
    """
    targets = [(n, m) for n, m in root.named_modules() if isinstance(m, LowRankLayer)]
    for name, mod in targets:
        dense = mod.to_dense()
        dense.train(mod.training)
        _set_submodule(root, name, dense)
    return len(targets)
