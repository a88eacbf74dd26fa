"""Write small synthetic mp4 clips (moving square + sine tone) for tests and demos."""

from __future__ import annotations

from pathlib import Path
from typing import Optional, Sequence, Tuple

import numpy as np

from espnet_lowrank.extras import require


def square_frames(
    centres: Sequence[Tuple[float, float]],
    size: Tuple[int, int] = (96, 96),
    side: int = 16,
    background: int = 20,
) -> np.ndarray:
    """Dark frames with a bright ``side x side`` square at each ``(x, y)`` centre.

    Returns:
        ``(N, height, width)`` uint8 with ``size = (width, height)``.
    """
    width, height = size
    frames = np.full((len(centres), height, width), background, dtype=np.uint8)
    for i, (x, y) in enumerate(centres):
        top, left = int(round(y - side / 2)), int(round(x - side / 2))
        frames[i, max(top, 0) : max(top + side, 0), max(left, 0) : max(left + side, 0)] = 255
    return frames


def write_clip(
    path: Path | str,
    frames: np.ndarray,
    fps: int = 25,
    audio_rate: Optional[int] = 16000,
    tone_hz: float = 440.0,
    audio_codec: str = "aac",
) -> float:
    """Encode grayscale ``frames`` ``(N, H, W)`` uint8 (H, W even) as H.264 in mp4.

    With ``audio_rate`` set, adds a mono sine tone as long as the video
    (``N / fps`` seconds) encoded with ``audio_codec``.

    Returns:
        The clip duration ``N / fps`` in seconds.
    """
    av = require("av", "writing video clips (PyAV)")
    frames = np.asarray(frames)
    if frames.dtype != np.uint8 or frames.ndim != 3:
        raise ValueError(f"frames must be (N, H, W) uint8, got {frames.dtype} {frames.shape}")
    n, height, width = frames.shape
    duration = n / fps
    with av.open(str(path), "w") as container:
        video = container.add_stream("libx264", rate=fps)
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        audio = None
        if audio_rate is not None:
            audio = container.add_stream(audio_codec, rate=audio_rate)
            audio.layout = "mono"
        for frame in frames:
            rgb = np.repeat(frame[:, :, None], 3, axis=2)
            for packet in video.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")):
                container.mux(packet)
        for packet in video.encode():
            container.mux(packet)
        if audio is not None:
            t = np.arange(int(round(duration * audio_rate))) / audio_rate
            tone = (0.3 * np.sin(2 * np.pi * tone_hz * t)).astype(np.float32)
            step = audio.codec_context.frame_size or 1024
            fmt = "flt" if audio_codec == "aac" else "s16"
            for start in range(0, len(tone), step):
                chunk = tone[start : start + step][None, :]
                if fmt == "s16":
                    chunk = (chunk * 32767).astype(np.int16)
                frame = av.AudioFrame.from_ndarray(chunk, format=fmt, layout="mono")
                frame.sample_rate, frame.pts = audio_rate, start
                for packet in audio.encode(frame):
                    container.mux(packet)
            for packet in audio.encode():
                container.mux(packet)
    return duration
