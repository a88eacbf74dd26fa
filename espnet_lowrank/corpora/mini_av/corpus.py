"""Assemble the audio-visual mini corpus: GRID-style commands, noisy speech, mouth video.

Sentences come from a closed grammar (:mod:`.grid`: "bin blue at f two now",
51 words, 64,000 sentences), are spoken by the mini corpus' synthetic espeak-ng
speakers (:mod:`espnet_lowrank.corpora.mini.voices`, :mod:`espnet_lowrank.corpora.mini.tts`)
at low SNR (``-5..5`` dB by default), so that the lips carry information the
audio loses, and for every utterance a ``(T, 88, 88)`` uint8 mouth video at
25 fps, ``T = round(duration * 25)``, is drawn from its espeak-ng phone timings
(:mod:`.track`) and its speaker's appearance (:mod:`.mouth`) with slow random
head motion and sensor noise, stored as ``.npy`` (the ``video_npy`` type).

Splits (sentences drawn without replacement with the seed, so no sentence
text is in two of test, dev and train):

* ``test``: ``test_sentences`` sentences, each spoken once by a training speaker;
* ``dev``: ``dev_sentences`` other sentences, spoken the same way;
* ``test_unseen``: the ``test`` sentences spoken by speakers of held-out accents;
* ``train``: ``train_utts`` other sentences, each spoken once.
* the SNR sweep ``test_snr_clean``, ``test_snr_10``, ``test_snr_5``, ``test_snr_0``,
  ``test_snr_m5`` (``snr_sweep``): the ``test`` utterances again, same speakers, level,
  noise samples and video, with the noise scaled to one SNR (none for ``clean``), so
  every difference between two sweep sets is the SNR (:func:`build_snr_sweep`).

Everything random is seeded by ``seed`` and the utterance / speaker id, so a
seed gives identical tables, WAV bytes and videos whatever ``nj`` is.
"""

from __future__ import annotations

import hashlib
import json
import logging
import platform
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from espnet_lowrank.corpora.mini.corpus import (
    SPLITS,
    PlannedUtt,
    config_dict,
    plan_eval,
    planned_utterances,
    synth_jobs,
    write_phones_ctm,
)
from espnet_lowrank.corpora.mini.tts import CLEAN, SynthJob, espeak_version, render_all
from espnet_lowrank.corpora.mini.voices import VoiceConfig, draw_speakers
from espnet_lowrank.corpora.mini_av import grid
from espnet_lowrank.corpora.mini_av.mouth import draw_appearance, render_frame
from espnet_lowrank.corpora.mini_av.track import draw_articulation, frame_count, mouth_track
from espnet_lowrank.kaldi_dir import read_table, write_data_dir
from espnet_lowrank.video.array_io import save_video_array

logger = logging.getLogger(__name__)

FPS = 25
FS = 16000


SNR_SWEEP: Tuple[Optional[float], ...] = (None, 10.0, 5.0, 0.0, -5.0)  # None: clean


def sweep_set_name(snr_db: Optional[float]) -> str:
    """``None`` -> ``test_snr_clean``, ``10`` -> ``test_snr_10``, ``-5`` -> ``test_snr_m5``,
    ``2.5`` -> ``test_snr_2p5`` (names that are safe as file and folder names)."""
    if snr_db is None:
        return "test_snr_clean"
    text = f"{snr_db:g}".replace("-", "m").replace(".", "p")
    return f"test_snr_{text}"


_SWEEP_NAME = re.compile(r"^test_snr_(?:(?P<clean>clean)|(?P<minus>m)?(?P<num>\d+(?:p\d+)?))$")


def is_sweep_set(name: str) -> bool:
    """Whether ``name`` is a set :func:`sweep_set_name` writes."""
    return _SWEEP_NAME.match(name) is not None


def sweep_set_snr(name: str) -> Optional[float]:
    """The SNR of a sweep set (the inverse of :func:`sweep_set_name`): ``test_snr_m5`` ->
    ``-5.0``, ``test_snr_clean`` -> ``None``. Another name is a ``ValueError``."""
    m = _SWEEP_NAME.match(name)
    if m is None:
        raise ValueError(f"{name!r} is not an SNR sweep set (test_snr_clean, test_snr_10, ...)")
    if m["clean"]:
        return None
    value = float(m["num"].replace("p", "."))
    return -value if m["minus"] else value


