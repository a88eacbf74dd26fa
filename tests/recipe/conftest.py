"""Tiny generated corpus and helpers for the recipe tests (no download)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Sequence

import numpy as np
import pytest
import soundfile as sf

from espnet_lowrank.kaldi_dir import Utterance, write_data_dir

from ..hang_guard import guarded_run

REPO = Path(__file__).resolve().parents[2]
TEMPLATE = REPO / "egs2" / "TEMPLATE" / "asr1"
ASR_SH = TEMPLATE / "asr.sh"
MINI = REPO / "egs2" / "mini_lowrank" / "asr1"
WORDS = ["yes", "no", "up", "down", "go", "stop"]


def make_corpus(root: Path, sizes: Dict[str, int], fs: int = 16000, seed: int = 0) -> None:
    """Write ``root/data/<set>`` Kaldi dirs of 0.5-1 s tone+noise wavs with word transcripts.

    Each word is a tone of its own pitch, so the task is learnable in principle.
    """
    rng = np.random.default_rng(seed)
    wav_dir = root / "wav"
    wav_dir.mkdir(parents=True, exist_ok=True)
    for name, n in sizes.items():
        utts: List[Utterance] = []
        for i in range(n):
            spk = f"spk{i % 2}"
            utt = f"{spk}-{name}{i:03d}"
            words = list(rng.choice(WORDS, size=int(rng.integers(1, 4))))
            seg = int(rng.uniform(0.5, 1.0) * fs) // len(words)
            t = np.arange(seg) / fs
            parts = [0.3 * np.sin(2 * np.pi * (200 + 100 * WORDS.index(w)) * t) for w in words]
            audio = np.concatenate(parts) + 0.01 * rng.standard_normal(seg * len(words))
            path = wav_dir / f"{utt}.wav"
            sf.write(str(path), audio.astype(np.float32), fs, subtype="PCM_16")
            utts.append(Utterance(utt, spk, str(path), " ".join(words)))
        write_data_dir(root / "data" / name, utts)


def recipe_dir(tmp: Path, sizes: Dict[str, int] | None = None) -> Path:
    """A recipe dir with the smoke configs and a generated corpus in ``data/``."""
    d = tmp / "asr1"
    (d / "conf").mkdir(parents=True)
    for f in ("train_asr_smoke.yaml", "train_lm_smoke.yaml", "decode_asr.yaml"):
        shutil.copy(MINI / "conf" / f, d / "conf" / f)
    make_corpus(d, sizes or {"train": 12, "dev": 4, "test": 4})
    return d


def run_asr(d: Path, args: Sequence[str], env: Dict[str, str] | None = None, timeout=3600):
    """Run asr.sh in ``d``; return the CompletedProcess (stdout+stderr in ``.stdout``)."""
    full_env = dict(os.environ, OMP_NUM_THREADS="1", **(env or {}))
    cmd = [
        "bash", str(ASR_SH), "--python", sys.executable, "--train_set", "train",
        "--valid_set", "dev", "--test_sets", "test", "--token_type", "char",
        "--asr_config", "conf/train_asr_smoke.yaml", "--lm_config", "conf/train_lm_smoke.yaml",
        "--inference_config", "conf/decode_asr.yaml", "--nj", "2", "--inference_nj", "2",
        *args,
    ]  # fmt: skip
    return guarded_run(
        cmd, cwd=d, env=full_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True, timeout=timeout,
    )  # fmt: skip


@pytest.fixture
def corpus_dir(tmp_path: Path) -> Path:
    return recipe_dir(tmp_path)
