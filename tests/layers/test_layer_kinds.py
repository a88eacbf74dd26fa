"""The three factorized layers are siblings of one base, one per kind of dense layer."""

import pytest
import torch
from torch import nn

from espnet_lowrank.layers import (
    LOWRANK_CLASSES,
    LowRankConv2d,
    LowRankLayer,
    LowRankLinear,
    LowRankPointwiseConv1d,
)
from espnet_lowrank.rank_map import RankSchema, find_slots

KINDS = {
    "linear": (LowRankLinear, lambda: nn.Linear(6, 4)),
    "conv1x1": (LowRankPointwiseConv1d, lambda: nn.Conv1d(6, 4, 1)),
    "conv2d": (LowRankConv2d, lambda: nn.Conv2d(2, 4, 3, stride=2, padding=1)),
}
INPUTS = {
    "linear": lambda: torch.randn(3, 6),
    "conv1x1": lambda: torch.randn(2, 6, 5),
    "conv2d": lambda: torch.randn(2, 2, 7, 6),
}


def test_one_class_per_kind_and_none_inherits_another():
    assert {k: c for k, (c, _) in KINDS.items()} == LOWRANK_CLASSES
    for kind, cls in LOWRANK_CLASSES.items():
        assert cls.KIND == kind and cls.__bases__ == (LowRankLayer,)
    assert not hasattr(LowRankConv2d, "from_linear") and not hasattr(LowRankConv2d, "to_linear")
    assert not hasattr(LowRankPointwiseConv1d, "from_linear")
    assert not hasattr(LowRankPointwiseConv1d, "to_linear")
    assert not hasattr(LowRankLinear, "from_conv") and not hasattr(LowRankLinear, "to_conv")


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_from_dense_and_to_dense_are_right_for_each_kind(kind):
    """Full rank reproduces the dense module; the kind-named from_/to_ are the same
    conversion; to_dense gives back the dense type with its geometry."""
    cls, make = KINDS[kind]
    torch.manual_seed(0)
    dense, x = make(), INPUTS[kind]()
    full = min(dense.weight.shape[0], dense.weight[0].numel())
    lr = cls.from_dense(dense, rank=full)
    named = cls.from_linear(dense, full) if kind == "linear" else cls.from_conv(dense, full)
    with torch.no_grad():
        torch.testing.assert_close(lr(x), dense(x), rtol=1e-5, atol=1e-5)
        torch.testing.assert_close(named(x), lr(x))
        back = lr.to_dense()
        assert type(back) is type(dense) and back.weight.shape == dense.weight.shape
        if kind == "conv2d":
            assert (back.stride, back.padding) == (dense.stride, dense.padding)
        torch.testing.assert_close(back(x), dense(x), rtol=1e-5, atol=1e-5)
        kind_named = lr.to_linear() if kind == "linear" else lr.to_conv()
        torch.testing.assert_close(kind_named(x), back(x))


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_each_class_rejects_the_other_kinds(kind):
    cls, _ = KINDS[kind]
    for other, (_, make) in KINDS.items():
        if other != kind:
            with pytest.raises(TypeError):
                cls.from_dense(make(), rank=1)


@pytest.mark.parametrize("kind", sorted(KINDS))
@pytest.mark.parametrize("init", ["spectral", "random"])
def test_drawn_like_keeps_the_dense_bias_and_draws_new_factors(kind, init):
    cls, make = KINDS[kind]
    dense = make()
    layer = cls.drawn_like(dense, rank=2, init=init)
    assert layer.init == init and layer.rank == 2
    assert torch.equal(layer.bias, dense.bias)
    assert layer.merged_weight().shape == dense.weight.flatten(1).shape
    assert not torch.allclose(layer.merged_weight(), dense.weight.flatten(1))


def test_find_slots_matches_each_pattern_to_its_own_kind_only():
    """A factorized Conv2d under a ``linear`` pattern is not a linear slot."""
    root = nn.Module()
    root.conv = LowRankConv2d(2, 4, 3, rank=2)
    root.lin = LowRankLinear(6, 4, rank=2)
    root.pw = nn.Conv1d(6, 4, 1)
    as_linear = RankSchema("encoder", ((r"conv|lin|pw", "g", "linear"),), {})
    assert [(s.name, s.kind) for s in find_slots(root, as_linear)] == [("lin", "linear")]
    by_kind = RankSchema(
        "encoder",
        ((r"conv", "c", "conv2d"), (r"lin", "l", "linear"), (r"pw", "p", "conv1x1")),
        {},
    )
    slots = {s.name: (s.kind, s.in_features, s.out_features) for s in find_slots(root, by_kind)}
    assert slots == {"conv": ("conv2d", 18, 4), "lin": ("linear", 6, 4), "pw": ("conv1x1", 6, 4)}


# State dicts as the layers saved them before they became siblings (LowRankConv2d and
# LowRankPointwiseConv1d subclassed LowRankLinear), and what those layers computed on
# these inputs (recorded with that code): keys, shapes and meaning must not change.
OLD_U, OLD_BIAS = [[0.5], [-2.0]], [0.25, -0.5]
OLD = {
    "linear": (
        lambda: LowRankLinear(3, 2, 1),
        [[1.0, 2.0, -1.0]],
        [[1.0, -1.0, 2.0]],
        [[-1.25, 5.5]],
    ),
    "conv1x1": (
        lambda: LowRankPointwiseConv1d(3, 2, 1),
        [[1.0, 2.0, -1.0]],
        [[[1.0, 0.5], [-1.0, 0.0], [2.0, 1.0]]],
        [[[-1.25, 0.0], [5.5, 0.5]]],
    ),
    "conv2d": (
        lambda: LowRankConv2d(1, 2, 2, rank=1),
        [[1.0, 2.0, -1.0, 0.5]],
        [[[[1.0, -1.0, 0.5], [0.0, 2.0, 1.0]]]],
        [[[[0.25, -0.5]], [[-0.5, 2.5]]]],
    ),
}


@pytest.mark.parametrize("kind", sorted(OLD))
def test_state_dicts_saved_before_load_and_compute_the_same(kind):
    make, v, x, y = OLD[kind]
    layer = make()
    saved = {"V": torch.tensor(v), "U": torch.tensor(OLD_U), "bias": torch.tensor(OLD_BIAS)}
    assert list(layer.state_dict()) == ["V", "U", "bias"]
    assert [n for n, _ in layer.named_parameters()] == ["V", "U", "bias"]
    layer.load_state_dict(saved, strict=True)
    x, y = torch.tensor(x), torch.tensor(y)
    with torch.no_grad():
        for merge_min_rho in (float("inf"), 0.0):  # the factorized, then the merged path
            layer.merge_min_rho = merge_min_rho
            torch.testing.assert_close(layer(x), y)
        torch.testing.assert_close(layer.to_dense()(x), y)
