"""Phone timings -> a per-frame mouth-shape trajectory at the video frame rate.

Each phoneme holds its viseme's controls over its time span (a diphthong moves
linearly from its start to its end shape); silence before the first and after
the last phoneme is the rest shape. The step signal, sampled every
``1 / OVERSAMPLE`` of a frame, is smoothed with a Gaussian kernel of standard
deviation ``coarticulation_ms`` (neighbouring phonemes blend, as lips anticipate
the next sound) and read at the centre of every frame.

With an :class:`Articulation` (one per speaker, :func:`draw_articulation`) the lips
stop being a clean read-out of the phonemes, as real lips are not: the speaker opens
and rounds more or less than the table's shapes (``open_gain``, ``round_gain``),
blends neighbours over a speaker-specific span, reaches a short phoneme's shape only
partly (undershoot: a phoneme lasting ``d < undershoot_ms`` moves ``d / undershoot_ms``
of the way from the shape before it), varies every token's shape a little (``jitter``,
drawn from the utterance's generator) and is out of step with the audio by ``lag_ms``
(recorded audio and video are rarely in perfect sync).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Optional, Sequence, Tuple

import numpy as np

from espnet_lowrank.corpora.mini_av.visemes import CONTROLS, VISEMES, phoneme_shapes

OVERSAMPLE = 8  # trajectory samples per video frame before smoothing
_OPEN, _ROUND = CONTROLS.index("open"), CONTROLS.index("round")


@dataclass(frozen=True)
class Articulation:
    """How one speaker moves the lips (see the module doc); the defaults are the clean
    table read-out: gains 1, no undershoot, no jitter, in sync."""

    open_gain: float = 1.0
    round_gain: float = 1.0
    coarticulation_ms: float = 25.0
    undershoot_ms: float = 0.0
    jitter: float = 0.0
    lag_ms: float = 0.0


def draw_articulation(seed: int, spk_id: str) -> Articulation:
    """A speaker's articulation; depends only on ``seed`` and ``spk_id``. Ranges: gains
    0.6-1.1, co-articulation 30-55 ms, undershoot below 50-90 ms, jitter 0.03-0.08 per
    control, audio-video lag -40..40 ms (one frame is 40 ms)."""
    digest = hashlib.sha256(f"{seed}:{spk_id}:articulation".encode()).digest()
    rng = np.random.default_rng(int.from_bytes(digest[:8], "little"))
    return Articulation(
        open_gain=float(rng.uniform(0.6, 1.1)),
        round_gain=float(rng.uniform(0.6, 1.1)),
        coarticulation_ms=float(rng.uniform(30.0, 55.0)),
        undershoot_ms=float(rng.uniform(50.0, 90.0)),
        jitter=float(rng.uniform(0.03, 0.08)),
        lag_ms=float(rng.uniform(-40.0, 40.0)),
    )


def frame_count(num_samples: int, fs: int = 16000, fps: int = 25) -> int:
    """Video frames covering ``num_samples`` audio samples (``round(duration * fps)``, >= 1)."""
    return max(1, int(round(num_samples * fps / fs)))


def mouth_track(
    phones: Sequence[Tuple[str, float, float]],
    n_frames: int,
    fps: int = 25,
    coarticulation_ms: float = 25.0,
    articulation: Optional[Articulation] = None,
    rng: Optional[np.random.Generator] = None,
) -> np.ndarray:
    """Mouth controls per frame.

    Args:
        phones: ``(mnemonic, start s, end s)`` in time order (espeak-ng's phone events).
        n_frames: frames of the video.
        fps: video frame rate.
        coarticulation_ms: standard deviation of the smoothing kernel (0: none); an
            ``articulation`` gives its own instead.
        articulation: the speaker's articulation (``None``: the clean read-out).
        rng: draws the per-token jitter; required when ``articulation.jitter > 0``.

    Returns:
        ``(n_frames, 5)`` float32, columns :data:`CONTROLS`, in ``[0, 1]``.
    """
    art = articulation or Articulation(coarticulation_ms=coarticulation_ms)
    if art.jitter > 0 and rng is None:
        raise ValueError("mouth_track: an articulation with jitter needs rng")
    n = n_frames * OVERSAMPLE
    step = 1.0 / (fps * OVERSAMPLE)
    t = (np.arange(n) + 0.5) * step
    rest = np.asarray(VISEMES["rest"].as_tuple(), dtype=np.float64)
    signal = np.tile(rest, (n, 1))
    lag = art.lag_ms / 1000.0
    reached = rest  # the shape the lips were at when the previous phoneme ended
    for phone, start, end in phones:
        if end < start:
            raise ValueError(f"phoneme {phone!r} ends before it starts ({start} > {end})")
        shapes = [np.asarray(sh.as_tuple(), dtype=np.float64) for sh in phoneme_shapes(phone)]
        for shape in shapes:
            shape[_OPEN] *= art.open_gain
            shape[_ROUND] *= art.round_gain
            if art.jitter > 0:
                shape += rng.normal(0.0, art.jitter, shape.shape)
        first, last = shapes[0], shapes[-1]
        if art.undershoot_ms > 0:
            reach = min(1.0, (end - start) * 1000.0 / art.undershoot_ms)
            first = reached + (first - reached) * reach
            last = reached + (last - reached) * reach
        reached = last
        idx = np.nonzero((t >= start + lag) & (t < end + lag))[0]
        if idx.size == 0:
            continue
        frac = ((t[idx] - start - lag) / max(end - start, 1e-9))[:, None]
        signal[idx] = first + (last - first) * frac
    if art.coarticulation_ms > 0:
        sigma = art.coarticulation_ms / 1000.0 / step
        half = int(np.ceil(3 * sigma))
        kernel = np.exp(-0.5 * (np.arange(-half, half + 1) / sigma) ** 2)
        kernel /= kernel.sum()
        padded = np.pad(signal, ((half, half), (0, 0)), mode="edge")
        signal = np.stack(
            [np.convolve(padded[:, c], kernel, mode="valid") for c in range(len(CONTROLS))], 1
        )
    centres = np.arange(n_frames) * OVERSAMPLE + OVERSAMPLE // 2
    return np.clip(signal[centres], 0.0, 1.0).astype(np.float32)
