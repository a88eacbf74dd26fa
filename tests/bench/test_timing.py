"""The timing harness: interleaving, min/median on an injected clock, calibration."""

from __future__ import annotations

import itertools
import statistics

import pytest

from espnet_lowrank.bench.timing import (
    Timing,
    calibrate,
    speedups,
    time_interleaved,
    timing_fields,
)


def _recorder(calls, name):
    return lambda: calls.append(name)


def test_variants_are_interleaved_after_warmup():
    calls = []
    variants = {n: _recorder(calls, n) for n in ("A", "B", "C")}
    t = time_interleaved(variants, repeats=4, warmup=2, number=1)
    assert calls == ["A", "B", "C"] * (2 + 4)
    assert all(len(t[n].samples) == 4 for n in variants)


def test_number_calls_per_sample_stay_grouped_per_round():
    calls = []
    time_interleaved({n: _recorder(calls, n) for n in "AB"}, repeats=2, warmup=0, number=3)
    assert calls == ["A"] * 3 + ["B"] * 3 + ["A"] * 3 + ["B"] * 3


def test_min_and_median_from_fake_clock():
    # Each sample reads the clock twice: start, end. Durations per round: A then B.
    durations = {"A": [5.0, 1.0, 3.0, 2.0, 4.0], "B": [2.0, 2.5, 0.5, 9.0, 1.0]}
    ticks = []
    now = 0.0
    for a, b in zip(durations["A"], durations["B"]):
        for d in (a, b):
            ticks += [now, now + d]
            now += d + 100.0
    clock = iter(ticks).__next__
    t = time_interleaved({"A": lambda: None, "B": lambda: None}, 5, 0, 1, clock=clock)
    for name, ds in durations.items():
        assert t[name].samples == ds
        assert t[name].min == min(ds)
        assert t[name].median == statistics.median(ds)
    sp = speedups(t["A"], t["B"])
    assert sp["speedup"] == pytest.approx(1.0 / 0.5)
    assert sp["speedup_median"] == pytest.approx(3.0 / 2.0)
    assert timing_fields("x", t["B"]) == {"x_min_ms": 500.0, "x_median_ms": 2000.0}


def test_samples_are_per_call_when_number_above_one():
    ticks = iter([0.0, 8.0, 10.0, 14.0])  # one sample of 4 calls each for A, B
    t = time_interleaved({"A": lambda: None, "B": lambda: None}, 1, 0, 4, clock=ticks.__next__)
    assert t["A"].samples == [2.0] and t["B"].samples == [1.0]


def test_median_of_even_count():
    t = Timing("x", 1, [4.0, 1.0, 3.0, 2.0])
    assert t.median == 2.5 and t.min == 1.0


def test_calibrate_reaches_min_sample_time():
    # every call costs 1 ms on this fake clock
    state = {"t": 0.0}

    def fn():
        state["t"] += 0.001

    n = calibrate(fn, 0.05, clock=lambda: state["t"])
    assert n * 0.001 >= 0.05


def test_bad_arguments():
    with pytest.raises(ValueError, match="no variants"):
        time_interleaved({})
    with pytest.raises(ValueError, match="repeats"):
        time_interleaved({"A": lambda: None}, repeats=0)


def test_clock_is_read_only_inside_samples():
    counter = itertools.count()
    calls = []
    time_interleaved(
        {"A": _recorder(calls, "A")},
        repeats=3,
        warmup=1,
        number=1,
        clock=lambda: float(next(counter)),
    )
    assert next(counter) == 6  # 3 samples x (start, end); warm-up is not timed
