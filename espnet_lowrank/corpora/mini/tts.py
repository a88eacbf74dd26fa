"""Speech synthesis with the ``espeak-ng`` command-line program.

One call of ``espeak-ng`` per utterance writes a 22.05 kHz WAV file and prints
the phoneme mnemonics (``-x``) of what it said. The text always goes through
standard input (``--stdin``), never the command line, so no sentence can be
read as an option. The waveform is resampled to 16 kHz with ``soxr``, scaled
to a random level, mixed with coloured Gaussian noise at a random SNR and
written as 16-bit PCM mono WAV with the standard library's ``wave`` module
(no timestamps: same input, same bytes).

The command line gives phoneme durations (``--pho``) only for MBROLA voices;
per-phoneme times come from the C library instead (:mod:`.phone_times`).
"""

from __future__ import annotations

import hashlib
import math
import re
import subprocess
import tempfile
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, List, Sequence, Tuple

import numpy as np

from espnet_lowrank.corpora.mini.espeak import (  # noqa: F401  (re-exported)
    ESPEAK,
    ESPEAK_RATE,
    Speaker,
    available_variants,
    available_voices,
    espeak_binary,
    espeak_version,
)
from espnet_lowrank.corpora.mini.phone_times import phone_times

TARGET_RATE = 16000


class SynthesisError(RuntimeError):
    """espeak-ng failed or produced unusable audio; the message names the text."""


_LETTER_RE = re.compile(r"Found: '_?([a-z]|roman)' \[")


def _espeak_trace(words: Sequence[str], voice: str) -> List[str]:
    """Lines of the ``-X`` trace of ``words``, each read as its own clause."""
    proc = subprocess.run(
        [espeak_binary(), "-v", voice, "-q", "-X", "--stdin"],
        input="".join(f"{w}.\n" for w in words),
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"espeak-ng -X failed: {proc.stderr.strip()}")
    return proc.stdout.splitlines()


def _is_flag_line(line: str) -> bool:
    return bool(_LETTER_RE.match(line)) or "$abbrev" in line or "$dot" in line


def _starts_word(line: str, word: str) -> bool:
    q = f"'{word}'"
    return (
        line.startswith((f"Found: {q}", f"Translate {q}", f"Unpronouncable? {q}"))
        or re.match(rf"(Flags|Replace):\s+{re.escape(word)}\s", line) is not None
    )


def find_spelled_words(words: Sequence[str], voice: str = "en") -> List[str]:
    """Return the words espeak-ng spells out, expands, or reads as numbers.

    espeak-ng reads all words in one call with its translation trace (``-X``),
    each word as a clause of its own. A word is flagged when its trace looks
    up single letters (spelt letter by letter) or a Roman numeral, or carries
    the ``$abbrev`` or ``$dot`` dictionary flags (read as letters, or expanded
    like "mr" -> "mister"). ("Unpronouncable?" alone is not a sign: "whenever"
    gets it.) The trace is cut into words where a line names the next word; a
    word whose trace cannot be found that way is checked in a call of its own.
    Words of one letter are never flagged.
    """
    todo = [w.lower() for w in words if len(w.replace("'", "")) > 1]
    flagged: List[str] = []
    while todo:
        lines = _espeak_trace(todo, voice)
        idx, bad = -1, False
        for line in lines:
            if idx + 1 < len(todo) and _starts_word(line, todo[idx + 1]):
                if bad:
                    flagged.append(todo[idx])
                idx, bad = idx + 1, False
            if idx >= 0 and _is_flag_line(line):
                bad = True
        if idx == len(todo) - 1:
            if bad:
                flagged.append(todo[idx])
            break
        # words before idx are settled; the trace of word idx may have run
        # into the unrecognised word idx + 1: check both alone, go on after
        for w in todo[max(idx, 0) : idx + 2]:
            if any(_is_flag_line(ln) for ln in _espeak_trace([w], voice)):
                flagged.append(w)
        todo = todo[idx + 2 :]
    upper = {w.lower(): w for w in words}
    return [upper[w] for w in dict.fromkeys(flagged)]


