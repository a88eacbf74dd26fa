"""Effective-rank measures return the known values on matrices with a chosen spectrum."""

import math

import pytest
import torch

from espnet_lowrank.analysis.measures import (
    check_measure,
    effective_ranks,
    energy_rank,
    parse_measures,
    singular_values,
)

ALL = ["stable", "energy60", "energy90", "energy95", "energy99", "entropy"]


def with_spectrum(s, out, in_, seed=0):
    """``U diag(s) Vᵀ`` with random orthogonal ``U`` (out x out) and ``V`` (in x in)."""
    g = torch.Generator().manual_seed(seed)
    u, _ = torch.linalg.qr(torch.randn(out, out, generator=g, dtype=torch.float64))
    v, _ = torch.linalg.qr(torch.randn(in_, in_, generator=g, dtype=torch.float64))
    d = torch.zeros(out, in_, dtype=torch.float64)
    for i, x in enumerate(s):
        d[i, i] = x
    return u @ d @ v.T


def entropy_of(s):
    p = [x / sum(s) for x in s if x > 0]
    return math.exp(-sum(q * math.log(q) for q in p))


@pytest.mark.parametrize("shape", [(6, 8), (8, 6)])
def test_known_spectrum_3_2_1(shape):
    s = [3.0, 2.0, 1.0, 0.0, 0.0, 0.0]
    w = with_spectrum(s, *shape, seed=shape[0])
    sv = singular_values(w)
    assert sv.shape == (6,)
    torch.testing.assert_close(sv, torch.tensor(s, dtype=torch.float64), atol=1e-10, rtol=0)
    got = effective_ranks(sv, ALL)
    assert got["stable"] == pytest.approx((9 + 4 + 1) / 9)
    # cumulative energy 9/14 = 0.643, 13/14 = 0.929, 14/14
    assert got["energy60"] == 1
    assert got["energy90"] == 2
    assert got["energy95"] == 3
    assert got["energy99"] == 3
    assert got["entropy"] == pytest.approx(entropy_of([3, 2, 1]))


def test_rank_one_and_identity():
    w = with_spectrum([5.0], 7, 4)
    got = effective_ranks(singular_values(w), ALL)
    assert got == pytest.approx({m: 1.0 for m in ALL}, abs=1e-9)
    ident = effective_ranks(singular_values(torch.eye(10)), ALL)
    assert ident["stable"] == pytest.approx(10)
    assert ident["entropy"] == pytest.approx(10)
    assert [ident[m] for m in ("energy60", "energy90", "energy95", "energy99")] == [6, 9, 10, 10]


def test_energy_threshold_met_exactly_counts_despite_float_rounding():
    # four equal singular values: 50% of the energy is exactly two of them
    sv = singular_values(with_spectrum([1.0] * 4, 4, 4, seed=3))
    assert energy_rank(sv, 0.5) == 2
    assert energy_rank(sv, 0.75) == 3
    assert energy_rank(sv, 1.0) == 4


def test_decaying_spectrum_matches_direct_formulas():
    s = [2.0**-k for k in range(12)]
    sv = singular_values(with_spectrum(s, 12, 20, seed=1))
    got = effective_ranks(sv, ["stable", "energy99", "entropy"])
    e = [x * x for x in s]
    cum = [sum(e[: k + 1]) / sum(e) for k in range(12)]
    assert got["energy99"] == next(k + 1 for k, c in enumerate(cum) if c >= 0.99)
    assert got["stable"] == pytest.approx(sum(e) / e[0])
    assert got["entropy"] == pytest.approx(entropy_of(s))


def test_zero_matrix_has_rank_zero():
    got = effective_ranks(singular_values(torch.zeros(3, 5)), ALL)
    assert got == {m: 0.0 for m in ALL}


def test_bad_measures_and_inputs_are_named():
    assert parse_measures("stable, energy95,stable") == ["stable", "energy95"]
    assert check_measure("energy99.9") == "energy99.9"
    for bad in ("energy0", "energy101", "rank", "energy"):
        with pytest.raises(ValueError, match=bad):
            parse_measures(f"stable,{bad}")
    with pytest.raises(ValueError, match="no measure"):
        parse_measures(" , ")
    with pytest.raises(ValueError, match="2-D"):
        singular_values(torch.zeros(2, 3, 1))
    with pytest.raises(ValueError, match="non-finite"):
        singular_values(torch.tensor([[float("nan"), 1.0]]))
