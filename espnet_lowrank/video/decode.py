"""Decode the video stream of a media file to grayscale frames with PyAV.

Frames are handed one at a time to a per-frame transform (e.g. a mouth crop), so
long clips never hold their full-size frames in memory at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Optional, Tuple

import numpy as np

from espnet_lowrank.extras import require
from espnet_lowrank.video.errors import MediaError

if TYPE_CHECKING:
    from av.video.stream import VideoStream

#: ``transform(index, frame)`` maps source frame ``index`` (``(H, W)`` uint8) to
#: the array kept for it.
FrameTransform = Callable[[int, np.ndarray], np.ndarray]


@dataclass(frozen=True)
class DecodedVideo:
    """Transformed frames of one video stream.

    Attributes:
        frames: ``(N, h, w)`` uint8, one entry per decoded source frame.
        times: ``(N,)`` float64 presentation times in seconds from stream start.
        duration: stream duration in seconds (>= the last frame time).
        width, height: size of the source frames before any transform.
    """

    frames: np.ndarray
    times: np.ndarray
    duration: float
    width: int
    height: int


def _stream_duration(stream: VideoStream, container) -> Optional[float]:
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return container.duration / 1_000_000
    return None


def decode_gray(
    path: Path | str,
    transform: Optional[FrameTransform] = None,
    size: Optional[Tuple[int, int]] = None,
) -> DecodedVideo:
    """Decode the first video stream of ``path`` as grayscale frames.

    Args:
        path: media file (mp4, mkv, ...).
        transform: applied to each ``(H, W)`` uint8 frame (after ``size``); all
            outputs must share one shape. Identity when ``None``.
        size: optional ``(width, height)`` to rescale frames to while decoding.

    Raises:
        MediaError: unreadable file, no video stream, no decodable frame, or
            frames without timestamps.
    """
    av = require("av", "decoding video (PyAV)")
    try:
        container = av.open(str(path))
    except av.FFmpegError as e:
        raise MediaError(path, f"unreadable media file ({e})") from e
    with container:
        if not container.streams.video:
            raise MediaError(path, "no video stream")
        stream = container.streams.video[0]
        # One thread for decoding and scaling: clips are parallelised across
        # processes, and FFmpeg threads that outlive a clip (swscale keeps them
        # in FFmpeg >= 7) make later fork()s deadlock.
        stream.codec_context.thread_count = 1
        start = stream.start_time or 0
        outputs = []
        times = []
        width = height = 0
        try:
            for index, frame in enumerate(container.decode(stream)):
                if frame.pts is None or frame.time_base is None:
                    raise MediaError(path, f"video frame {index} has no timestamp")
                width, height = frame.width, frame.height
                if size is None:
                    gray = frame.to_ndarray(format="gray", threads=1)
                else:
                    gray = frame.reformat(
                        width=size[0], height=size[1], format="gray", threads=1
                    ).to_ndarray()
                out = gray if transform is None else transform(index, gray)
                outputs.append(out)
                times.append(float((frame.pts - start) * frame.time_base))
        except av.FFmpegError as e:
            raise MediaError(path, f"video decoding failed ({e})") from e
        if not outputs:
            raise MediaError(path, "video stream has no decodable frames")
        duration = _stream_duration(stream, container)
    times_arr = np.asarray(times, dtype=np.float64)
    order = np.argsort(times_arr, kind="stable")
    frames = np.stack([outputs[i] for i in order])
    times_arr = times_arr[order]
    if len(times_arr) > 1:
        frame_step = float(np.median(np.diff(times_arr)))
    else:
        frame_step = 0.0
    last_end = float(times_arr[-1]) + frame_step
    if duration is None or duration <= 0:
        duration = last_end
    return DecodedVideo(frames, times_arr, float(duration), width, height)


def probe_video_size(path: Path | str) -> Tuple[int, int]:
    """``(width, height)`` of the first video stream of ``path``.

    Raises:
        MediaError: unreadable file or no video stream.
    """
    av = require("av", "decoding video (PyAV)")
    try:
        container = av.open(str(path))
    except av.FFmpegError as e:
        raise MediaError(path, f"unreadable media file ({e})") from e
    with container:
        if not container.streams.video:
            raise MediaError(path, "no video stream")
        ctx = container.streams.video[0].codec_context
        if not ctx.width or not ctx.height:
            raise MediaError(path, "video stream has no frame size")
        return int(ctx.width), int(ctx.height)
