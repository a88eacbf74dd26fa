"""Mouth-ROI arrays on disk: ``.npy`` files of shape ``(T, H, W)`` uint8.

:class:`VideoNpyScpReader` is the loader for training: it reads a ``video.scp``
(``utt_id /path.npy`` per line) and returns float32 arrays in ``[0, 1]``, which
ESPnet's dataset accepts (its ``npy`` type returns the stored uint8 array, which
``ESPnetDataset`` rejects with "Not supported dtype: uint8").
"""

from __future__ import annotations

import collections.abc
import os
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

import numpy as np

if TYPE_CHECKING:
    import torch


def save_video_array(path: Path | str, frames: np.ndarray) -> None:
    """Save ``(T, H, W)`` uint8 ``frames`` to ``path`` (``.npy``), atomically."""
    if frames.dtype != np.uint8 or frames.ndim != 3 or frames.shape[0] == 0:
        raise ValueError(
            f"{path}: video arrays must be non-empty (T, H, W) uint8, "
            f"got {frames.dtype} {frames.shape}"
        )
    out = Path(path)
    if out.suffix != ".npy":
        raise ValueError(f"{out}: video arrays are stored as .npy")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.stem + f".tmp{os.getpid()}.npy")
    np.save(tmp, np.ascontiguousarray(frames), allow_pickle=False)
    os.replace(tmp, out)


def load_video_array(path: Path | str, mmap: bool = False) -> np.ndarray:
    """Load a ``(T, H, W)`` uint8 array saved by :func:`save_video_array`.

    Raises:
        ValueError: naming the file, if it is not such an array.
    """
    try:
        arr = np.load(path, mmap_mode="r" if mmap else None, allow_pickle=False)
    except (OSError, ValueError) as e:
        raise ValueError(f"{path}: cannot read video array ({e})") from e
    if arr.dtype != np.uint8 or arr.ndim != 3:
        raise ValueError(f"{path}: expected (T, H, W) uint8, got {arr.dtype} {arr.shape}")
    return arr


def load_video_tensor(path: Path | str) -> torch.Tensor:
    """Load a video array as a float32 tensor ``(T, H, W)`` scaled to ``[0, 1]``."""
    import torch  # deferred: data preparation does not need torch

    return torch.from_numpy(load_video_array(path).astype(np.float32) / 255.0)


class VideoNpyScpReader(collections.abc.Mapping):
    """``video.scp`` -> ``{utt_id: (T, H, W) float32 in [0, 1]}``, loaded lazily.

    Args:
        fname: scp file with lines ``utt_id /path/to/array.npy``.
    """

    def __init__(self, fname: Path | str) -> None:
        self.fname = Path(fname)
        self.data = {}
        with self.fname.open(encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                fields = line.split()
                if not fields:
                    continue
                if len(fields) != 2:
                    raise ValueError(f"{self.fname}:{n}: expected 'utt_id path.npy'")
                if fields[0] in self.data:
                    raise ValueError(f"{self.fname}:{n}: duplicate key {fields[0]!r}")
                self.data[fields[0]] = fields[1]

    def get_path(self, key: str) -> str:
        return self.data[key]

    def __getitem__(self, key: str) -> np.ndarray:
        return load_video_array(self.data[key]).astype(np.float32) / np.float32(255.0)

    def __len__(self) -> int:
        return len(self.data)

    def __iter__(self) -> Iterator[str]:
        return iter(self.data)
