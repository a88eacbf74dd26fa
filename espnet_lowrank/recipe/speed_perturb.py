"""Stage 2: speed perturbation of a Kaldi data dir (``data/<train>`` -> ``data/<train>_sp``).

As ESPnet's ``asr.sh --speed_perturb_factors "0.9 1.0 1.1"``: every utterance appears
once per factor. Factor 1.0 keeps the original id, speaker and audio entry; any other
factor ``f`` prefixes the utterance and speaker ids with ``sp<f>-`` (the factor as the
user wrote it, so ``utt2spk``/``spk2utt`` stay consistent and sorted) and resamples the
audio like sox ``speed f``: the signal is read as if sampled at ``f * fs`` and
resampled to ``fs``, so it lasts ``1/f`` as long and every frequency (pitch) is
multiplied by ``f``. The perturbed audio is written as real files (16-bit FLAC or WAV,
never Kaldi pipes) under ``<dst>/audio/sp<f>/<speaker>/<utt>.<ext>``, each written to a
temporary name first and renamed, so a file that exists is complete.

Work is split in two so that ``--nj`` jobs can share it: :func:`write_perturbed_audio`
makes the files of some utterances (a job), :func:`speed_perturb_data_dir` makes any
that are still missing and then writes the tables.
"""

from __future__ import annotations

import math
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

from espnet_lowrank.kaldi_dir import Utterance, read_table, write_data_dir
from espnet_lowrank.recipe.format_data import audio_file

AUDIO_FORMATS = {"flac": "FLAC", "wav": "WAV"}
# Tables that stay valid when ids are prefixed: per utterance / per speaker.
UTT_TABLES = ("utt2gender", "utt2lang")
SPK_TABLES = ("spk2gender",)
# Tables written by this module (or required): not "left out".
HANDLED = {"wav.scp", "text", "utt2spk", "spk2utt", "utt2uniq", *UTT_TABLES, *SPK_TABLES}


@dataclass(frozen=True)
class Factor:
    """One speed factor: its value and the text used in the ``sp<text>-`` prefix."""

    value: float
    text: str

    @property
    def prefix(self) -> str:
        """Id prefix: ``""`` for 1.0 (the original data), else ``"sp<text>-"``."""
        return "" if self.value == 1.0 else f"sp{self.text}-"


@dataclass
class PerturbReport:
    """What :func:`speed_perturb_data_dir` did."""

    utterances: int = 0
    written: int = 0
    reused: int = 0
    left_out: List[str] = field(default_factory=list)

    def summary(self, src: Path | str, dst: Path | str) -> str:
        extra = f"; not carried over: {', '.join(self.left_out)}" if self.left_out else ""
        return (
            f"{src} -> {dst}: {self.utterances} utterances "
            f"({self.written} audio files written, {self.reused} already there){extra}"
        )


def parse_factors(text: str | Sequence[str]) -> List[Factor]:
    """Parse ``"0.9 1.0 1.1"`` (or a list of such strings) into factors.

    Raises ``ValueError`` naming the value for a non-numeric, non-finite or
    non-positive factor, a duplicate (also ``1`` and ``1.0``) or an empty list.
    """
    words = text.split() if isinstance(text, str) else [w for t in text for w in t.split()]
    if not words:
        raise ValueError('no speed perturbation factor given (e.g. "0.9 1.0 1.1")')
    factors: List[Factor] = []
    seen: Dict[float, str] = {}
    for w in words:
        try:
            value = float(w)
        except ValueError:
            raise ValueError(f"speed perturbation factor {w!r} is not a number") from None
        if not math.isfinite(value) or value <= 0:
            raise ValueError(f"speed perturbation factor {w!r} must be a finite number > 0")
        if value in seen:
            raise ValueError(
                f"speed perturbation factor {w!r} is given twice (already as {seen[value]!r})"
            )
        seen[value] = w
        factors.append(Factor(value, w))
    return factors


