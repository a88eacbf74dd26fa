"""Stage 2: format a Kaldi data dir into ``dump/raw/<set>`` with length filtering.

Every ``wav.scp`` entry must be a readable audio file (Kaldi pipes ``... |`` are
refused with an error naming the utterance). Files already at the target rate in WAV
or FLAC are referenced by absolute path; anything else is resampled to ``fs`` and
written as 16-bit WAV under ``<dst>/data/``. ``utt2num_samples`` counts samples at
``fs``. Utterances outside ``[min_sec, max_sec]`` (and, optionally, with empty text)
are dropped; every table is written for the kept utterances only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional

from espnet_lowrank.kaldi_dir import read_table

KEPT_FORMATS = {"WAV", "FLAC"}
PER_UTT_TABLES = ("text", "utt2spk")


@dataclass
class FormatReport:
    """What :func:`format_data_dir` did: counts and the dropped ids with reasons."""

    kept: int = 0
    resampled: int = 0
    dropped: Dict[str, str] = field(default_factory=dict)

    def summary(self, name: str) -> str:
        reasons: Dict[str, int] = {}
        for r in self.dropped.values():
            reasons[r] = reasons.get(r, 0) + 1
        why = ", ".join(f"{n} {r}" for r, n in sorted(reasons.items())) or "none dropped"
        return f"{name}: kept {self.kept} ({self.resampled} resampled); {why}"


def audio_file(scp: Path, utt: str, entry: str, pipe_hint: str) -> Path:
    """The audio file of ``utt`` from its ``wav.scp`` entry (a relative path is taken from cwd).

    Args:
        scp: the ``wav.scp`` the entry comes from (named in errors).
        utt: utterance id (named in errors).
        entry: the entry: a path; a Kaldi pipe (``... |``) is refused.
        pipe_hint: the end of the pipe error message: what the caller needs instead.
    Returns:
        An absolute path (relative entries resolved against the working directory).
    Raises:
        ValueError: the entry is a Kaldi pipe.
        FileNotFoundError: the file does not exist.
    """
    entry = entry.strip()
    if entry.endswith("|"):
        raise ValueError(f"{scp}: utterance {utt} is a Kaldi pipe ({entry!r}); {pipe_hint}")
    path = Path(entry)
    if not path.is_absolute():
        path = (Path.cwd() / path).resolve()
    if not path.is_file():
        raise FileNotFoundError(f"{scp}: audio of {utt} not found: {path}")
    return path


def _resample(src: Path, dst: Path, fs: int) -> int:
    """Read ``src``, resample to ``fs`` (mono kept as is), write 16-bit WAV; return samples."""
    import soundfile as sf
    import torch
    import torchaudio.functional as F

    data, rate = sf.read(str(src), dtype="float32", always_2d=True)  # (T, C)
    wav = torch.from_numpy(data.T.copy())  # (C, T)
    if rate != fs:
        wav = F.resample(wav, rate, fs)
    dst.parent.mkdir(parents=True, exist_ok=True)
    sf.write(str(dst), wav.T.numpy(), fs, subtype="PCM_16")
    return wav.shape[1]


def format_data_dir(
    src: Path | str,
    dst: Path | str,
    fs: int = 16000,
    min_sec: Optional[float] = None,
    max_sec: Optional[float] = None,
    drop_empty_text: bool = False,
) -> FormatReport:
    """Write ``dst/{wav.scp,utt2num_samples,text,utt2spk,spk2utt,feats_type}``.

    Raises ``FileNotFoundError``/``ValueError`` naming the data dir and utterance for
    missing tables, missing audio, Kaldi pipes or ids missing from ``text``/``utt2spk``.
    """
    import soundfile as sf

    src, dst = Path(src), Path(dst)
    for name in ("wav.scp", *PER_UTT_TABLES):
        if not (src / name).is_file():
            raise FileNotFoundError(f"{src / name} is missing (Kaldi data dir {src})")
    if min_sec is not None and max_sec is not None and min_sec > max_sec:
        raise ValueError(f"min duration {min_sec}s > max duration {max_sec}s")
    wavs = read_table(src / "wav.scp")
    tables = {name: read_table(src / name) for name in PER_UTT_TABLES}
    for name, table in tables.items():
        missing = sorted(set(wavs) - set(table))
        if missing:
            raise ValueError(f"{src / name} has no entry for {len(missing)} ids, e.g. {missing[0]}")

    report = FormatReport()
    dst.mkdir(parents=True, exist_ok=True)
    scp: List[str] = []
    nsamples: List[str] = []
    kept: List[str] = []
    for utt in sorted(wavs):
        path = audio_file(src / "wav.scp", utt, wavs[utt], "write the audio to files first")
        info = sf.info(str(path))
        if info.samplerate == fs and info.format in KEPT_FORMATS:
            n = int(info.frames)
        else:
            out = (dst / "data" / f"{utt}.wav").resolve()
            n = _resample(path, out, fs)
            path = out
            report.resampled += 1
        sec = n / fs
        if min_sec is not None and sec < min_sec:
            report.dropped[utt] = f"shorter than {min_sec}s"
            continue
        if max_sec is not None and sec > max_sec:
            report.dropped[utt] = f"longer than {max_sec}s"
            continue
        if drop_empty_text and not tables["text"][utt].strip():
            report.dropped[utt] = "with empty text"
            continue
        kept.append(utt)
        scp.append(f"{utt} {path}")
        nsamples.append(f"{utt} {n}")
    if not kept:
        raise ValueError(
            f"no utterance of {src} is left after filtering: {report.summary(src.name)}"
        )
    report.kept = len(kept)

    def write(name: str, lines: List[str]) -> None:
        (dst / name).write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")

    write("wav.scp", scp)
    write("utt2num_samples", nsamples)
    for name, table in tables.items():
        write(name, [f"{u} {table[u]}".rstrip() for u in kept])
    spk2utt: Dict[str, List[str]] = {}
    for u in kept:
        spk2utt.setdefault(tables["utt2spk"][u], []).append(u)
    write("spk2utt", [f"{s} {' '.join(us)}" for s, us in sorted(spk2utt.items())])
    write("feats_type", ["raw"])
    return report