def run_espeak(text: str, speaker: Speaker) -> Tuple[np.ndarray, str]:
    """Synthesise ``text``; returns (samples int16 (T,) at 22.05 kHz, phonemes).

    ``phonemes`` holds espeak-ng's ``-x`` mnemonics, clauses joined by `` | ``.
    Raises :class:`SynthesisError` naming the text on failure or empty audio.
    """
    with tempfile.TemporaryDirectory(prefix="espeak_") as tmp:
        wav_path = Path(tmp) / "out.wav"
        cmd = [
            espeak_binary(),
            "-v",
            speaker.espeak_voice,
            "-s",
            str(speaker.rate),
            "-p",
            str(speaker.pitch),
            "-x",
            "-w",
            str(wav_path),
            "--stdin",
        ]
        proc = subprocess.run(cmd, input=text, capture_output=True, text=True, check=False)
        if proc.returncode != 0 or not wav_path.is_file():
            raise SynthesisError(
                f"espeak-ng failed (rc={proc.returncode}) for {text!r} with "
                f"{speaker.espeak_voice}: {proc.stderr.strip()}"
            )
        with wave.open(str(wav_path), "rb") as w:
            if w.getsampwidth() != 2 or w.getnchannels() != 1:
                raise SynthesisError(f"unexpected espeak-ng WAV format for {text!r}")
            if w.getframerate() != ESPEAK_RATE:
                raise SynthesisError(
                    f"espeak-ng wrote {w.getframerate()} Hz, expected {ESPEAK_RATE}"
                )
            samples = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    if samples.size == 0 or not np.any(samples):
        raise SynthesisError(f"espeak-ng produced silence for {text!r}")
    phonemes = " | ".join(ln.strip() for ln in proc.stdout.splitlines() if ln.strip())
    return samples.copy(), phonemes


CLEAN = math.inf  # snr_range (CLEAN, CLEAN): no noise (see degrade)


def utterance_rng(seed: int, utt_id: str) -> np.random.Generator:
    """A generator that depends only on ``seed`` and ``utt_id`` (not on order)."""
    digest = hashlib.sha256(f"{seed}:{utt_id}".encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "little"))


def degrade(
    samples: np.ndarray,
    rng: np.random.Generator,
    snr_range: Tuple[float, float],
    in_rate: int = ESPEAK_RATE,
    out_rate: int = TARGET_RATE,
) -> Tuple[np.ndarray, float]:
    """Resample, set a random level and add coloured noise at a random SNR.

    Args:
        samples: int16 (T,) waveform at ``in_rate``.
        rng: source of the level, the noise colour, the SNR and the noise.
        snr_range: (low, high) SNR in dB, drawn uniformly; ``(CLEAN, CLEAN)`` adds no
            noise. The level is drawn first, so a fixed SNR ``(s, s)`` (or ``CLEAN``)
            with the generator of an utterance gives that utterance at the same level,
            with the same noise samples scaled to ``s``.
    Returns:
        (int16 (T',) waveform at ``out_rate``, the SNR used in dB: ``CLEAN`` if none).
    """
    import soxr

    x = samples.astype(np.float64) / 32768.0
    x = soxr.resample(x, in_rate, out_rate, quality="HQ")
    peak = float(np.max(np.abs(x)))
    if peak <= 0.0:
        raise SynthesisError("cannot add noise to a silent waveform")
    x = x * (rng.uniform(0.25, 0.8) / peak)
    lo, hi = snr_range
    if lo == hi == CLEAN:
        return np.clip(np.round(x * 32767.0), -32768, 32767).astype("<i2"), CLEAN
    snr = float(rng.uniform(lo, hi))
    y = np.clip(np.round((x + coloured_noise(x, snr, rng)) * 32767.0), -32768, 32767)
    return y.astype("<i2"), snr