def check_source(src: Path | str) -> Tuple[Dict[str, str], Dict[str, str], Dict[str, str]]:
    """Read and check ``wav.scp``, ``text``, ``utt2spk`` of ``src``; return them.

    Raises ``FileNotFoundError``/``ValueError`` naming the dir or file for a missing
    dir or table, ids missing from ``text``/``utt2spk``, a ``video.scp`` (audio-visual
    data) or a ``segments`` file.
    """
    src = Path(src)
    if not src.is_dir():
        raise FileNotFoundError(f"data dir {src} not found (speed perturbation source)")
    if (src / "video.scp").exists():
        raise ValueError(
            f"{src} has a video.scp: speed perturbation of audio-visual data is not "
            "supported (it would put audio and video out of sync); run without "
            "--speed_perturb_factors"
        )
    if (src / "segments").exists():
        raise ValueError(
            f"{src} has a segments file: speed perturbation needs one audio file per "
            "utterance; cut the segments into files first"
        )
    tables = []
    for name in ("wav.scp", "text", "utt2spk"):
        if not (src / name).is_file():
            raise FileNotFoundError(f"{src / name} is missing (Kaldi data dir {src})")
        tables.append(read_table(src / name))
    wavs, texts, utt2spk = tables
    if not wavs:
        raise ValueError(f"{src / 'wav.scp'} is empty")
    for name, table in (("text", texts), ("utt2spk", utt2spk)):
        missing = sorted(set(wavs) - set(table))
        if missing:
            raise ValueError(
                f"{src / name} has no entry for {len(missing)} id(s) of wav.scp, e.g. {missing[0]}"
            )
    return wavs, texts, utt2spk


def perturbed_path(dst: Path, factor: Factor, spk: str, utt: str, audio_format: str) -> Path:
    """Where the audio of ``utt`` perturbed by ``factor`` goes (absolute)."""
    return (dst / "audio" / f"sp{factor.text}" / spk / f"{utt}.{audio_format}").absolute()


def perturb_audio(samples, factor: float, fs: int):
    """Speed-perturb a signal like sox ``speed``: duration ``1/factor``, pitch ``x factor``.

    Args:
        samples: float array, shape ``(T,)`` or ``(T, C)``.
        factor: speed factor (> 0).
        fs: sampling rate of ``samples`` and of the result (Hz).
    Returns:
        float32 array of shape ``(round(T / factor),)`` or ``(round(T / factor), C)``.
    """
    import numpy as np
    import soxr

    if factor == 1.0:
        return np.asarray(samples, dtype=np.float32)
    # Played at factor*fs the signal is faster and higher; resampling that to fs keeps it so.
    return soxr.resample(np.asarray(samples, dtype=np.float32), fs * factor, fs, quality="VHQ")


def _write_one(src_audio: Path, out: Path, factor: float, audio_format: str) -> bool:
    """Write ``out`` unless it holds a complete perturbation; return True if written."""
    import numpy as np
    import soundfile as sf

    try:
        info = sf.info(str(src_audio))
    except RuntimeError as e:  # soundfile.LibsndfileError
        raise ValueError(f"cannot read audio {src_audio}: {e}") from e
    expected = info.frames / factor
    if out.is_file():
        try:
            done = sf.info(str(out))
        except RuntimeError:
            done = None
        if (
            done is not None
            and done.samplerate == info.samplerate
            and abs(done.frames - expected) <= 1
        ):
            return False
    data, fs = sf.read(str(src_audio), dtype="float32", always_2d=True)  # (T, C)
    y = perturb_audio(data, factor, fs)
    if y.shape[1] == 1:
        y = y[:, 0]
    y = np.clip(y, -1.0, 32767 / 32768)  # resampling may overshoot full scale
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    sf.write(str(tmp), y, fs, format=AUDIO_FORMATS[audio_format], subtype="PCM_16")
    os.replace(tmp, out)
    return True


def _jobs(
    src: Path,
    dst: Path,
    factors: Sequence[Factor],
    audio_format: str,
    keys: Optional[Iterable[str]],
) -> List[Tuple[Path, Path, float]]:
    wavs, _, utt2spk = check_source(src)
    if audio_format not in AUDIO_FORMATS:
        raise ValueError(
            f"audio format must be one of {sorted(AUDIO_FORMATS)}, not {audio_format!r}"
        )
    if keys is None:
        utts = sorted(wavs)
    else:
        utts = list(keys)
        unknown = [u for u in utts if u not in wavs]
        if unknown:
            raise ValueError(f"utterance {unknown[0]} is not in {src / 'wav.scp'}")
    jobs = []
    for utt in utts:
        src_audio = audio_file(
            src / "wav.scp", utt, wavs[utt], "speed perturbation needs audio files"
        ).resolve()
        for f in factors:
            if f.value != 1.0:
                out = perturbed_path(dst, f, f.prefix + utt2spk[utt], f.prefix + utt, audio_format)
                jobs.append((src_audio, out, f.value))
    return jobs


