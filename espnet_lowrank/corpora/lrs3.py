"""LRS3 (TED talk clips) to Kaldi-style data directories, audio and mouth crops.

Expected layout (LRS3 is obtained by the user under licence; nothing is downloaded)::

    <LRS3>/{pretrain,trainval,test}/<speaker_id>/<clip>.mp4
    <LRS3>/{pretrain,trainval,test}/<speaker_id>/<clip>.txt   # "Text:  TRANSCRIPT"

Data sets written under ``data_dir`` (as ESPnet's ``egs2/lrs3`` recipe names them;
utterance ids ``<speaker_id>_<clip>``, pretrain clips ``<speaker_id>_pretrain_<clip>``):

* ``trainval``, ``test``: every usable clip of those folders;
* ``dev``: the trainval clips of the dev speakers (see :func:`dev_speakers`);
* ``train``: trainval minus the dev speakers, plus (``use_pretrain``) the
  pretrain clips of all other speakers, so that dev stays speaker-disjoint;
* ``pretrain`` (only with ``use_pretrain``): every usable pretrain clip.

Each has ``wav.scp`` (16 kHz mono 16-bit WAV extracted with PyAV), ``text``
(the ``Text:`` line, non-speech markers such as ``{LG}`` removed), ``utt2spk``,
``spk2utt``, ``utt2dur`` and, with video, ``video.scp`` (``(T, 88, 88)`` uint8
``.npy`` mouth crops at 25 fps). Clips that cannot be used are skipped and
listed with the reason in ``<data_dir>/local/skipped.txt``.
"""

from __future__ import annotations

import hashlib
import logging
import math
import multiprocessing as mp
import re
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

import numpy as np

from espnet_lowrank.kaldi_dir import Utterance, write_data_dir
from espnet_lowrank.video.array_io import load_video_array, save_video_array
from espnet_lowrank.video.audio import extract_audio, wav_duration
from espnet_lowrank.video.errors import MediaError
from espnet_lowrank.video.landmarks import load_landmarks
from espnet_lowrank.video.mouth import (
    MouthCropConfig,
    mouth_rois_from_landmarks,
    mouth_rois_precropped,
)

SUBSETS = ("pretrain", "trainval", "test")
VIDEO_MODES = ("none", "precropped", "landmarks")
# ``.landmarks.txt``, not ``.txt``: LRS3 keeps its transcripts in ``<clip>.txt``.
LANDMARK_SUFFIXES = (".npy", ".landmarks.txt")
DEFAULT_CROP = MouthCropConfig()
_MARKER = re.compile(r"\{[^}]*\}")

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Clip:
    """One LRS3 clip: ``<root>/<subset>/<speaker>/<name>.mp4``."""

    subset: str
    speaker: str
    name: str
    mp4: Path

    @property
    def key(self) -> str:
        """``subset/speaker/name``, as listed in ``skipped.txt``."""
        return f"{self.subset}/{self.speaker}/{self.name}"

    @property
    def utt_id(self) -> str:
        if self.subset == "pretrain":
            return f"{self.speaker}_pretrain_{self.name}"
        return f"{self.speaker}_{self.name}"


@dataclass(frozen=True)
class ClipResult:
    """Outcome of preparing one clip: an utterance, or the reason it was skipped."""

    clip: Clip
    utterance: Optional[Utterance] = None
    reason: Optional[str] = None


@dataclass
class PrepSummary:
    """What :func:`prepare_lrs3` wrote."""

    clips: int = 0
    set_sizes: Dict[str, int] = field(default_factory=dict)
    skipped: List[Tuple[str, str]] = field(default_factory=list)
    dev_speakers: List[str] = field(default_factory=list)

    def line(self) -> str:
        sizes = ", ".join(f"{k} {v}" for k, v in self.set_sizes.items())
        return (
            f"LRS3: {self.clips} clips read; data sets: {sizes} utterances; "
            f"skipped {len(self.skipped)} clips"
            f"; dev speakers {len(self.dev_speakers)}"
        )