def _default_voices() -> VoiceConfig:
    return VoiceConfig(num_train_speakers=30, num_unseen_speakers=8)


@dataclass(frozen=True)
class AVCorpusConfig:
    """Sizes, noise and video settings of the audio-visual mini corpus.

    Defaults: 1,800 training utterances (about 1 h), 400 test sentences
    (2,400 words), 100 dev sentences, at -5..5 dB SNR.
    """

    seed: int = 1
    train_utts: int = 1800
    test_sentences: int = 400
    dev_sentences: int = 100
    snr_low: float = -5.0
    snr_high: float = 5.0
    voices: VoiceConfig = field(default_factory=_default_voices)
    coarticulation_ms: float = 25.0  # with speaker_articulation false
    head_motion_px: float = 2.0  # standard deviation of the slow head motion
    # each speaker's own opening, rounding, co-articulation span, undershoot, per-token
    # jitter and audio-video lag (track.draw_articulation); false: the table's shapes
    speaker_articulation: bool = True
    # the test sentences again at each of these SNRs in dB (None: clean), see build_snr_sweep
    snr_sweep: Tuple[Optional[float], ...] = SNR_SWEEP

    @classmethod
    def smoke(cls, seed: int = 1) -> AVCorpusConfig:
        """A tiny corpus for CI: 24 train utterances, 8 per test set."""
        return cls(
            seed=seed, train_utts=24, test_sentences=8, dev_sentences=8,
            voices=VoiceConfig(num_train_speakers=6, num_unseen_speakers=2),
            snr_sweep=(None, -5.0),
        )  # fmt: skip

    def validate(self) -> None:
        """Raise ``ValueError`` naming the first bad setting."""
        for name in ("train_utts", "test_sentences", "dev_sentences"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be positive, got {getattr(self, name)}")
        if self.snr_low > self.snr_high:
            raise ValueError(f"snr range is empty: {self.snr_low} > {self.snr_high}")
        if self.coarticulation_ms < 0 or self.head_motion_px < 0:
            raise ValueError("coarticulation_ms and head_motion_px must be >= 0")
        for snr in self.snr_sweep:
            if snr is not None and not np.isfinite(snr):
                raise ValueError(f"snr_sweep: {snr} is not a finite SNR in dB (clean: None)")
        names = [sweep_set_name(snr) for snr in self.snr_sweep]
        if len(set(names)) != len(names):
            raise ValueError(f"snr_sweep names a set twice: {list(self.snr_sweep)}")
        self.voices.validate()


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
    speaker_articulation: bool = True,
) -> np.ndarray:
    """The ``(n_frames, 88, 88)`` uint8 mouth video of one utterance (``coarticulation_ms``
    applies without ``speaker_articulation``; with it the speaker's own span does)."""
    look = draw_appearance(seed, spk_id)
    art = draw_articulation(seed, spk_id) if speaker_articulation else None
    track = mouth_track(phones, n_frames, FPS, coarticulation_ms, art, _rng(seed, f"{utt_id}/lips"))
    rng = _rng(seed, f"{utt_id}/video")
    motion = head_motion(n_frames, rng, head_motion_px)
    return np.stack([render_frame(track[i], look, tuple(motion[i]), rng) for i in range(n_frames)])


def _render_job(job: Tuple) -> Tuple[str, int]:
    utt, spk, phones, samples, out, seed, coart, motion, articulation = job
    n = frame_count(samples, FS, FPS)
    save_video_array(out, render_video(phones, n, spk, utt, seed, coart, motion, articulation))
    return utt, n


def _check_frames(utt: str, n: int, frames: Dict[str, int]) -> None:
    if n != frames[utt]:  # pragma: no cover - both come from frame_count
        raise RuntimeError(f"{utt}: rendered {n} video frames, utt2num_frames says {frames[utt]}")


