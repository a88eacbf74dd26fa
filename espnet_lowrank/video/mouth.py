"""Mouth regions of interest of one clip: ``(T, 88, 88)`` uint8 at 25 fps.

Two sources: videos that are already mouth crops (resized so the shorter side is
``crop_size``, then centre-cropped to ``out_size``), or full face videos with a
landmark track (crop ``crop_size`` around the smoothed mouth centre, then
centre-crop ``out_size``). Both then normalise the frame rate by timestamps.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from espnet_lowrank.video.crop import centre_crop, crop_around, shorter_side_size
from espnet_lowrank.video.decode import decode_gray, probe_video_size
from espnet_lowrank.video.errors import MediaError
from espnet_lowrank.video.frame_rate import resample_indices
from espnet_lowrank.video.landmarks import mouth_track


@dataclass(frozen=True)
class MouthCropConfig:
    """Geometry and timing of mouth crops.

    Attributes:
        crop_size: side of the square cut around the mouth (pixels of the source).
        out_size: side of the stored centre crop (``<= crop_size``).
        fps: output frame rate.
        smooth_window: frames in the moving average of the mouth track.
    """

    crop_size: int = 96
    out_size: int = 88
    fps: float = 25.0
    smooth_window: int = 12

    def __post_init__(self) -> None:
        if not 0 < self.out_size <= self.crop_size:
            raise ValueError(
                f"need 0 < out_size <= crop_size, got {self.out_size}, {self.crop_size}"
            )
        if self.fps <= 0:
            raise ValueError(f"fps must be positive, got {self.fps}")


def mouth_rois_precropped(
    video_path: Path | str, config: MouthCropConfig = MouthCropConfig()
) -> np.ndarray:
    """Mouth ROIs of a video that is already cropped to the mouth.

    Returns:
        ``(T, out_size, out_size)`` uint8, ``T = round(duration * fps)``.

    Raises:
        MediaError: the video cannot be decoded.
    """
    width, height = probe_video_size(video_path)
    size = shorter_side_size(width, height, config.crop_size)
    video = decode_gray(
        video_path,
        transform=lambda _i, f: np.ascontiguousarray(centre_crop(f, config.out_size)),
        size=size,
    )
    keep = resample_indices(video.times, video.duration, config.fps)
    return np.ascontiguousarray(video.frames[keep])


def mouth_rois_from_landmarks(
    video_path: Path | str,
    landmarks: np.ndarray,
    config: MouthCropConfig = MouthCropConfig(),
) -> np.ndarray:
    """Mouth ROIs of a face video, cut around the landmark mouth centre.

    Args:
        video_path: the clip.
        landmarks: ``(N, P, 2)`` per source frame (see
            :mod:`espnet_lowrank.video.landmarks`); ``N`` must equal the number
            of decoded video frames.
        config: crop geometry and frame rate.

    Returns:
        ``(T, out_size, out_size)`` uint8, ``T = round(duration * fps)``.

    Raises:
        MediaError: undecodable video, frame count differs from the landmarks,
            or no frame has landmarks.
    """
    try:
        track = mouth_track(landmarks, config.smooth_window)
    except ValueError as e:
        raise MediaError(video_path, f"landmarks unusable ({e})") from e

    def cut(index: int, frame: np.ndarray) -> np.ndarray:
        if index >= len(track):
            raise MediaError(
                video_path,
                f"video has more frames than its landmarks ({len(track)})",
            )
        window = crop_around(frame, (track[index, 0], track[index, 1]), config.crop_size)
        return np.ascontiguousarray(centre_crop(window, config.out_size))

    video = decode_gray(video_path, transform=cut)
    if len(video.frames) != len(track):
        raise MediaError(
            video_path,
            f"video has {len(video.frames)} frames but its landmarks {len(track)}",
        )
    keep = resample_indices(video.times, video.duration, config.fps)
    return np.ascontiguousarray(video.frames[keep])