def read_transcript(path: Path | str) -> str:
    """Transcript of an LRS3 ``.txt`` file: its first line after ``Text:``.

    Brace markers (``{LG}``, ``{NS}``) are removed and spaces collapsed; the case
    is kept (LRS3 transcripts are upper case).

    Raises:
        ValueError: naming the file, if the first line does not start with
            ``Text:`` or the transcript is empty.
    """
    p = Path(path)
    raw = p.read_bytes()
    try:
        content = raw.decode("utf-8")
    except UnicodeDecodeError:
        content = raw.decode("latin-1")
    first = content.splitlines()[0] if content else ""
    if not first.startswith("Text:"):
        raise ValueError(f"{p}: first line does not start with 'Text:'")
    text = " ".join(_MARKER.sub(" ", first[len("Text:") :]).split())
    if not text:
        raise ValueError(f"{p}: empty transcript")
    return text


def scan_subset(root: Path | str, subset: str) -> List[Clip]:
    """All ``<root>/<subset>/<speaker>/<clip>.mp4``, sorted.

    Raises:
        FileNotFoundError: naming the folder, if it does not exist.
    """
    folder = Path(root) / subset
    if not folder.is_dir():
        raise FileNotFoundError(f"LRS3 folder not found: {folder}")
    clips = []
    for speaker_dir in sorted(p for p in folder.iterdir() if p.is_dir()):
        for mp4 in sorted(speaker_dir.glob("*.mp4")):
            clips.append(Clip(subset, speaker_dir.name, mp4.stem, mp4))
    return clips


def speakers_of(root: Path | str, subset: str) -> List[str]:
    """Sorted speaker folder names of ``<root>/<subset>``."""
    return sorted(p.name for p in (Path(root) / subset).iterdir() if p.is_dir())


def dev_speakers(speakers: Sequence[str], ratio: float = 0.08) -> List[str]:
    """Speaker-disjoint dev split of trainval, deterministic.

    Rule: sort the speakers by the SHA-256 of their id (ties by id) and take the
    first ``max(1, round(ratio * N))``. A speaker's rank depends only on its id,
    so the split does not depend on file order, machine or Python version.

    Raises:
        ValueError: with fewer than 2 speakers or ``ratio`` outside ``(0, 1)``.
    """
    unique = sorted(set(speakers))
    if not 0 < ratio < 1:
        raise ValueError(f"dev ratio must be in (0, 1), got {ratio}")
    if len(unique) < 2:
        raise ValueError(f"need at least 2 trainval speakers for a dev split, got {unique}")
    n_dev = min(len(unique) - 1, max(1, round(ratio * len(unique))))
    ranked = sorted(unique, key=lambda s: (hashlib.sha256(s.encode()).hexdigest(), s))
    return sorted(ranked[:n_dev])


def read_speaker_list(path: Path | str, known: Iterable[str]) -> List[str]:
    """Speaker ids, one per line; ids not in ``known`` are an error naming them."""
    p = Path(path)
    ids = sorted({line.strip() for line in p.read_text().splitlines() if line.strip()})
    unknown = sorted(set(ids) - set(known))
    if unknown:
        raise ValueError(f"{p}: speakers not in trainval: {' '.join(unknown[:10])}")
    if not ids:
        raise ValueError(f"{p}: no speaker ids")
    return ids


def find_landmarks(clip: Clip, landmarks_dir: Optional[Path]) -> Optional[Path]:
    """Landmark file of ``clip``, ``None`` if absent.

    Looks for ``<clip>.npy`` then ``<clip>.landmarks.txt`` in
    ``<landmarks_dir>/<subset>/<speaker>/`` (next to the mp4 when ``landmarks_dir``
    is ``None``).
    """
    base = (
        clip.mp4.with_suffix("")
        if landmarks_dir is None
        else Path(landmarks_dir) / clip.subset / clip.speaker / clip.name
    )
    for suffix in LANDMARK_SUFFIXES:
        candidate = base.with_name(base.name + suffix)
        if candidate.is_file():
            return candidate
    return None