def plan_splits(cfg: AVCorpusConfig) -> Dict[str, List[PlannedUtt]]:
    """Sentences and speakers of every split (no synthesis); see the module docstring."""
    test_i, dev_i, train_i = grid.draw_sentence_indices(
        np.random.default_rng([cfg.seed, 0]),
        (cfg.test_sentences, cfg.dev_sentences, cfg.train_utts),
    )

    def sents(indices: Sequence[int]):
        return [(f"g{i:05d}", grid.make_sentence(i)) for i in indices]

    spk_rng = np.random.default_rng([cfg.seed, 1])
    v = cfg.voices
    train_spk = draw_speakers(v.train_accents, v.num_train_speakers, v, spk_rng)
    unseen_spk = draw_speakers(v.unseen_accents, v.num_unseen_speakers, v, spk_rng)
    return {
        "train": plan_eval(
            "train", sents(train_i), train_spk, np.random.default_rng([cfg.seed, 2])
        ),
        "dev": plan_eval("dev", sents(dev_i), train_spk, np.random.default_rng([cfg.seed, 3])),
        "test": plan_eval("test", sents(test_i), train_spk, np.random.default_rng([cfg.seed, 4])),
        "test_unseen": plan_eval(
            "test_unseen", sents(test_i), unseen_spk, np.random.default_rng([cfg.seed, 5])
        ),
    }


def _split_info(
    planned: Sequence[PlannedUtt], results: Dict, frames: Dict[str, int], train_words: set
) -> Dict:
    """``corpus_info.json``'s entry of one split."""
    samples = sum(results[p.utt_id].num_samples for p in planned)
    words = [w for p in planned for w in p.sentence.words]
    return {
        "utterances": len(planned),
        "sentences": len({p.sent_id for p in planned}),
        "words": len(words),
        "words_not_in_train": sorted(set(words) - train_words),
        "hours": round(samples / FS / 3600.0, 4),
        "mean_seconds": round(samples / FS / max(1, len(planned)), 3),
        "video_frames": sum(frames[p.utt_id] for p in planned),
        "speakers": len({p.speaker.spk_id for p in planned}),
        "accents": sorted({p.speaker.voice for p in planned}),
    }


def build_snr_sweep(
    cfg: AVCorpusConfig,
    data_dir: Path | str,
    wav_dir: Path | str,
    nj: int = 1,
    plans: Optional[Dict[str, List[PlannedUtt]]] = None,
) -> Dict[str, Dict]:
    """Write the SNR sweep sets of an existing corpus' ``test`` split.

    For every SNR of ``cfg.snr_sweep`` a set ``data_dir/<sweep_set_name(snr)>`` holds
    the ``test`` utterances (same ids, text, speakers) synthesised again with the
    same level and noise generator at that SNR (no noise for ``None``), WAVs in
    ``wav_dir/<set>/``; ``video.scp``, ``utt2num_frames``, ``phonemes`` and
    ``phones.ctm`` are the ``test`` set's, so audio is the only thing that changes.

    Returns ``{set: corpus_info entry}`` (each with ``snr_db``: the SNR, ``None`` for
    clean). Raises ``FileNotFoundError`` naming a missing ``test`` table and
    ``ValueError`` if a new recording does not have its ``test`` length.
    """
    data_dir, wav_dir = Path(data_dir), Path(wav_dir)
    plans = plan_splits(cfg) if plans is None else plans
    test_dir = data_dir / "test"
    for name in ("video.scp", "utt2num_frames", "phones.ctm"):
        if not (test_dir / name).is_file():
            raise FileNotFoundError(f"{test_dir / name} not found: make the corpus first")
    tables = {name: read_table(test_dir / name) for name in ("video.scp", "utt2num_frames")}
    test_ctm = (test_dir / "phones.ctm").read_text(encoding="utf-8")
    planned = plans["test"]
    missing = [p.utt_id for p in planned if p.utt_id not in tables["video.scp"]]
    if missing:
        raise ValueError(f"{test_dir}/video.scp lacks {missing[0]} (and {len(missing) - 1} "
                         "more): the corpus was made with another config")  # fmt: skip
    frames = {u: int(n) for u, n in tables["utt2num_frames"].items()}
    train_words = {w for p in plans["train"] for w in p.sentence.words}
    info: Dict[str, Dict] = {}
    for snr in cfg.snr_sweep:  # one SNR at a time: results are keyed by utterance id
        name = sweep_set_name(snr)
        level = CLEAN if snr is None else float(snr)
        jobs = [SynthJob(utt_id=p.utt_id, spoken=p.sentence.spoken, speaker=p.speaker,
                         wav_path=str(wav_dir / name / f"{p.utt_id}.wav"),
                         seed=cfg.seed, snr_low=level, snr_high=level)
                for p in planned]  # fmt: skip
        results = render_all(jobs, nj=nj, desc=f"espeak-ng {name}")
        for p in planned:
            got = frame_count(results[p.utt_id].num_samples, FS, FPS)
            if got != frames[p.utt_id]:
                raise ValueError(
                    f"{name}/{p.utt_id}: {got} frames of audio, {test_dir}/utt2num_frames "
                    f"says {frames[p.utt_id]}: the corpus was made with another espeak-ng"
                )
        utts = planned_utterances(
            name, planned, wav_dir, results,
            lambda p: {"video.scp": tables["video.scp"][p.utt_id],
                       "utt2num_frames": tables["utt2num_frames"][p.utt_id]},
        )  # fmt: skip
        write_data_dir(data_dir / name, utts)
        (data_dir / name / "phones.ctm").write_text(test_ctm, encoding="utf-8")
        info[name] = {**_split_info(planned, results, frames, train_words), "snr_db": snr}
    return info


