"""Stage 2 for AVSR: write ``dump/raw/<set>/video.scp`` beside the formatted ``wav.scp``.

The audio side is formatted (and length-filtered) first by
:mod:`espnet_lowrank.recipe.format_data`; this keeps the video of exactly the
utterances that survived, checks every array (a ``(T, H, W)`` uint8 ``.npy``
read from its header only) and its frame count against the audio duration at
``fps``. An utterance whose streams differ by more than ``max_mismatch``
frames is dropped from every table of ``dst`` and counted in the report (its
video probably belongs to another clip); a missing or unreadable array is an
error naming the file and the utterance.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List

import numpy as np

from espnet_lowrank.kaldi_dir import read_table

UTT_TABLES = ("wav.scp", "utt2num_samples", "text", "utt2spk")


@dataclass
class VideoFormatReport:
    """What :func:`format_video_scp` did: kept count and dropped ids with reasons."""

    kept: int = 0
    dropped: Dict[str, str] = field(default_factory=dict)

    def summary(self, name: str) -> str:
        why = (
            f"{len(self.dropped)} dropped (audio/video length mismatch)"
            if self.dropped
            else ("none dropped")
        )
        return f"{name}: video of {self.kept} utterance(s) kept; {why}"


def video_shape(path: Path) -> tuple:
    """``(T, H, W)`` of a stored video array, read from the ``.npy`` header only."""
    try:
        arr = np.load(path, mmap_mode="r", allow_pickle=False)
    except (OSError, ValueError) as e:
        raise ValueError(f"{path}: cannot read video array ({e})") from e
    if arr.dtype != np.uint8 or arr.ndim != 3 or arr.shape[0] == 0:
        raise ValueError(f"{path}: expected non-empty (T, H, W) uint8, got {arr.dtype} {arr.shape}")
    return tuple(arr.shape)


def format_video_scp(
    src: Path | str,
    dst: Path | str,
    fs: int = 16000,
    fps: int = 25,
    max_mismatch: int = 3,
) -> VideoFormatReport:
    """Write ``dst/{video.scp,video_shape}`` for the utterances of ``dst/wav.scp``.

    Args:
        src: Kaldi data dir with ``video.scp`` (``utt /path.npy``).
        dst: the formatted dir (``wav.scp``, ``utt2num_samples`` written by stage 2).
        fs, fps: audio sample rate and video frame rate.
        max_mismatch: frames the video may differ from ``round(samples / fs * fps)``.
    """
    src, dst = Path(src), Path(dst)
    for path in (src / "video.scp", dst / "wav.scp", dst / "utt2num_samples"):
        if not path.is_file():
            raise FileNotFoundError(f"{path} is missing (needed for the AVSR video.scp)")
    videos = read_table(src / "video.scp")
    samples = read_table(dst / "utt2num_samples")
    missing = sorted(set(samples) - set(videos))
    if missing:
        raise ValueError(
            f"{src / 'video.scp'} has no entry for {len(missing)} utterance(s) of "
            f"{dst / 'wav.scp'}, e.g. {missing[0]}"
        )
    report = VideoFormatReport()
    scp: List[str] = []
    shapes: List[str] = []
    for utt in sorted(samples):
        path = Path(videos[utt].strip())
        if not path.is_absolute():
            path = (Path.cwd() / path).resolve()
        if not path.is_file():
            raise FileNotFoundError(f"{src / 'video.scp'}: video of {utt} not found: {path}")
        shape = video_shape(path)
        expected = round(int(samples[utt]) / fs * fps)
        if abs(shape[0] - expected) > max_mismatch:
            report.dropped[utt] = f"{shape[0]} video frames vs {expected} from the audio"
            continue
        scp.append(f"{utt} {path}")
        shapes.append(f"{utt} {','.join(map(str, shape))}")
    if not scp:
        raise ValueError(f"no utterance of {src} has video matching its audio: {report.dropped}")
    report.kept = len(scp)
    if report.dropped:  # keep every table of dst on the same utterances
        for name in UTT_TABLES:
            table = read_table(dst / name)
            rows = [f"{u} {v}".rstrip() for u, v in table.items() if u not in report.dropped]
            (dst / name).write_text("".join(f"{r}\n" for r in rows), encoding="utf-8")
        spk = read_table(dst / "utt2spk")
        spk2utt: Dict[str, List[str]] = {}
        for u, s in spk.items():
            spk2utt.setdefault(s, []).append(u)
        (dst / "spk2utt").write_text(
            "".join(f"{s} {' '.join(us)}\n" for s, us in sorted(spk2utt.items())), encoding="utf-8"
        )
        (dst / "video_dropped").write_text(
            "".join(f"{u} {why}\n" for u, why in sorted(report.dropped.items())), encoding="utf-8"
        )
    (dst / "video.scp").write_text("".join(f"{r}\n" for r in scp), encoding="utf-8")
    (dst / "video_shape").write_text("".join(f"{r}\n" for r in shapes), encoding="utf-8")
    return report
