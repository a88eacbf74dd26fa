"""Rank changes of peft LoRA layers in place: SVD truncation (warm-up) and resizing.

A peft ``lora.Linear`` computes ``y = W0 x + s * B (A x)`` with ``A`` (r, in),
``B`` (out, r) and ``s = scaling``. Truncation to rank ``k`` replaces ``s B A`` by
its best rank-``k`` approximation (Eckart-Young): with ``s B A = U S V^T``,
``B' = U_k sqrt(S_k / s')`` and ``A' = sqrt(S_k / s') V_k^T``, so that
``s' B' A' = U_k S_k V_k^T``. The factors become *new* ``nn.Parameter`` objects
(autograd caches a leaf's shape, so resizing ``.data`` in place breaks the next
backward); ``swap_optimizer_params`` points optimizers at them and drops the
old moments.
"""

from __future__ import annotations

from typing import Dict, Iterable, List, Tuple

import torch

Swap = List[Tuple[torch.nn.Parameter, torch.nn.Parameter]]


def _factors(layer, adapter: str):
    return layer.lora_A[adapter], layer.lora_B[adapter]


def _replace(layer, adapter: str, a_new: torch.Tensor, b_new: torch.Tensor) -> Swap:
    a_mod, b_mod = _factors(layer, adapter)
    swaps = []
    for mod, new in ((a_mod, a_new), (b_mod, b_new)):
        old = mod.weight
        mod.weight = torch.nn.Parameter(
            new.to(dtype=old.dtype, device=old.device).contiguous(),
            requires_grad=old.requires_grad,
        )
        swaps.append((old, mod.weight))
    return swaps


def set_rank(layer, adapter: str, rank: int, lora_alpha: float) -> None:
    """Record ``rank`` on ``layer`` and the scaling ``lora_alpha / rank`` peft uses."""
    a_mod, b_mod = _factors(layer, adapter)
    a_mod.out_features = rank
    b_mod.in_features = rank
    layer.r[adapter] = rank
    layer.lora_alpha[adapter] = lora_alpha
    layer.scaling[adapter] = lora_alpha / rank


@torch.no_grad()
def delta_weight(layer, adapter: str) -> torch.Tensor:
    """The adapter update ``s * B @ A`` of one peft LoRA linear, shape (out, in)."""
    a_mod, b_mod = _factors(layer, adapter)
    return layer.scaling[adapter] * (b_mod.weight @ a_mod.weight)


@torch.no_grad()
def truncated_factors(
    a: torch.Tensor, b: torch.Tensor, scaling: float, rank: int, new_scaling: float
) -> Tuple[torch.Tensor, torch.Tensor]:
    """Factors ``(A', B')`` with ``new_scaling * B' A'`` the best rank-``rank``
    approximation of ``scaling * B A``.

    Args:
        a: (r, in) factor ``A``.
        b: (out, r) factor ``B``.

    Returns:
        ``A'`` (rank, in) and ``B'`` (out, rank), in the input dtypes.
    """
    if not 1 <= rank <= a.shape[0]:
        raise ValueError(f"cannot truncate a rank-{a.shape[0]} adapter to rank {rank}")
    delta = scaling * (b.double() @ a.double())  # (out, in)
    u, s, vh = torch.linalg.svd(delta, full_matrices=False)
    root = torch.sqrt(s[:rank] / new_scaling)  # (rank,)
    return (root[:, None] * vh[:rank]).to(a.dtype), (u[:, :rank] * root).to(b.dtype)


@torch.no_grad()
def truncate_layer(layer, adapter: str, rank: int, lora_alpha: float) -> Swap:
    """Replace ``s B A`` of ``layer`` by its best rank-``rank`` approximation.

    The new scaling is ``lora_alpha / rank``; singular values are split as
    ``sqrt`` on each side so ``A`` and ``B`` stay balanced.

    Returns:
        (old, new) parameter pairs for ``swap_optimizer_params``.

    Raises:
        ValueError: ``rank`` is not in ``[1, current rank]``.
    """
    a_mod, b_mod = _factors(layer, adapter)
    a_new, b_new = truncated_factors(
        a_mod.weight, b_mod.weight, layer.scaling[adapter], rank, lora_alpha / rank
    )
    swaps = _replace(layer, adapter, a_new, b_new)
    set_rank(layer, adapter, rank, lora_alpha)
    return swaps


@torch.no_grad()
def truncate_state_dict(
    state: Dict[str, torch.Tensor], adapter: str, rank: int, scaling: float, new_scaling: float
) -> int:
    """Truncate, in place, every LoRA ``A``/``B`` pair of a saved state dict whose
    rank exceeds ``rank`` (warm-up snapshots saved before the truncation).

    Returns:
        The number of adapters truncated.
    """
    suffix_a = f".lora_A.{adapter}.weight"
    n = 0
    for key_a in [k for k in state if k.endswith(suffix_a)]:
        key_b = key_a[: -len(suffix_a)] + f".lora_B.{adapter}.weight"
        if state[key_a].shape[0] <= rank:
            continue
        state[key_a], state[key_b] = truncated_factors(
            state[key_a], state[key_b], scaling, rank, new_scaling
        )
        n += 1
    return n


@torch.no_grad()
def resize_layer(layer, adapter: str, rank: int, lora_alpha: float) -> Swap:
    """Give ``A``/``B`` zero-filled shapes for ``rank`` before loading weights."""
    if rank < 1:
        raise ValueError(f"adapter rank must be >= 1, got {rank}")
    a_mod, b_mod = _factors(layer, adapter)
    a_new = a_mod.weight.new_zeros(rank, a_mod.weight.shape[1])
    b_new = b_mod.weight.new_zeros(b_mod.weight.shape[0], rank)
    swaps = _replace(layer, adapter, a_new, b_new)
    set_rank(layer, adapter, rank, lora_alpha)
    return swaps


def swap_optimizer_params(optimizers: Iterable[torch.optim.Optimizer], swaps: Swap) -> None:
    """Make ``optimizers`` train the new parameters; forget the old ones' state."""
    new_of = {id(old): new for old, new in swaps}
    for opt in optimizers:
        for group in opt.param_groups:
            group["params"] = [new_of.get(id(p), p) for p in group["params"]]
        for old, _ in swaps:
            opt.state.pop(old, None)
