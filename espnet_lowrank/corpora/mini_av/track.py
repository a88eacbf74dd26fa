"""Phone timings -> a per-frame mouth-shape trajectory at the video frame rate.

Each phoneme holds its viseme's controls over its time span (a diphthong moves
linearly from its start to its end shape); silence before the first and after
the last phoneme is the rest shape. The step signal, sampled every
``1 / OVERSAMPLE`` of a frame, is smoothed with a Gaussian kernel of standard
deviation ``coarticulation_ms`` (neighbouring phonemes blend, as lips anticipate
the next sound) and read at the centre of every frame.
"""

from __future__ import annotations

from typing import Sequence, Tuple

import numpy as np

from espnet_lowrank.corpora.mini_av.visemes import CONTROLS, VISEMES, phoneme_shapes

OVERSAMPLE = 8  # trajectory samples per video frame before smoothing


def frame_count(num_samples: int, fs: int = 16000, fps: int = 25) -> int:
    """Video frames covering ``num_samples`` audio samples (``round(duration * fps)``, >= 1)."""
    return max(1, int(round(num_samples * fps / fs)))


def mouth_track(
    phones: Sequence[Tuple[str, float, float]],
    n_frames: int,
    fps: int = 25,
    coarticulation_ms: float = 25.0,
) -> np.ndarray:
    """Mouth controls per frame.

    Args:
        phones: ``(mnemonic, start s, end s)`` in time order (espeak-ng's phone events).
        n_frames: frames of the video.
        fps: video frame rate.
        coarticulation_ms: standard deviation of the smoothing kernel (0: none).

    Returns:
        ``(n_frames, 5)`` float32, columns :data:`CONTROLS`, in ``[0, 1]``.
    """
    n = n_frames * OVERSAMPLE
    step = 1.0 / (fps * OVERSAMPLE)
    t = (np.arange(n) + 0.5) * step
    signal = np.tile(np.asarray(VISEMES["rest"].as_tuple(), dtype=np.float64), (n, 1))
    for phone, start, end in phones:
        if end < start:
            raise ValueError(f"phoneme {phone!r} ends before it starts ({start} > {end})")
        shapes = phoneme_shapes(phone)
        idx = np.nonzero((t >= start) & (t < end))[0]
        if idx.size == 0:
            continue
        first = np.asarray(shapes[0].as_tuple())
        last = np.asarray(shapes[-1].as_tuple())
        frac = ((t[idx] - start) / max(end - start, 1e-9))[:, None]
        signal[idx] = first + (last - first) * frac
    if coarticulation_ms > 0:
        sigma = coarticulation_ms / 1000.0 / step
        half = int(np.ceil(3 * sigma))
        kernel = np.exp(-0.5 * (np.arange(-half, half + 1) / sigma) ** 2)
        kernel /= kernel.sum()
        padded = np.pad(signal, ((half, half), (0, 0)), mode="edge")
        signal = np.stack(
            [np.convolve(padded[:, c], kernel, mode="valid") for c in range(len(CONTROLS))], 1
        )
    centres = np.arange(n_frames) * OVERSAMPLE + OVERSAMPLE // 2
    return np.clip(signal[centres], 0.0, 1.0).astype(np.float32)
