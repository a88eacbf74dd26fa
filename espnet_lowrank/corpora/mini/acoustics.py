"""Room reverberation and additive noise, drawn per utterance from its own generator.

Room impulse responses follow the stochastic (Polack) model: a direct-path impulse
after a propagation delay, then a diffuse tail of Gaussian noise whose energy decays
by 60 dB in ``rt60`` seconds, low-pass filtered more as it decays (walls absorb
high frequencies first), scaled to a drawn direct-to-reverberant ratio. It is drawn
in about a millisecond. The image method (``pyroomacoustics``, which installs on both
Pythons) was measured here at 0.16 / 0.81 / 4.7 s per RIR for RT60 0.2 / 0.4 / 0.7 s in a
6 x 4.5 x 3 m room on one busy core: hours for a corpus of thousands of utterances,
against 0.01-1.2 s to synthesise one.

Noise is coloured Gaussian noise (a one-pole filter from white to brown) at a drawn
SNR measured against the speech-active samples, as in :func:`.tts.degrade`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Tuple

import numpy as np

from espnet_lowrank.corpora.mini.tts import TARGET_RATE, SynthesisError, coloured_noise


@dataclass(frozen=True)
class AcousticsConfig:
    """Ranges the per-utterance room and noise are drawn from (uniformly).

    Attributes:
        reverb_prob: share of utterances given a room (the rest stay dry).
        rt60_range: reverberation time, seconds.
        drr_range: direct-to-reverberant energy ratio, dB.
        distance_range: source-microphone distance, metres (sets the direct-path delay).
        snr_range: signal-to-noise ratio, dB.
        level_range: peak level of the result before noise, full scale.
    """

    reverb_prob: float = 0.7
    rt60_range: Tuple[float, float] = (0.15, 0.6)
    drr_range: Tuple[float, float] = (0.0, 12.0)
    distance_range: Tuple[float, float] = (0.5, 3.0)
    snr_range: Tuple[float, float] = (10.0, 35.0)
    level_range: Tuple[float, float] = (0.25, 0.8)

    def validate(self) -> None:
        """Raise ``ValueError`` naming the first bad range."""
        if not 0.0 <= self.reverb_prob <= 1.0:
            raise ValueError(f"reverb_prob must be in [0, 1], got {self.reverb_prob}")
        for name in ("rt60_range", "drr_range", "distance_range", "snr_range", "level_range"):
            lo, hi = getattr(self, name)
            if lo > hi:
                raise ValueError(f"{name} is empty: {lo} > {hi}")
        if self.rt60_range[0] <= 0 or self.distance_range[0] <= 0:
            raise ValueError("rt60_range and distance_range must be positive")
        if not 0.0 < self.level_range[0] <= self.level_range[1] <= 1.0:
            raise ValueError(f"level_range must lie in (0, 1], got {self.level_range}")


def stochastic_rir(
    rt60: float, drr_db: float, distance_m: float, rng: np.random.Generator,
    rate: int = TARGET_RATE,
) -> np.ndarray:  # fmt: skip
    """A room impulse response (L,) float64 with its direct path at ``distance_m / c``.

    The tail starts 2.5 ms after the direct path and lasts ``rt60`` seconds
    (-60 dB); its energy relative to the direct impulse is ``-drr_db`` dB.
    """
    from scipy.signal import lfilter

    delay = int(round(distance_m / 343.0 * rate))
    start = delay + int(0.0025 * rate)
    n_tail = max(1, int(rt60 * rate))
    t = np.arange(n_tail) / rate
    envelope = np.exp(-6.9078 * t / rt60)  # 10^(-3 t / rt60) in amplitude: -60 dB at rt60
    tail = rng.standard_normal(n_tail) * envelope
    # absorption: a one-pole low-pass whose pole moves from 0.2 to 0.8 along the tail
    half = n_tail // 2
    tail[:half] = lfilter([0.8], [1.0, -0.2], tail[:half])
    tail[half:] = lfilter([0.2], [1.0, -0.8], tail[half:])
    h = np.zeros(start + n_tail)
    h[delay] = 1.0
    energy = float(np.sum(tail**2))
    h[start:] = tail * np.sqrt(10.0 ** (-drr_db / 10.0) / max(energy, 1e-12))
    return h


def apply_acoustics(
    x: np.ndarray, rng: np.random.Generator, cfg: AcousticsConfig
) -> Tuple[np.ndarray, Dict[str, float]]:
    """Reverberate (with probability ``reverb_prob``), level and add noise to ``x``.

    Args:
        x: float (T,) dry speech at 16 kHz.
        rng: the utterance's generator (see :func:`.tts.utterance_rng`).
    Returns:
        (int16 (T,) waveform, same length as ``x``; the drawn values: ``rt60`` (0 when
        dry), ``drr_db``, ``snr_db``).
    """
    from scipy.signal import fftconvolve

    if x.size == 0 or not np.any(x):
        raise SynthesisError("cannot add acoustics to a silent waveform")
    info = {"rt60": 0.0, "drr_db": 0.0, "snr_db": 0.0}
    y = np.asarray(x, dtype=np.float64)
    if rng.uniform() < cfg.reverb_prob:
        rt60 = float(rng.uniform(*cfg.rt60_range))
        drr = float(rng.uniform(*cfg.drr_range))
        dist = float(rng.uniform(*cfg.distance_range))
        h = stochastic_rir(rt60, drr, dist, rng)
        delay = int(np.argmax(h))
        y = fftconvolve(y, h)[delay : delay + y.size]  # align to the direct path
        info.update(rt60=round(rt60, 3), drr_db=round(drr, 2))
    y = y * (rng.uniform(*cfg.level_range) / float(np.max(np.abs(y))))
    snr = float(rng.uniform(*cfg.snr_range))
    y = y + coloured_noise(y, snr, rng)
    info["snr_db"] = round(snr, 2)
    return np.clip(np.round(y * 32767.0), -32768, 32767).astype("<i2"), info