def write_perturbed_audio(
    src: Path | str,
    dst: Path | str,
    factors: Sequence[Factor],
    keys: Optional[Iterable[str]] = None,
    audio_format: str = "flac",
    progress: bool = False,
) -> Tuple[int, int]:
    """Write the perturbed audio of ``keys`` (default: every utterance of ``src``).

    Files that already hold a complete perturbation are kept. Returns
    ``(written, reused)`` file counts. Raises like :func:`speed_perturb_data_dir`.
    """
    src, dst = Path(src), Path(dst)
    if src.resolve() == dst.resolve():
        raise ValueError(f"speed perturbation output {dst} must differ from its source")
    jobs = _jobs(src, dst, factors, audio_format, keys)
    written = 0
    bar = None
    if progress:
        from tqdm import tqdm

        interval = 0.1 if sys.stderr.isatty() else 30.0  # job logs: a line every 30 s
        bar = tqdm(total=len(jobs), desc=f"speed perturbation {src.name}", unit="file",
                   mininterval=interval)  # fmt: skip
    for src_audio, out, value in jobs:
        written += _write_one(src_audio, out, value, audio_format)
        if bar is not None:
            bar.update()
    if bar is not None:
        bar.close()
    return written, len(jobs) - written


def speed_perturb_data_dir(
    src: Path | str,
    dst: Path | str,
    factors: Sequence[Factor],
    audio_format: str = "flac",
    progress: bool = False,
) -> PerturbReport:
    """Write ``dst`` (``wav.scp``, ``text``, ``utt2spk``, ``spk2utt``, ``utt2uniq``...).

    Audio still missing is made here (all of it when no job ran before). Per-utterance
    ``utt2gender``/``utt2lang`` and per-speaker ``spk2gender`` are carried over with
    the prefixed ids; tables whose values change with the length (``utt2dur``,
    ``utt2num_samples``, ``feats.scp``...) are not, and are named in the report.

    Raises ``FileNotFoundError``/``ValueError`` naming the dir, file, utterance or
    value for a missing data dir or table, a ``video.scp`` or ``segments`` file, a
    Kaldi pipe, missing audio or ids missing from ``text``/``utt2spk``.
    """
    src, dst = Path(src), Path(dst)
    written, reused = write_perturbed_audio(src, dst, factors, None, audio_format, progress)
    wavs, texts, utt2spk = check_source(src)
    utt_tables = {n: read_table(src / n) for n in UTT_TABLES if (src / n).is_file()}
    spk_tables = {n: read_table(src / n) for n in SPK_TABLES if (src / n).is_file()}
    for name, table in utt_tables.items():
        missing = sorted(set(wavs) - set(table))
        if missing:
            raise ValueError(
                f"{src / name} has no entry for {len(missing)} id(s), e.g. {missing[0]}"
            )
    utts: List[Utterance] = []
    for f in factors:
        for utt in sorted(wavs):
            spk = f.prefix + utt2spk[utt]
            new = f.prefix + utt
            wav = (
                wavs[utt] if f.value == 1.0 else str(perturbed_path(dst, f, spk, new, audio_format))
            )
            extra = {"utt2uniq": utt, **{n: t[utt] for n, t in utt_tables.items()}}
            utts.append(Utterance(new, spk, wav, texts[utt], extra))
    write_data_dir(dst, utts)
    speakers = set(utt2spk.values())
    for name, table in spk_tables.items():
        rows = sorted((f.prefix + s, v) for f in factors for s, v in table.items() if s in speakers)
        (dst / name).write_text("".join(f"{k} {v}\n" for k, v in rows), encoding="utf-8")
    report = PerturbReport(len(utts), written, reused)
    report.left_out = sorted(
        p.name for p in src.iterdir() if p.is_file() and p.name not in HANDLED and p.name[0] != "."
    )
    return report