@dataclass(frozen=True)
class ClipJob:
    """Everything a worker needs to prepare one clip."""

    clip: Clip
    media_dir: Path
    video: str
    landmarks_dir: Optional[Path]
    crop: MouthCropConfig
    overwrite: bool


def _media_paths(clip: Clip, media_dir: Path) -> Tuple[Path, Path]:
    rel = Path(clip.subset) / clip.speaker
    return (
        media_dir / "wav" / rel / f"{clip.name}.wav",
        media_dir / "video" / rel / f"{clip.name}.npy",
    )


def _video_rois(job: ClipJob) -> np.ndarray:
    if job.video == "precropped":
        return mouth_rois_precropped(job.clip.mp4, job.crop)
    lm_path = find_landmarks(job.clip, job.landmarks_dir)
    if lm_path is None:
        where = job.clip.mp4.parent
        if job.landmarks_dir is not None:
            where = job.landmarks_dir / job.clip.subset / job.clip.speaker
        raise MediaError(
            job.clip.mp4,
            f"missing landmarks ({job.clip.name}.npy|.landmarks.txt in {where})",
        )
    try:
        landmarks = load_landmarks(lm_path)
    except ValueError as e:
        raise MediaError(job.clip.mp4, f"bad landmarks: {e}") from e
    return mouth_rois_from_landmarks(job.clip.mp4, landmarks, job.crop)


def prepare_clip(job: ClipJob) -> ClipResult:
    """Transcript, WAV and (optionally) mouth crops of one clip.

    Existing outputs are reused unless ``job.overwrite``. Never raises for a bad
    clip: the reason is returned instead.
    """
    clip = job.clip
    txt = clip.mp4.with_suffix(".txt")
    try:
        if not txt.is_file():
            raise ValueError(f"{txt}: missing transcript")
        text = read_transcript(txt)
        wav_path, npy_path = _media_paths(clip, job.media_dir)
        extra = {}
        if job.video != "none":
            if job.overwrite or not npy_path.is_file():
                save_video_array(npy_path, _video_rois(job))
            else:
                load_video_array(npy_path, mmap=True)
            extra["video.scp"] = str(npy_path.resolve())
        if job.overwrite or not wav_path.is_file():
            duration = extract_audio(clip.mp4, wav_path)
        else:
            duration = wav_duration(wav_path)
        extra["utt2dur"] = f"{duration:.3f}"
    except (MediaError, ValueError, OSError) as e:
        reason = e.reason if isinstance(e, MediaError) else str(e)
        return ClipResult(clip, reason=" ".join(reason.split()))
    utt = Utterance(clip.utt_id, clip.speaker, str(wav_path.resolve()), text, extra)
    return ClipResult(clip, utterance=utt)


def _run_jobs(jobs: List[ClipJob], nj: int) -> List[ClipResult]:
    if nj <= 1 or len(jobs) <= 1:
        return [prepare_clip(j) for j in jobs]
    chunk = max(1, math.ceil(len(jobs) / (nj * 8)))
    # spawn, not fork: the parent may hold PyAV and torch thread pools, which a
    # forked child can deadlock on
    with ProcessPoolExecutor(max_workers=nj, mp_context=mp.get_context("spawn")) as pool:
        return list(pool.map(prepare_clip, jobs, chunksize=chunk))


