"""A tiny ASR corpus and configs written by tests (no network, no external data)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Dict

import numpy as np
import soundfile
import yaml

WORDS = ["ABA", "BAB", "CAB", "ACE"]
CHARS = ["<blank>", "<unk>", "<space>", "A", "B", "C", "E", "<sos/eos>"]
FS = 16000


def write_corpus(root: Path, n_utts: int = 8, seed: int = 0) -> Dict[str, Path]:
    """Tone-coded 'words' (one pitch per letter) so a model can learn something."""
    rng = np.random.default_rng(seed)
    root.mkdir(parents=True, exist_ok=True)
    pitch = {"A": 300.0, "B": 600.0, "C": 900.0, "E": 1200.0}
    wav_lines, text_lines, speech_shape, text_shape = [], [], [], []
    for i in range(n_utts):
        words = [WORDS[(i + k) % len(WORDS)] for k in range(1 + i % 2)]
        text = " ".join(words)
        pieces = []
        for ch in text:
            t = np.arange(int(0.06 * FS)) / FS
            f = pitch.get(ch)
            pieces.append(np.sin(2 * np.pi * f * t) * 0.3 if f else np.zeros_like(t))
        audio = np.concatenate(pieces) + rng.normal(0, 0.01, sum(len(p) for p in pieces))
        uid = f"spk{i % 2}-utt{i:03d}"
        path = root / f"{uid}.wav"
        soundfile.write(path, audio.astype(np.float32), FS, subtype="PCM_16")
        wav_lines.append(f"{uid} {path}")
        text_lines.append(f"{uid} {text}")
        speech_shape.append(f"{uid} {len(audio)}")
        text_shape.append(f"{uid} {len(text)}")
    files = {
        "wav.scp": wav_lines,
        "text": text_lines,
        "speech_shape": speech_shape,
        "text_shape": text_shape,
    }
    out = {}
    for name, lines in files.items():
        (root / name).write_text("\n".join(lines) + "\n")
        out[name] = root / name
    (root / "tokens.txt").write_text("\n".join(CHARS) + "\n")
    out["tokens"] = root / "tokens.txt"
    return out


def write_asr_config(path: Path, data: Dict[str, Path], rank_map="lr_sms", **over) -> Path:
    """A tiny ESPnet ASR training config using the low-rank classes."""
    cfg = {
        "token_list": str(data["tokens"]),
        "token_type": "char",
        "train_data_path_and_name_and_type": [
            [str(data["wav.scp"]), "speech", "sound"],
            [str(data["text"]), "text", "text"],
        ],
        "valid_data_path_and_name_and_type": [
            [str(data["wav.scp"]), "speech", "sound"],
            [str(data["text"]), "text", "text"],
        ],
        "train_shape_file": [str(data["speech_shape"]), str(data["text_shape"])],
        "valid_shape_file": [str(data["speech_shape"]), str(data["text_shape"])],
        "batch_type": "unsorted",
        "batch_size": 4,
        "max_epoch": 1,
        "num_workers": 0,
        "ngpu": 0,
        "seed": 0,
        "frontend": "default",
        "frontend_conf": {"fs": "16k", "n_fft": 256, "hop_length": 64, "n_mels": 20},
        "specaug": None,
        "normalize": "utterance_mvn",
        "encoder": "lowrank_conformer",
        "encoder_conf": {
            "output_size": 16,
            "attention_heads": 2,
            "linear_units": 32,
            "num_blocks": 2,
            "cnn_module_kernel": 3,
            "macaron_style": True,
            "rank_map": rank_map,
        },
        "decoder": "lowrank_transformer",
        "decoder_conf": {
            "attention_heads": 2,
            "linear_units": 32,
            "num_blocks": 1,
            "rank_map": rank_map,
        },
        "model_conf": {"ctc_weight": 0.3, "lsm_weight": 0.0},
        "optim": "adam",
        "optim_conf": {"lr": 0.002},
        "best_model_criterion": [["valid", "acc", "max"]],
        "keep_nbest_models": 1,
        "use_matplotlib": False,
    }
    cfg.update(over)
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    return path


def run_asr_train(config: Path, output_dir: Path) -> subprocess.CompletedProcess:
    """``python -m espnet_lowrank.bin.asr_train --config C --output_dir O``, output captured."""
    from tests.hang_guard import guarded_run

    return guarded_run(
        [sys.executable, "-m", "espnet_lowrank.bin.asr_train", "--config", str(config),
         "--output_dir", str(output_dir)],
        capture_output=True, text=True, timeout=3600,
    )  # fmt: skip
