"""Assemble the audio-visual mini corpus on top of the audio-only mini corpus.

:func:`build_av_corpus` calls :func:`espnet_lowrank.corpora.mini.corpus.build_corpus`
(same text, vocabulary, speakers and splits; phone timings on) with noisier audio
(SNR ``-5..5`` dB by default instead of ``15..35``, so that the lips carry
information the audio loses), then renders for every utterance a ``(T, 88, 88)``
uint8 mouth video at 25 fps, ``T = round(duration * 25)``, from its espeak-ng
phone timings (:mod:`.track`) and its speaker's appearance (:mod:`.mouth`) with
slow random head motion and sensor noise, stores it as ``.npy`` (the
``video_npy`` type) and writes ``video.scp`` into each data dir.
Everything random is seeded by ``seed`` and the utterance / speaker id.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Dict, List, Sequence, Tuple

import numpy as np

from espnet_lowrank.corpora.kaldi_dir import read_table
from espnet_lowrank.corpora.mini.corpus import SPLITS, CorpusConfig, build_corpus
from espnet_lowrank.corpora.mini.voices import VoiceConfig
from espnet_lowrank.corpora.mini_av.mouth import draw_appearance, render_frame
from espnet_lowrank.corpora.mini_av.track import frame_count, mouth_track
from espnet_lowrank.video.array_io import save_video_array

logger = logging.getLogger(__name__)

FPS = 25
FS = 16000


def _default_audio() -> CorpusConfig:
    return CorpusConfig(
        vocab_size=1000,
        test_sentences=150,
        dev_sentences=100,
        train_hours=0.6,
        snr_low=-5.0,
        snr_high=5.0,
        voices=VoiceConfig(num_train_speakers=30, num_unseen_speakers=8),
    )


@dataclass(frozen=True)
class AVCorpusConfig:
    """The audio corpus' settings (``audio``) and the video's.

    Defaults: about 0.6 h of training speech (about 0.9 h in all splits) at -5..5 dB SNR.
    """

    audio: CorpusConfig = field(default_factory=_default_audio)
    coarticulation_ms: float = 25.0
    head_motion_px: float = 2.0  # standard deviation of the slow head motion

    @classmethod
    def smoke(cls, seed: int = 1) -> AVCorpusConfig:
        """A tiny corpus for CI: 24 train utterances, 8 per test set."""
        audio = replace(
            CorpusConfig.smoke(seed), snr_low=-5.0, snr_high=5.0, train_utts=24,
            test_sentences=8, dev_sentences=8,
            voices=VoiceConfig(num_train_speakers=6, num_unseen_speakers=2),
        )  # fmt: skip
        return cls(audio=audio)

    def validate(self) -> None:
        if not self.audio.phone_times:
            raise ValueError("the AV corpus needs audio.phone_times = true (mouths follow them)")
        if self.coarticulation_ms < 0 or self.head_motion_px < 0:
            raise ValueError("coarticulation_ms and head_motion_px must be >= 0")
        self.audio.validate()


def read_phones_ctm(path: Path | str) -> Dict[str, List[Tuple[str, float, float]]]:
    """``utt 1 start dur phone`` lines -> ``{utt: [(phone, start, end), ...]}``."""
    out: Dict[str, List[Tuple[str, float, float]]] = {}
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        fields = line.split()
        if not fields:
            continue
        if len(fields) != 5:
            raise ValueError(f"{path}:{n}: expected 'utt 1 start dur phone', got {line!r}")
        start, dur = float(fields[2]), float(fields[3])
        out.setdefault(fields[0], []).append((fields[4], start, start + dur))
    return out


def _rng(seed: int, key: str) -> np.random.Generator:
    digest = hashlib.sha256(f"{seed}:{key}".encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "little"))


def head_motion(n_frames: int, rng: np.random.Generator, std_px: float) -> np.ndarray:
    """Slow ``(n_frames, 2)`` head offsets: a smoothed random walk of about ``std_px``."""
    if std_px == 0:
        return np.zeros((n_frames, 2))
    walk = np.cumsum(rng.normal(0.0, 1.0, (n_frames + 12, 2)), axis=0)
    kernel = np.hanning(13) / np.hanning(13).sum()
    smooth = np.stack([np.convolve(walk[:, i], kernel, mode="valid") for i in range(2)], 1)
    smooth -= smooth.mean(0)
    scale = smooth.std() or 1.0
    return np.clip(smooth[:n_frames] / scale * std_px, -3 * std_px, 3 * std_px)


def render_video(
    phones: Sequence[Tuple[str, float, float]],
    n_frames: int,
    spk_id: str,
    utt_id: str,
    seed: int,
    coarticulation_ms: float = 25.0,
    head_motion_px: float = 2.0,
) -> np.ndarray:
    """The ``(n_frames, 88, 88)`` uint8 mouth video of one utterance."""
    look = draw_appearance(seed, spk_id)
    track = mouth_track(phones, n_frames, FPS, coarticulation_ms)
    rng = _rng(seed, f"{utt_id}/video")
    motion = head_motion(n_frames, rng, head_motion_px)
    return np.stack([render_frame(track[i], look, tuple(motion[i]), rng) for i in range(n_frames)])


def _render_job(job: Tuple) -> Tuple[str, int]:
    utt, spk, phones, samples, out, seed, coart, motion = job
    n = frame_count(samples, FS, FPS)
    save_video_array(out, render_video(phones, n, spk, utt, seed, coart, motion))
    return utt, n


def build_av_corpus(
    cfg: AVCorpusConfig,
    data_dir: Path | str,
    wav_dir: Path | str,
    video_dir: Path | str,
    nj: int = 1,
) -> Dict:
    """Make the corpus; returns ``corpus_info`` (also in ``data_dir/local/corpus_info.json``).

    Writes everything :func:`build_corpus` writes, plus ``video.scp`` and
    ``utt2num_frames`` in each split and ``video_dir/<split>/<utt>.npy``.
    """
    import soundfile as sf
    from tqdm import tqdm

    cfg.validate()
    data_dir, video_dir = Path(data_dir), Path(video_dir)
    info = build_corpus(cfg.audio, data_dir, wav_dir, nj=nj)
    t0 = time.time()
    jobs = []
    for split in SPLITS:
        wavs = read_table(data_dir / split / "wav.scp")
        spk = read_table(data_dir / split / "utt2spk")
        phones = read_phones_ctm(data_dir / split / "phones.ctm")
        missing = sorted(set(wavs) - set(phones))
        if missing:
            raise ValueError(f"{data_dir / split / 'phones.ctm'}: no phones for {missing[0]}")
        for utt in sorted(wavs):
            samples = sf.info(wavs[utt]).frames
            out = video_dir / split / f"{utt}.npy"
            jobs.append((utt, spk[utt], phones[utt], samples, str(out), cfg.audio.seed,
                         cfg.coarticulation_ms, cfg.head_motion_px))  # fmt: skip
    frames: Dict[str, int] = {}
    with tqdm(total=len(jobs), desc="mouth video", unit="utt", mininterval=1.0) as bar:
        if nj <= 1:
            results = map(_render_job, jobs)
            for utt, n in results:
                frames[utt] = n
                bar.update(1)
        else:
            import multiprocessing as mp

            # spawn, not fork: a fork after torch/OpenMP threads exist can deadlock
            # (seen in the Python 3.12 test suite)
            with mp.get_context("spawn").Pool(nj) as pool:
                for utt, n in pool.imap_unordered(_render_job, jobs, chunksize=8):
                    frames[utt] = n
                    bar.update(1)
    for split in SPLITS:
        utts = sorted(read_table(data_dir / split / "wav.scp"))
        scp = "".join(f"{u} {video_dir / split / f'{u}.npy'}\n" for u in utts)
        (data_dir / split / "video.scp").write_text(scp, encoding="utf-8")
        (data_dir / split / "utt2num_frames").write_text(
            "".join(f"{u} {frames[u]}\n" for u in utts), encoding="utf-8"
        )
        info["splits"][split]["video_frames"] = sum(frames[u] for u in utts)
    info["video"] = {
        "fps": FPS,
        "size": [88, 88],
        "dtype": "uint8",
        "coarticulation_ms": cfg.coarticulation_ms,
        "head_motion_px": cfg.head_motion_px,
        "seconds": round(time.time() - t0, 1),
    }
    info["config"]["video"] = {k: v for k, v in asdict(cfg).items() if k != "audio"}
    (data_dir / "local" / "corpus_info.json").write_text(
        json.dumps(info, indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )
    logger.info("mouth video of %d utterances in %.1f s", len(jobs), time.time() - t0)
    return info