def prepare_lrs3(
    lrs3_root: Path | str,
    data_dir: Path | str,
    media_dir: Path | str,
    video: str = "none",
    landmarks_dir: Optional[Path | str] = None,
    use_pretrain: bool = False,
    dev_ratio: float = 0.08,
    dev_speaker_list: Optional[Path | str] = None,
    crop: MouthCropConfig = DEFAULT_CROP,
    nj: int = 1,
    overwrite: bool = False,
) -> PrepSummary:
    """Prepare the LRS3 data sets (see module docstring).

    Args:
        lrs3_root: folder holding ``trainval``, ``test`` (and ``pretrain``).
        data_dir: where ``<set>/`` folders and ``local/skipped.txt`` go.
        media_dir: where extracted ``wav/`` and ``video/`` files go.
        video: ``none`` (audio only), ``precropped`` (videos are mouth crops) or
            ``landmarks`` (face videos plus landmark files).
        landmarks_dir: root of landmark files mirroring the LRS3 layout; default:
            next to each mp4.
        use_pretrain: also prepare ``pretrain`` and add it to ``train``.
        dev_ratio: share of trainval speakers held out as ``dev``.
        dev_speaker_list: file of dev speaker ids (overrides ``dev_ratio``).
        crop: mouth crop geometry and frame rate.
        nj: parallel worker processes.
        overwrite: re-extract media files that already exist.

    Raises:
        FileNotFoundError: a required folder is missing (named).
        ValueError: bad options, or a data set would be empty (named).
    """
    if video not in VIDEO_MODES:
        raise ValueError(f"video must be one of {VIDEO_MODES}, got {video!r}")
    root = Path(lrs3_root)
    if not root.is_dir():
        raise FileNotFoundError(f"LRS3 root folder not found: {root}")
    subsets = [s for s in SUBSETS if s != "pretrain" or use_pretrain]
    clips = {s: scan_subset(root, s) for s in subsets}
    trainval_speakers = speakers_of(root, "trainval")
    if dev_speaker_list is not None:
        dev = read_speaker_list(dev_speaker_list, trainval_speakers)
    else:
        dev = dev_speakers(trainval_speakers, dev_ratio)
    dev_set = set(dev)

    lm_root = None if landmarks_dir is None else Path(landmarks_dir)
    if video == "landmarks" and lm_root is not None and not lm_root.is_dir():
        raise FileNotFoundError(f"landmarks folder not found: {lm_root}")
    media = Path(media_dir)
    jobs = [ClipJob(c, media, video, lm_root, crop, overwrite) for s in subsets for c in clips[s]]
    logger.info("preparing %d LRS3 clips with %d worker(s)", len(jobs), nj)
    results = _run_jobs(jobs, nj)

    summary = PrepSummary(clips=len(jobs), dev_speakers=dev)
    usable: Dict[str, List[Utterance]] = {s: [] for s in subsets}
    for r in results:
        if r.utterance is None:
            summary.skipped.append((r.clip.key, r.reason or "unknown"))
        else:
            usable[r.clip.subset].append(r.utterance)

    out = Path(data_dir)
    local = out / "local"
    local.mkdir(parents=True, exist_ok=True)
    (local / "skipped.txt").write_text(
        "".join(f"{k} {reason}\n" for k, reason in summary.skipped), encoding="utf-8"
    )
    (local / "dev_speakers.txt").write_text("".join(f"{s}\n" for s in dev))

    sets: Dict[str, List[Utterance]] = {}
    if use_pretrain:
        sets["pretrain"] = usable["pretrain"]
    sets["trainval"] = usable["trainval"]
    sets["train"] = [u for u in usable["trainval"] if u.spk_id not in dev_set]
    if use_pretrain:
        sets["train"] += [u for u in usable["pretrain"] if u.spk_id not in dev_set]
    sets["dev"] = [u for u in usable["trainval"] if u.spk_id in dev_set]
    sets["test"] = usable["test"]
    empty = [name for name, utts in sets.items() if not utts]
    if empty:
        raise ValueError(
            f"no usable clips for data set(s) {', '.join(empty)} "
            f"({len(summary.skipped)} clips skipped, see {local / 'skipped.txt'})"
        )
    for name, utts in sets.items():
        write_data_dir(out / name, utts)
        summary.set_sizes[name] = len(utts)
    return summary