def add_snr_sweep(
    cfg: AVCorpusConfig, data_dir: Path | str, wav_dir: Path | str, nj: int = 1
) -> Dict:
    """Add the SNR sweep sets to a corpus made earlier with ``cfg`` (up to ``snr_sweep``).

    ``data_dir/local/corpus_info.json`` must hold ``cfg``'s other settings: a
    different one is a ``ValueError`` naming the first key that differs. Updates
    that file and returns it.
    """
    cfg.validate()
    data_dir = Path(data_dir)
    path = data_dir / "local" / "corpus_info.json"
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found: make the corpus first")
    info = json.loads(path.read_text(encoding="utf-8"))
    made = dict(info.get("config", {}))
    want = config_dict(cfg)
    for key in sorted(set(made) | set(want)):
        if key != "snr_sweep" and made.get(key) != want.get(key):
            raise ValueError(f"{path}: config.{key} is {made.get(key)!r}, this run asks for "
                             f"{want.get(key)!r}; make the corpus again instead")  # fmt: skip
    t0 = time.time()
    sweep = build_snr_sweep(cfg, data_dir, wav_dir, nj=nj)
    info["splits"] = {k: v for k, v in info["splits"].items() if "snr_db" not in v}
    info["splits"].update(sweep)
    info["config"] = want
    text = json.dumps(info, indent=2, sort_keys=True) + "\n"
    path.write_text(text, encoding="utf-8")
    logger.info("SNR sweep (%s) added in %.1f s", ", ".join(sweep), time.time() - t0)
    return json.loads(text)


def _snr_text(snr_db: Optional[float]) -> str:
    return "clean" if snr_db is None else f"{snr_db:g} dB"


def _notice(cfg: AVCorpusConfig) -> str:
    return f"""Audio-visual mini corpus for egs2/mini_lowrank/avsr1 (made by espnet_lowrank)

Text: a GRID-style closed grammar written for this package (six-word commands
such as "bin blue at f two now"; 51 words, 64,000 sentences). The sentence
design follows the GRID audio-visual corpus (M. Cooke, J. Barker, S. Cunningham
and X. Shao, "An audio-visual corpus for speech perception and automatic speech
recognition", JASA 120(5), 2006); no GRID audio, video or text files are used.

Speech: synthesised with the espeak-ng program, GPL-3.0-or-later
({espeak_version()}).
Accents in train/dev/test: {", ".join(cfg.voices.train_accents)}.
Held-out accents (test_unseen only): {", ".join(cfg.voices.unseen_accents)}.
Coloured Gaussian noise at {cfg.snr_low:g}..{cfg.snr_high:g} dB SNR, 16 kHz 16-bit PCM mono WAV;
the test sentences also at {", ".join(_snr_text(s) for s in cfg.snr_sweep)}.
Video: synthetic 88x88 grayscale mouths at {FPS} fps drawn from the phonemes and
timings espeak-ng reports (uint8 .npy arrays, shape (T, 88, 88)).
Seed: {cfg.seed}. Details: corpus_info.json.
"""


