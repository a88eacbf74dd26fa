"""Square crops of grayscale frames."""

from __future__ import annotations

from typing import Tuple

import numpy as np


def crop_around(frame: np.ndarray, centre: Tuple[float, float], size: int) -> np.ndarray:
    """``size x size`` window of ``frame`` centred on ``centre = (x, y)``.

    Parts of the window outside the frame repeat the nearest edge pixel.

    Args:
        frame: ``(H, W)`` array.
        centre: ``(x, y)`` in pixels (x = column, y = row).
        size: side of the square window.

    Returns:
        ``(size, size)`` array of ``frame``'s dtype.
    """
    if frame.ndim != 2:
        raise ValueError(f"frame must be (H, W), got {frame.shape}")
    h, w = frame.shape
    top = int(round(centre[1] - size / 2))
    left = int(round(centre[0] - size / 2))
    rows = np.clip(np.arange(top, top + size), 0, h - 1)
    cols = np.clip(np.arange(left, left + size), 0, w - 1)
    return frame[np.ix_(rows, cols)]


def centre_crop(frames: np.ndarray, size: int) -> np.ndarray:
    """Central ``size x size`` window of ``(..., H, W)`` frames (``H, W >= size``)."""
    h, w = frames.shape[-2:]
    if h < size or w < size:
        raise ValueError(f"cannot centre-crop {size}x{size} from {h}x{w}")
    top = (h - size) // 2
    left = (w - size) // 2
    return frames[..., top : top + size, left : left + size]


def shorter_side_size(width: int, height: int, side: int) -> Tuple[int, int]:
    """``(width, height)`` scaled so that the shorter side equals ``side``."""
    if width <= 0 or height <= 0:
        raise ValueError(f"invalid frame size {width}x{height}")
    scale = side / min(width, height)
    return max(side, int(round(width * scale))), max(side, int(round(height * scale)))
