"""Normalise a frame sequence to a fixed frame rate by timestamps."""

from __future__ import annotations

import numpy as np


def resample_indices(times: np.ndarray, duration: float, fps: float = 25.0) -> np.ndarray:
    """Source frame for each output frame at ``fps``, by nearest timestamp.

    Output frame ``k`` sits at time ``k / fps`` for ``k < round(duration * fps)``
    and takes the source frame whose timestamp is nearest (ties: the earlier),
    so a higher source rate drops frames and a lower one repeats them; a source
    already at ``fps`` maps one to one.

    Args:
        times: ``(N,)`` increasing source frame times in seconds, ``N >= 1``.
        duration: clip duration in seconds.
        fps: output frame rate.

    Returns:
        ``(T,)`` int64 indices into the source frames, ``T = round(duration * fps)``
        (at least 1).
    """
    times = np.asarray(times, dtype=np.float64)
    if times.ndim != 1 or len(times) == 0:
        raise ValueError(f"times must be a non-empty 1-D array, got shape {times.shape}")
    if np.any(np.diff(times) < 0):
        raise ValueError("times must be non-decreasing")
    if fps <= 0:
        raise ValueError(f"fps must be positive, got {fps}")
    n_out = max(1, int(round(duration * fps)))
    targets = np.arange(n_out, dtype=np.float64) / fps
    right = np.clip(np.searchsorted(times, targets), 0, len(times) - 1)
    left = np.clip(right - 1, 0, len(times) - 1)
    eps = 1e-6
    take_left = np.abs(targets - times[left]) <= np.abs(times[right] - targets) + eps
    return np.where(take_left, left, right).astype(np.int64)
