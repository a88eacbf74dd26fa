"""autotune pins each factorized layer to the path its measurement says is faster."""

import math

import torch
from torch import nn

from espnet_lowrank.layers import LowRankLinear, LowRankPointwiseConv1d
from espnet_lowrank.layers.autotune import autotune, clear_autotune, measure_paths


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = LowRankLinear(16, 16, 4)
        self.b = LowRankLinear(16, 16, 4)  # same shape as a: measured once
        self.c = LowRankLinear(16, 16, 15)  # rho 1.9: the rule merges it
        self.unused = LowRankPointwiseConv1d(16, 16, 4)

    def forward(self, x):
        return self.c(self.b(self.a(x)))


def _fake(faster: str, calls: list):
    def measure(layer, x):
        calls.append((layer.rank, tuple(x.shape)))
        return {"factorized": 1.0, "merged": 2.0} if faster == "factorized" else {
            "factorized": 2.0, "merged": 1.0}  # fmt: skip

    return measure


def test_pins_the_measured_path_and_caches_identical_layers():
    torch.manual_seed(0)
    net = Net().eval()
    x = torch.randn(5, 16)
    with torch.no_grad():
        ref = net(x)
    calls, cache = [], {}
    choice = autotune(net, x, measure=_fake("merged", calls), cache=cache)
    assert choice == {"a": "merged", "b": "merged", "c": "merged", "unused": None}
    assert calls == [(4, (5, 16)), (15, (5, 16))]  # b hit a's entry
    assert len(cache) == 2
    with torch.no_grad():
        assert net.a._use_merged() and net.c._use_merged()
        assert not net.unused._use_merged()  # not reached: the rho rule
        torch.testing.assert_close(net(x), ref, rtol=1e-5, atol=1e-5)
    autotune(net, x, measure=_fake("factorized", []), cache={})
    with torch.no_grad():
        assert not net.c._use_merged()  # pinned against the rule
    # training always takes the factorized path, whatever the pin
    net.train()
    autotune(net, x, measure=_fake("merged", []), cache={})
    net(x).sum().backward()
    assert net.a.U.grad is not None
    assert clear_autotune(net) == 3 and net.a.merge_min_rho == LowRankLinear.merge_min_rho


def test_state_dict_is_untouched_and_the_real_measure_runs():
    net = Net().eval()
    keys = set(net.state_dict())
    times = measure_paths(net.a, torch.randn(3, 16), repeats=1)
    assert set(times) == {"factorized", "merged"} and all(t > 0 for t in times.values())
    assert "merge_min_rho" not in net.a.__dict__  # measuring leaves no pin behind
    choice = autotune(net, torch.randn(3, 16), repeats=1, cache={})
    assert set(choice.values()) <= {"factorized", "merged", None}
    assert set(net.state_dict()) == keys
    assert all(math.isinf(m.merge_min_rho) or m.merge_min_rho == 0.0 for m in (net.a, net.c))