def build_av_corpus(
    cfg: AVCorpusConfig,
    data_dir: Path | str,
    wav_dir: Path | str,
    video_dir: Path | str,
    nj: int = 1,
) -> Dict:
    """Make the corpus; returns ``corpus_info`` (also in ``data_dir/local/corpus_info.json``).

    Writes ``data_dir/{train,dev,test,test_unseen}/{wav.scp,video.scp,text,utt2spk,
    spk2utt,phonemes,phones.ctm,utt2num_frames}`` (``phonemes``: espeak-ng ``-x``
    mnemonics; ``phones.ctm``: ``utt 1 start dur phone`` per phoneme;
    ``utt2num_frames``: video frames) and ``data_dir/local/{corpus_info.json,
    vocab.txt,README,LICENSE-NOTE}``; WAVs go to ``wav_dir/<split>/<utt>.wav``,
    videos to ``video_dir/<split>/<utt>.npy``, named in the tables by the paths
    as given (keep them relative to the recipe for portable tables).
    """
    from tqdm import tqdm

    cfg.validate()
    t0 = time.time()
    data_dir, wav_dir, video_dir = Path(data_dir), Path(wav_dir), Path(video_dir)
    plans = plan_splits(cfg)
    jobs = synth_jobs(plans, wav_dir, cfg.seed, cfg.snr_low, cfg.snr_high, phone_times=True)
    results = render_all(jobs, nj=nj, desc="espeak-ng")
    t1 = time.time()

    frames = {u: frame_count(r.num_samples, FS, FPS) for u, r in results.items()}
    train_words = {w for p in plans["train"] for w in p.sentence.words}
    info_splits: Dict[str, Dict] = {}
    for split in SPLITS:
        utts = planned_utterances(
            split,
            plans[split],
            wav_dir,
            results,
            lambda p, split=split: {
                "video.scp": str(video_dir / split / f"{p.utt_id}.npy"),
                "utt2num_frames": str(frames[p.utt_id]),
            },
        )
        write_data_dir(data_dir / split, utts)
        write_phones_ctm(data_dir / split / "phones.ctm", [p.utt_id for p in plans[split]], results)
        info_splits[split] = _split_info(plans[split], results, frames, train_words)
    # videos follow the phone times as written in phones.ctm (ms precision), so the
    # tables alone reproduce every video
    video_jobs = []
    for split in SPLITS:
        phones = read_phones_ctm(data_dir / split / "phones.ctm")
        for p in plans[split]:
            video_jobs.append((p.utt_id, p.speaker.spk_id, phones[p.utt_id],
                               results[p.utt_id].num_samples,
                               str(video_dir / split / f"{p.utt_id}.npy"), cfg.seed,
                               cfg.coarticulation_ms, cfg.head_motion_px,
                               cfg.speaker_articulation))  # fmt: skip
    with tqdm(total=len(video_jobs), desc="mouth video", unit="utt", mininterval=1.0) as bar:
        if nj <= 1:
            for utt, n in map(_render_job, video_jobs):
                _check_frames(utt, n, frames)
                bar.update(1)
        else:
            import multiprocessing as mp

            # spawn, not fork: a fork after torch/OpenMP threads exist can deadlock
            with mp.get_context("spawn").Pool(nj) as pool:
                for utt, n in pool.imap_unordered(_render_job, video_jobs, chunksize=8):
                    _check_frames(utt, n, frames)
                    bar.update(1)
    info_splits.update(build_snr_sweep(cfg, data_dir, wav_dir, nj=nj, plans=plans))
    t2 = time.time()

    info = {
        "seed": cfg.seed,
        "espeak_ng_version": espeak_version(),
        "sample_rate": FS,
        "grammar": {
            "slots": {slot: list(words) for slot, words in grid.SLOTS},
            "sentences": grid.NUM_SENTENCES,
            "letter_spoken": dict(grid.LETTER_SPOKEN),
        },
        "vocabulary_size": len(grid.vocabulary()),
        "splits": info_splits,
        "video": {"fps": FPS, "size": [88, 88], "dtype": "uint8"},
        "config": config_dict(cfg),
    }
    local = data_dir / "local"
    local.mkdir(parents=True, exist_ok=True)
    (local / "corpus_info.json").write_text(
        json.dumps(info, indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )
    (local / "vocab.txt").write_text("".join(f"{w}\n" for w in grid.vocabulary()))
    notice = _notice(cfg)
    for path in (local / "README", local / "LICENSE-NOTE", wav_dir / "LICENSE-NOTE",
                 video_dir / "LICENSE-NOTE"):  # fmt: skip
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(notice, encoding="utf-8")
    logger.info(
        "AV corpus done in %.1f s (speech %.1f s, video and SNR sweep %.1f s, nj=%d, "
        "python %s)",
        time.time() - t0, t1 - t0, t2 - t1, nj, platform.python_version(),
    )  # fmt: skip
    return info
