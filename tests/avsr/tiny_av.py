"""Tiny AVSR models and a synthetic audio-visual corpus written by the tests."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any, Dict

import numpy as np
import soundfile
import yaml

REPO = Path(__file__).resolve().parents[2]
TINY_CONFIG = REPO / "conf" / "avsr" / "train_avsr_tiny.yaml"
TOKENS = ["<blank>", "<unk>", "<space>", "A", "B", "C", "<sos/eos>"]
WORDS = ["AB", "BC", "CA", "ABC"]
FS = 16000
FPS = 25


def tiny_args(**model_conf: Any):
    """Parsed training args of the tiny config, ``model_conf`` keys overridden."""
    from espnet_lowrank.avsr.task import AVSRTask

    args = AVSRTask.get_parser().parse_args(["--config", str(TINY_CONFIG)])
    args.token_list = list(TOKENS)
    conf = copy.deepcopy(args.model_conf)
    conf.update(model_conf)
    args.model_conf = conf
    return args


def tiny_model(**model_conf: Any):
    from espnet_lowrank.avsr.task import AVSRTask

    return AVSRTask.build_model(tiny_args(**model_conf))


def write_av_corpus(root: Path, n_utts: int = 6, seed: int = 0) -> Dict[str, Path]:
    """Random wavs + random ``(T, 88, 88)`` uint8 videos + text, ESPnet-style lists.

    Video lengths differ from the audio's 25 fps frame count by -1, 0 or +1 frame.
    """
    from espnet_lowrank.video.array_io import save_video_array

    rng = np.random.default_rng(seed)
    root.mkdir(parents=True, exist_ok=True)
    lines: Dict[str, list] = {k: [] for k in ("wav.scp", "video.scp", "text")}
    shapes: Dict[str, list] = {k: [] for k in ("speech_shape", "video_shape", "text_shape")}
    for i in range(n_utts):
        uid = f"spk{i % 2}-utt{i:03d}"
        text = " ".join(WORDS[(i + k) % len(WORDS)] for k in range(1 + i % 2))
        frames = 10 + 2 * i
        audio = rng.normal(0, 0.1, frames * FS // FPS).astype(np.float32)
        video = rng.integers(0, 256, (frames + (i % 3) - 1, 88, 88), dtype=np.uint8)
        wav, npy = root / f"{uid}.wav", root / f"{uid}.npy"
        soundfile.write(wav, audio, FS, subtype="PCM_16")
        save_video_array(npy, video)
        lines["wav.scp"].append(f"{uid} {wav}")
        lines["video.scp"].append(f"{uid} {npy}")
        lines["text"].append(f"{uid} {text}")
        shapes["speech_shape"].append(f"{uid} {len(audio)}")
        shapes["video_shape"].append(f"{uid} {video.shape[0]},88,88")
        shapes["text_shape"].append(f"{uid} {len(text)}")
    out = {}
    for name, rows in {**lines, **shapes}.items():
        (root / name).write_text("\n".join(rows) + "\n")
        out[name] = root / name
    (root / "tokens.txt").write_text("\n".join(TOKENS) + "\n")
    out["tokens"] = root / "tokens.txt"
    return out


def write_train_config(path: Path, data: Dict[str, Path]) -> Path:
    """The tiny shipped config plus the synthetic corpus' data options."""
    cfg = yaml.safe_load(TINY_CONFIG.read_text())
    streams = [
        [str(data["wav.scp"]), "speech", "sound"],
        [str(data["video.scp"]), "video", "video_npy"],
        [str(data["text"]), "text", "text"],
    ]
    shapes = [str(data["speech_shape"]), str(data["text_shape"])]
    cfg.update(
        token_list=str(data["tokens"]),
        token_type="char",
        train_data_path_and_name_and_type=streams,
        valid_data_path_and_name_and_type=streams,
        train_shape_file=shapes,
        valid_shape_file=shapes,
        seed=0,
        ngpu=0,
    )
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    return path
