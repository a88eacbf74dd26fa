"""Extract the audio track of a media file to a 16-bit mono WAV with PyAV."""

from __future__ import annotations

import os
import wave
from pathlib import Path

import numpy as np

from espnet_lowrank.extras import require
from espnet_lowrank.video.errors import MediaError


def decode_audio(path: Path | str, rate: int = 16000) -> np.ndarray:
    """Decode the first audio stream of ``path``, resampled to mono ``rate`` Hz.

    The result is cut to the stream's declared duration (some decoders return
    encoder padding after the last sample).

    Returns:
        ``(S,)`` int16 samples.

    Raises:
        MediaError: unreadable file, no audio track, or no decodable samples.
    """
    av = require("av", "decoding audio from media files (PyAV)")
    try:
        container = av.open(str(path))
    except av.FFmpegError as e:
        raise MediaError(path, f"unreadable media file ({e})") from e
    with container:
        if not container.streams.audio:
            raise MediaError(path, "no audio track")
        stream = container.streams.audio[0]
        resampler = av.AudioResampler(format="s16", layout="mono", rate=rate)
        chunks = []
        try:
            for frame in container.decode(stream):
                chunks.extend(o.to_ndarray().reshape(-1) for o in resampler.resample(frame))
            chunks.extend(o.to_ndarray().reshape(-1) for o in resampler.resample(None))
        except av.FFmpegError as e:
            raise MediaError(path, f"audio decoding failed ({e})") from e
        declared = None
        if stream.duration is not None and stream.time_base is not None:
            declared = float(stream.duration * stream.time_base)
    if not chunks:
        raise MediaError(path, "audio track has no decodable samples")
    samples = np.concatenate(chunks).astype(np.int16, copy=False)
    if declared is not None and declared > 0:
        samples = samples[: int(round(declared * rate))]
    if len(samples) == 0:
        raise MediaError(path, "audio track has no decodable samples")
    return samples


def write_wav(path: Path | str, samples: np.ndarray, rate: int) -> None:
    """Write ``(S,)`` int16 ``samples`` as a mono WAV, atomically (temp + rename)."""
    samples = np.asarray(samples)
    if samples.dtype != np.int16 or samples.ndim != 1:
        raise ValueError(f"samples must be 1-D int16, got {samples.dtype} {samples.shape}")
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + f".tmp{os.getpid()}")
    with wave.open(str(tmp), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(samples.astype("<i2").tobytes())
    os.replace(tmp, out)


def wav_duration(path: Path | str) -> float:
    """Duration in seconds of a WAV file (from its header)."""
    with wave.open(str(path), "rb") as w:
        return w.getnframes() / w.getframerate()


def extract_audio(src: Path | str, dst: Path | str, rate: int = 16000) -> float:
    """Write the audio track of ``src`` to ``dst`` (16-bit mono ``rate`` Hz WAV).

    Returns:
        The duration in seconds.

    Raises:
        MediaError: see :func:`decode_audio`.
    """
    samples = decode_audio(src, rate)
    write_wav(dst, samples, rate)
    return len(samples) / rate
