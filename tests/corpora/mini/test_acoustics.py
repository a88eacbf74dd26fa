"""Tests for espnet_lowrank.corpora.mini.acoustics (stochastic rooms, noise)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from espnet_lowrank.corpora.mini.acoustics import (
    AcousticsConfig,
    apply_acoustics,
    stochastic_rir,
)
from espnet_lowrank.corpora.mini.tts import TARGET_RATE


def test_rir_direct_path_drr_and_decay() -> None:
    h = stochastic_rir(0.5, 6.0, 2.0, np.random.default_rng(0))
    delay = int(round(2.0 / 343.0 * TARGET_RATE))
    assert int(np.argmax(np.abs(h))) == delay and h[delay] == 1.0
    assert not np.any(h[:delay])
    tail = h[delay + 1 :]
    assert 10 * np.log10(1.0 / np.sum(tail**2)) == pytest.approx(6.0, abs=1e-6)
    n = tail.size // 10
    early, late = np.sum(tail[:n] ** 2), np.sum(tail[-n:] ** 2)
    assert 10 * np.log10(early / late) > 35  # ~-54 dB over 80 % of RT60
    assert tail.size == pytest.approx(0.5 * TARGET_RATE + 0.0025 * TARGET_RATE, abs=2)


def test_rir_same_generator_state_same_rir() -> None:
    a = stochastic_rir(0.3, 3.0, 1.0, np.random.default_rng(5))
    b = stochastic_rir(0.3, 3.0, 1.0, np.random.default_rng(5))
    np.testing.assert_array_equal(a, b)


def _tone() -> np.ndarray:
    t = np.arange(TARGET_RATE) / TARGET_RATE
    return (np.sin(2 * np.pi * 220 * t) * np.hanning(t.size)).astype(np.float32)


def test_apply_acoustics_deterministic_and_in_range() -> None:
    cfg = AcousticsConfig()
    x = _tone()
    y1, info1 = apply_acoustics(x, np.random.default_rng(3), cfg)
    y2, info2 = apply_acoustics(x, np.random.default_rng(3), cfg)
    np.testing.assert_array_equal(y1, y2)
    assert info1 == info2
    assert y1.dtype == np.dtype("<i2") and y1.size == x.size
    assert cfg.snr_range[0] <= info1["snr_db"] <= cfg.snr_range[1]


def test_dry_when_reverb_prob_zero_and_snr_as_drawn() -> None:
    cfg = AcousticsConfig(reverb_prob=0.0, snr_range=(20.0, 20.0), level_range=(0.5, 0.5))
    x = _tone()
    y, info = apply_acoustics(x, np.random.default_rng(1), cfg)
    assert info["rt60"] == 0.0 and info["snr_db"] == 20.0
    clean = x / np.max(np.abs(x)) * 0.5
    noise = y / 32767.0 - clean
    active = np.abs(clean) > 0.01 * 0.5
    snr = 10 * np.log10(np.mean(clean[active] ** 2) / np.mean(noise**2))
    assert snr == pytest.approx(20.0, abs=0.3)


def test_reverb_changes_the_signal() -> None:
    x = _tone()
    dry, _ = apply_acoustics(x, np.random.default_rng(2), AcousticsConfig(reverb_prob=0.0))
    wet, info = apply_acoustics(x, np.random.default_rng(2), AcousticsConfig(reverb_prob=1.0))
    assert info["rt60"] > 0 and not np.array_equal(dry, wet)


@pytest.mark.parametrize(
    "change,match",
    [
        (dict(reverb_prob=1.5), "reverb_prob"),
        (dict(snr_range=(30.0, 10.0)), "snr_range is empty"),
        (dict(rt60_range=(0.0, 0.3)), "must be positive"),
        (dict(level_range=(0.5, 1.5)), "level_range"),
    ],
)
def test_validate(change, match) -> None:
    with pytest.raises(ValueError, match=match):
        replace(AcousticsConfig(), **change).validate()


def test_silent_input_is_an_error() -> None:
    with pytest.raises(RuntimeError, match="silent"):
        apply_acoustics(np.zeros(100), np.random.default_rng(0), AcousticsConfig())