def coloured_noise(x: np.ndarray, snr_db: float, rng: np.random.Generator) -> np.ndarray:
    """Gaussian noise (T,) for ``x`` (T,) at ``snr_db`` against its speech-active samples.

    The colour is drawn from ``rng``: a one-pole filter from white (0) to brown-ish (0.97).
    """
    from scipy.signal import lfilter

    noise = rng.standard_normal(x.size)
    pole = float(rng.uniform(0.0, 0.97))  # 0 = white, near 1 = brown-ish
    noise = lfilter([1.0], [1.0, -pole], noise)
    speech = np.abs(x) > 0.01 * np.max(np.abs(x))
    p_sig = float(np.mean(x[speech] ** 2))
    p_noise = float(np.mean(noise**2))
    return noise * np.sqrt(p_sig / (p_noise * 10.0 ** (snr_db / 10.0)))


def write_wav(path: Path | str, samples: np.ndarray, rate: int = TARGET_RATE) -> None:
    """Write int16 mono samples (T,) as a PCM WAV file (deterministic bytes)."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(p), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(np.ascontiguousarray(samples, dtype="<i2").tobytes())


@dataclass(frozen=True)
class SynthJob:
    """Everything needed to render one utterance, independent of other jobs."""

    utt_id: str
    spoken: str
    speaker: Speaker
    wav_path: str
    seed: int
    snr_low: float
    snr_high: float
    phone_times: bool = False


@dataclass(frozen=True)
class SynthResult:
    """What rendering one utterance produced.

    ``phones`` holds (mnemonic, start s, end s) per phoneme when the job asked
    for phone times (see :mod:`.phone_times`), else is empty.
    """

    utt_id: str
    num_samples: int
    snr: float
    phonemes: str
    phones: Tuple[Tuple[str, float, float], ...] = ()


def render(job: SynthJob) -> SynthResult:
    """Synthesise, degrade and write one utterance (a worker function)."""
    samples, phonemes = run_espeak(job.spoken, job.speaker)
    phones: Tuple[Tuple[str, float, float], ...] = ()
    if job.phone_times:
        times = phone_times(job.spoken, job.speaker)
        if not times or times[-1].end > samples.size / ESPEAK_RATE + 0.01:
            raise SynthesisError(
                f"phone times of {job.utt_id} ({times[-1].end if times else 0:.3f} s)"
                f" do not fit its audio ({samples.size / ESPEAK_RATE:.3f} s)"
            )
        phones = tuple((t.phone, t.start, t.end) for t in times)
    rng = utterance_rng(job.seed, job.utt_id)
    y, snr = degrade(samples, rng, (job.snr_low, job.snr_high))
    write_wav(job.wav_path, y)
    return SynthResult(job.utt_id, int(y.size), snr, phonemes, phones)


def render_all(
    jobs: Sequence, nj: int = 1, desc: str = "synthesis", worker: Callable = render
) -> Dict[str, SynthResult]:
    """Render ``jobs`` with ``nj`` processes, a tqdm bar on stderr; keyed by utt id.

    ``worker`` (a module-level function, default :func:`render`) maps a job to a
    result with an ``utt_id``.

    Workers are forked (they inherit the imported modules); every job draws
    its randomness from its own seed and id, so ``nj`` does not change output.
    """
    from tqdm import tqdm

    results: Dict[str, SynthResult] = {}
    with tqdm(total=len(jobs), desc=desc, unit="utt", mininterval=1.0) as bar:
        if nj <= 1:
            for r in map(worker, jobs):
                results[r.utt_id] = r
                bar.update(1)
        else:
            import multiprocessing as mp

            # spawn, not fork: a fork after torch/OpenMP threads exist can deadlock
            with mp.get_context("spawn").Pool(nj) as pool:
                for r in pool.imap_unordered(worker, jobs, chunksize=8):
                    results[r.utt_id] = r
                    bar.update(1)
    return results
