"""Facial landmark files and the mouth-centre track derived from them.

File format (one file per clip, one entry per *source* video frame, in pixel
coordinates ``x`` (column), ``y`` (row) of the full frame):

* ``.npy``: float array of shape ``(N, 68, 2)`` (68-point iBUG layout as public
  LRS3 preprocessing produces; mouth = points 48-67), ``(N, 20, 2)`` (mouth points
  only) or ``(N, 2)`` (mouth centres). Frames without a detection are NaN.
* ``.txt`` (LRS3 recipes name them ``<clip>.landmarks.txt``, as ``<clip>.txt``
  is the transcript): one line per frame with 136 numbers (68 points
  ``x0 y0 x1 y1 ...``), 40 numbers (20 mouth points) or 2 numbers (mouth
  centre); an empty line, ``-`` or ``nan`` marks a frame without a detection.

Missing frames are filled by linear interpolation (held constant before the
first and after the last detection) and the track is smoothed with a centred
moving average, as mouth cropping in public lip-reading pipelines does.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

#: Slice of the 68-point iBUG layout that covers the mouth (outer + inner lips).
MOUTH_POINTS = slice(48, 68)
_POINTS_PER_FRAME = (68, 20, 1)


def _check_points(arr: np.ndarray, path: Path) -> np.ndarray:
    if arr.ndim == 2 and arr.shape[1] == 2:
        arr = arr[:, None, :]
    if arr.ndim != 3 or arr.shape[2] != 2 or arr.shape[1] not in _POINTS_PER_FRAME:
        raise ValueError(
            f"{path}: landmarks must have shape (N, 68, 2), (N, 20, 2) or (N, 2); got {arr.shape}"
        )
    if arr.shape[0] == 0:
        raise ValueError(f"{path}: landmark file has no frames")
    return arr.astype(np.float64)


def _parse_txt(path: Path) -> np.ndarray:
    rows = []
    width = None
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        fields = line.split()
        if not fields or fields == ["-"] or any(f.lower() == "nan" for f in fields):
            rows.append(None)
            continue
        if len(fields) not in (136, 40, 2):
            raise ValueError(
                f"{path}:{n}: expected 136, 40 or 2 numbers per line, got {len(fields)}"
            )
        if width is not None and len(fields) != width:
            raise ValueError(f"{path}:{n}: {len(fields)} numbers, earlier lines {width}")
        width = len(fields)
        try:
            rows.append(np.asarray([float(f) for f in fields]).reshape(-1, 2))
        except ValueError as e:
            raise ValueError(f"{path}:{n}: not a number ({e})") from e
    if width is None:
        raise ValueError(f"{path}: no frame has landmarks")
    points = width // 2
    missing = np.full((points, 2), np.nan)
    return np.stack([missing if r is None else r for r in rows])


def load_landmarks(path: Path | str) -> np.ndarray:
    """Read a landmark file (see module docstring).

    Returns:
        ``(N, P, 2)`` float64 with ``P`` in ``{68, 20, 1}``; NaN where missing.
    """
    p = Path(path)
    if p.suffix == ".npy":
        try:
            arr = np.load(p, allow_pickle=False)
        except (OSError, ValueError) as e:
            raise ValueError(f"{p}: cannot read landmark array ({e})") from e
    elif p.suffix == ".txt":
        arr = _parse_txt(p)
    else:
        raise ValueError(f"{p}: landmark files must end in .npy or .txt")
    return _check_points(np.asarray(arr), p)


def mouth_centres(landmarks: np.ndarray) -> np.ndarray:
    """Mouth centre per frame: mean of the mouth points.

    Args:
        landmarks: ``(N, P, 2)`` with ``P`` in ``{68, 20, 1}`` (NaN = missing).

    Returns:
        ``(N, 2)`` ``(x, y)``; NaN for frames where any mouth point is missing.
    """
    if landmarks.ndim != 3 or landmarks.shape[1] not in _POINTS_PER_FRAME:
        raise ValueError(f"landmarks must be (N, 68|20|1, 2), got {landmarks.shape}")
    mouth = landmarks[:, MOUTH_POINTS] if landmarks.shape[1] == 68 else landmarks
    return mouth.mean(axis=1)


def interpolate_missing(track: np.ndarray) -> np.ndarray:
    """Fill NaN rows of a ``(N, D)`` track linearly over the frame index.

    Rows before the first / after the last valid row copy that row.

    Raises:
        ValueError: when no row is valid.
    """
    track = np.asarray(track, dtype=np.float64)
    valid = ~np.isnan(track).any(axis=1)
    if not valid.any():
        raise ValueError("no frame has landmarks")
    index = np.arange(len(track))
    filled = np.empty_like(track)
    for d in range(track.shape[1]):
        filled[:, d] = np.interp(index, index[valid], track[valid, d])
    return filled


def smooth(track: np.ndarray, window: int = 12) -> np.ndarray:
    """Centred moving average of a ``(N, D)`` track over ``window`` frames.

    Frame ``i`` averages frames ``i - (window - 1) // 2`` to
    ``i + window // 2`` (an even window leans half a frame forward). Near the
    ends the window shrinks to the frames available, so a constant track stays
    constant. ``window <= 1`` returns a copy.
    """
    track = np.asarray(track, dtype=np.float64)
    if window <= 1 or len(track) == 1:
        return track.copy()
    half_left = (window - 1) // 2
    half_right = window - 1 - half_left
    csum = np.concatenate([np.zeros((1, track.shape[1])), np.cumsum(track, axis=0)])
    index = np.arange(len(track))
    lo = np.clip(index - half_left, 0, len(track))
    hi = np.clip(index + half_right + 1, 0, len(track))
    return (csum[hi] - csum[lo]) / (hi - lo)[:, None]


def mouth_track(landmarks: np.ndarray, window: int = 12) -> np.ndarray:
    """Landmarks ``(N, P, 2)`` -> smoothed, gap-filled mouth centres ``(N, 2)``."""
    return smooth(interpolate_missing(mouth_centres(landmarks)), window)
