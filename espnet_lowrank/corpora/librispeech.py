"""LibriSpeech (OpenSLR 12): download and Kaldi-style data directories.

Corpus layout read here (as the OpenSLR archives extract)::

    <root>/LibriSpeech/SPEAKERS.TXT
    <root>/LibriSpeech/<part>/<reader>/<chapter>/<reader>-<chapter>.trans.txt
    <root>/LibriSpeech/<part>/<reader>/<chapter>/<reader>-<chapter>-<utt>.flac

Data directories written (``data/<part with _ for ->``, e.g. ``train_clean_100``):

* ``wav.scp``: the ``.flac`` path itself (absolute). ESPnet reads FLAC through
  ``soundfile``, so no ``flac -d ... |`` pipe and no ``flac`` binary is needed.
* ``text``: the transcript, upper case as distributed, whitespace collapsed.
* ``utt2spk`` / ``spk2utt``: the speaker is ``<reader>-<chapter>``, as in
  Kaldi's and ESPnet's LibriSpeech recipes (one "speaker" per reader and
  chapter, which keeps per-speaker CMVN/i-vector statistics per recording).
* ``spk2gender`` (``<reader>-<chapter> m|f``) and ``utt2gender``, from
  ``SPEAKERS.TXT``.

Combined sets follow ESPnet's recipe: ``train_960`` = the three training
parts, ``dev`` = ``dev_clean`` + ``dev_other``. The LM corpus
``librispeech-lm-norm.txt.gz`` (OpenSLR 11) becomes
``data/local/other_text/text`` with ids ``librispeech_lng_%08d`` (line number).
"""

from __future__ import annotations

import gzip
import logging
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from espnet_lowrank.download import download, extract_tar, extraction_markers
from espnet_lowrank.kaldi_dir import Utterance, read_table, write_data_dir

logger = logging.getLogger(__name__)

PARTS: Tuple[str, ...] = (
    "dev-clean",
    "dev-other",
    "test-clean",
    "test-other",
    "train-clean-100",
    "train-clean-360",
    "train-other-500",
)
TRAIN_SETS: Dict[str, Tuple[str, ...]] = {
    "train_960": ("train-clean-100", "train-clean-360", "train-other-500"),
    "train_clean_100": ("train-clean-100",),
}
DEV_SET = "dev"
DEV_PARTS: Tuple[str, ...] = ("dev-clean", "dev-other")
EVAL_PARTS: Tuple[str, ...] = ("dev-clean", "dev-other", "test-clean", "test-other")
LM_TEXT_GZ = "librispeech-lm-norm.txt.gz"
LM_TEXT_DIR = Path("local") / "other_text"
LM_ID_PREFIX = "librispeech_lng_"
DEFAULT_URL_BASE = "https://www.openslr.org/resources/12"
DEFAULT_LM_URL_BASE = "https://www.openslr.org/resources/11"

# md5 sums published by OpenSLR (resources/12/md5sum.txt), as pinned in several
# public download scripts that agree with each other (PaddlePaddle DeepSpeech,
# mozilla-era LibriSpeech loaders, sdrobert's pytorch-database-prep); the LM
# text's md5 is pinned the same in pytorch-database-prep and the CAT toolkit.
MD5: Dict[str, str] = {
    "dev-clean.tar.gz": "42e2234ba48799c1f50f24a7926300a1",
    "dev-other.tar.gz": "c8d0bcc9cca99d4f8b62fcc847357931",
    "test-clean.tar.gz": "32fa31d27d2e1cad72775fee3f4849a9",
    "test-other.tar.gz": "fb5a50374b501bb3bac4815ee91d3135",
    "train-clean-100.tar.gz": "2a93770f6d5c6c964bc36631d331a522",
    "train-clean-360.tar.gz": "c0e676e450a7ff2f54aeade5171606fa",
    "train-other-500.tar.gz": "d1a0fd59409feb2c614ce4d30c387708",
    LM_TEXT_GZ: "c83c64c726a1aedfe65f80aa311de402",
}

_UTT_RE = re.compile(r"(\d+)-(\d+)-(\d+)")


class CorpusError(ValueError):
    """The corpus on disk is incomplete or inconsistent; the message names the path."""


def normalize_part(name: str) -> str:
    """``train_clean_100`` or ``train-clean-100`` -> ``train-clean-100``."""
    part = name.strip().replace("_", "-")
    if part not in PARTS:
        raise CorpusError(f"unknown LibriSpeech part {name!r}; choose from {PARTS}")
    return part


def data_dir_name(part: str) -> str:
    """``train-clean-100`` -> ``train_clean_100`` (ESPnet's data folder name)."""
    return normalize_part(part).replace("-", "_")


def default_parts(train_set: str) -> Tuple[str, ...]:
    """Parts needed for ``train_set`` plus the dev and test parts."""
    if train_set not in TRAIN_SETS:
        raise CorpusError(f"unknown train set {train_set!r}; choose from {list(TRAIN_SETS)}")
    return EVAL_PARTS + TRAIN_SETS[train_set]


def normalize_text(text: str) -> str:
    """Collapse runs of whitespace; applied to transcripts and to the LM text."""
    return " ".join(text.split())


def read_md5sum_file(path: Path | str) -> Dict[str, str]:
    """Read ``md5sum`` output (``<hex>  <name>`` or ``<hex> *<name>``) into a dict."""
    p = Path(path)
    table: Dict[str, str] = {}
    for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        m = re.fullmatch(r"\s*([0-9a-fA-F]{32})\s+\*?(\S+)\s*", line)
        if not m:
            raise CorpusError(f"{p}:{n}: expected '<md5>  <file name>', got {line!r}")
        table[Path(m.group(2)).name] = m.group(1).lower()
    return table


# ---------------------------------------------------------------------------
# download


def corpus_dir(root: Path | str) -> Path:
    """``<root>/LibriSpeech``: where the archives extract."""
    return Path(root) / "LibriSpeech"


def part_present(root: Path | str, part: str) -> bool:
    """True if ``<root>/LibriSpeech/<part>`` exists and no extraction of it was
    left half done (a corpus extracted by other means has no markers: present).
    """
    part = normalize_part(part)
    wip, _ = extraction_markers(f"{part}.tar.gz", root)
    return (corpus_dir(root) / part).is_dir() and not wip.exists()


def download_parts(
    root: Path | str,
    parts: Iterable[str],
    *,
    url_base: str = DEFAULT_URL_BASE,
    md5: Optional[Mapping[str, str]] = None,
    remove_archives: bool = False,
    retries: int = 5,
    timeout: float = 60.0,
    backoff: float = 2.0,
) -> List[str]:
    """Download and extract the parts that are not already under ``root``.

    Archives go to ``<root>/<part>.tar.gz`` and extract to
    ``<root>/LibriSpeech/<part>``. ``md5`` (file name -> md5) defaults to the
    published table ``MD5``; a part with no known md5 is checked by size only
    (logged). Returns the parts that were downloaded.
    """
    root = Path(root)
    table = dict(MD5 if md5 is None else md5)
    fetched = []
    for part in [normalize_part(p) for p in parts]:
        if part_present(root, part):
            logger.info("%s is present; skipping its download", corpus_dir(root) / part)
            continue
        name = f"{part}.tar.gz"
        checksum = table.get(name)
        if checksum is None:
            logger.warning("no md5 known for %s: only its size is checked", name)
        archive = download(
            f"{url_base.rstrip('/')}/{name}",
            root / name,
            md5=checksum,
            retries=retries,
            timeout=timeout,
            backoff=backoff,
        )
        extract_tar(archive, root)
        if not (corpus_dir(root) / part).is_dir():
            raise CorpusError(
                f"{archive} did not contain LibriSpeech/{part}/; is it the right file?"
            )
        if remove_archives:
            archive.unlink()
        fetched.append(part)
    return fetched


def download_lm_text(
    dest_dir: Path | str,
    *,
    url_base: str = DEFAULT_LM_URL_BASE,
    md5: Optional[Mapping[str, str]] = None,
    retries: int = 5,
    timeout: float = 60.0,
    backoff: float = 2.0,
) -> Path:
    """Download ``librispeech-lm-norm.txt.gz`` into ``dest_dir`` (kept gzipped)."""
    table = dict(MD5 if md5 is None else md5)
    checksum = table.get(LM_TEXT_GZ)
    if checksum is None:
        logger.warning("no md5 known for %s: only its size is checked", LM_TEXT_GZ)
    return download(
        f"{url_base.rstrip('/')}/{LM_TEXT_GZ}",
        Path(dest_dir) / LM_TEXT_GZ,
        md5=checksum,
        retries=retries,
        timeout=timeout,
        backoff=backoff,
    )


# ---------------------------------------------------------------------------
# SPEAKERS.TXT


@dataclass(frozen=True)
class Speaker:
    """One row of ``SPEAKERS.TXT``: ``ID | SEX | SUBSET | MINUTES | NAME``."""

    reader: str
    gender: str  # "m" or "f"
    subset: str
    minutes: float
    name: str


def read_speakers(path: Path | str) -> Dict[str, Speaker]:
    """Parse ``SPEAKERS.TXT``: ``;`` starts a comment line, columns split on ``|``.

    The name is the last column and may itself contain ``|`` (reader 60 is
    ``|CBW|Simon``), so a row is split into at most five fields.
    """
    p = Path(path)
    if not p.is_file():
        raise CorpusError(f"speaker table not found: {p}")
    speakers: Dict[str, Speaker] = {}
    for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.lstrip().startswith(";"):
            continue
        fields = [f.strip() for f in line.split("|", 4)]
        if len(fields) != 5 or not fields[0].isdigit():
            raise CorpusError(f"{p}:{n}: expected 'ID | SEX | SUBSET | MINUTES | NAME'")
        reader, sex, subset, minutes, name = fields
        if sex.upper() not in ("M", "F"):
            raise CorpusError(f"{p}:{n}: sex of reader {reader} is {sex!r}, not M/F")
        try:
            mins = float(minutes)
        except ValueError:
            raise CorpusError(f"{p}:{n}: minutes {minutes!r} is not a number") from None
        if reader in speakers:
            raise CorpusError(f"{p}:{n}: reader {reader} listed twice")
        speakers[reader] = Speaker(reader, sex.lower(), subset, mins, name)
    if not speakers:
        raise CorpusError(f"{p}: no speaker rows")
    return speakers


# ---------------------------------------------------------------------------
# data directories


@dataclass
class PartReport:
    """What ``prepare_part`` wrote and what it left out."""

    part: str
    out_dir: Path
    utterances: int
    speakers: int
    skipped: List[str] = field(default_factory=list)


def _read_transcripts(trans: Path) -> Dict[str, str]:
    texts: Dict[str, str] = {}
    for n, line in enumerate(trans.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        utt, _, text = line.strip().partition(" ")
        if utt in texts:
            raise CorpusError(f"{trans}:{n}: duplicate utterance id {utt}")
        texts[utt] = normalize_text(text)
    return texts


def collect_part(
    part_dir: Path, speakers: Mapping[str, Speaker]
) -> Tuple[List[Utterance], List[str]]:
    """Utterances of one extracted part, and the paths skipped as not corpus files.

    Raises ``CorpusError`` naming the path for: a chapter with ``.flac`` files
    and no ``<reader>-<chapter>.trans.txt``, a ``.flac`` with no transcript
    line, a transcript line with no ``.flac``, a file name that does not match
    its folders, a reader missing from ``SPEAKERS.TXT``, an empty part.
    """
    utts: List[Utterance] = []
    skipped: List[str] = []
    for reader_dir in sorted(part_dir.iterdir()):
        if not (reader_dir.is_dir() and reader_dir.name.isdigit()):
            skipped.append(str(reader_dir))
            continue
        reader = reader_dir.name
        if reader not in speakers:
            raise CorpusError(f"reader {reader} ({reader_dir}) is not in SPEAKERS.TXT")
        for chapter_dir in sorted(reader_dir.iterdir()):
            if not (chapter_dir.is_dir() and chapter_dir.name.isdigit()):
                skipped.append(str(chapter_dir))
                continue
            spk = f"{reader}-{chapter_dir.name}"
            trans = chapter_dir / f"{spk}.trans.txt"
            flacs: Dict[str, Path] = {}
            for f in sorted(chapter_dir.iterdir()):
                if f.suffix == ".flac" and f.is_file():
                    m = _UTT_RE.fullmatch(f.stem)
                    if not m or f"{m.group(1)}-{m.group(2)}" != spk:
                        raise CorpusError(
                            f"{f}: expected a name {spk}-<number>.flac in {chapter_dir}"
                        )
                    flacs[f.stem] = f
                elif f != trans:
                    skipped.append(str(f))
            if not flacs:
                if trans.exists():
                    raise CorpusError(f"{trans}: transcripts but no .flac files")
                skipped.append(str(chapter_dir))
                continue
            if not trans.is_file():
                raise CorpusError(f"missing transcript file {trans} for {len(flacs)} .flac")
            texts = _read_transcripts(trans)
            no_text = sorted(set(flacs) - set(texts))
            if no_text:
                raise CorpusError(
                    f"{trans} has no line for {len(no_text)} .flac file(s), "
                    f"e.g. {flacs[no_text[0]]}"
                )
            no_audio = sorted(set(texts) - set(flacs))
            if no_audio:
                raise CorpusError(
                    f"{trans} lists {len(no_audio)} utterance(s) with no .flac, "
                    f"e.g. {chapter_dir / (no_audio[0] + '.flac')}"
                )
            gender = speakers[reader].gender
            for utt, path in flacs.items():
                utts.append(
                    Utterance(
                        utt_id=utt,
                        spk_id=spk,
                        wav=str(path.absolute()),
                        text=texts[utt],
                        extra={"utt2gender": gender},
                    )
                )
    if not utts:
        raise CorpusError(f"no utterances found under {part_dir}")
    return utts, skipped


def _write_spk2gender(out_dir: Path, spk2gender: Mapping[str, str]) -> None:
    lines = [f"{s} {g}" for s, g in sorted(spk2gender.items())]
    (out_dir / "spk2gender").write_text("\n".join(lines) + "\n", encoding="utf-8")


def prepare_part(root: Path | str, part: str, data_dir: Path | str) -> PartReport:
    """Write ``<data_dir>/<part_name>`` for one part; see the module docstring."""
    part = normalize_part(part)
    part_dir = corpus_dir(root) / part
    if not part_dir.is_dir():
        raise CorpusError(
            f"LibriSpeech part folder not found: {part_dir} (LIBRISPEECH must be the "
            "folder that contains LibriSpeech/; run the download stage or fix db.sh)"
        )
    wip, _ = extraction_markers(f"{part}.tar.gz", root)
    if wip.exists():
        raise CorpusError(f"{part_dir} is half extracted ({wip}); run the download stage")
    speakers = read_speakers(corpus_dir(root) / "SPEAKERS.TXT")
    utts, skipped = collect_part(part_dir, speakers)
    out = write_data_dir(Path(data_dir) / data_dir_name(part), utts)
    spk2gender = {u.spk_id: speakers[u.spk_id.split("-")[0]].gender for u in utts}
    _write_spk2gender(out, spk2gender)
    report = PartReport(part, out, len(utts), len(spk2gender), skipped)
    logger.info(
        "%s: %d utterances, %d speakers (reader-chapter) -> %s",
        part,
        len(utts),
        len(spk2gender),
        out,
    )
    if skipped:
        logger.warning(
            "%s: skipped %d path(s) that are not corpus files:\n  %s",
            part,
            len(skipped),
            "\n  ".join(skipped),
        )
    return report


def combine_data_dirs(out_dir: Path | str, inputs: Sequence[Path | str]) -> Path:
    """Concatenate prepared data dirs (``wav.scp``, ``text``, ``utt2spk``,
    ``utt2gender``, ``spk2gender``) into ``out_dir``; ids must not repeat."""
    out = Path(out_dir)
    utts: List[Utterance] = []
    owner: Dict[str, Path] = {}
    spk2gender: Dict[str, str] = {}
    for d in map(Path, inputs):
        for name in ("wav.scp", "text", "utt2spk", "utt2gender", "spk2gender"):
            if not (d / name).is_file():
                raise CorpusError(f"cannot combine into {out}: {d / name} is missing")
        wav, text, utt2spk = (read_table(d / n) for n in ("wav.scp", "text", "utt2spk"))
        utt2gender = read_table(d / "utt2gender")
        for key, value in read_table(d / "spk2gender").items():
            if spk2gender.setdefault(key, value) != value:
                raise CorpusError(f"{d / 'spk2gender'}: speaker {key} changes gender")
        for utt in wav:
            if utt in owner:
                raise CorpusError(f"utterance {utt} is in both {owner[utt]} and {d}")
            if utt not in text or utt not in utt2spk or utt not in utt2gender:
                raise CorpusError(f"{d}: utterance {utt} lacks text, utt2spk or utt2gender")
            owner[utt] = d
            extra = {"utt2gender": utt2gender[utt]}
            utts.append(Utterance(utt, utt2spk[utt], wav[utt], text[utt], extra))
    write_data_dir(out, utts)
    _write_spk2gender(out, {s: spk2gender[s] for s in {u.spk_id for u in utts}})
    logger.info("combined %s -> %s (%d utterances)", [str(i) for i in inputs], out, len(utts))
    return out


def write_lm_text(gz_path: Path | str, out_dir: Path | str) -> Tuple[Path, int, int]:
    """``librispeech-lm-norm.txt.gz`` -> ``<out_dir>/text`` with generated ids.

    Line ``n`` (1-based, counting empty lines, as ESPnet's ``awk NR`` does)
    becomes ``librispeech_lng_%08d <normalized text>``; empty lines are
    dropped. Written to ``text.tmp`` then renamed, so an existing ``text`` is
    complete. Returns (path, lines written, empty lines skipped).
    """
    gz = Path(gz_path)
    if not gz.is_file():
        raise CorpusError(f"LM text archive not found: {gz}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tmp, final = out / "text.tmp", out / "text"
    written = empty = 0
    try:
        with (
            gzip.open(gz, "rt", encoding="utf-8") as src,
            open(tmp, "w", encoding="utf-8") as dst,
        ):
            for n, line in enumerate(src, 1):
                text = normalize_text(line)
                if not text:
                    empty += 1
                    continue
                dst.write(f"{LM_ID_PREFIX}{n:08d} {text}\n")
                written += 1
    except (OSError, EOFError, UnicodeDecodeError) as e:
        tmp.unlink(missing_ok=True)
        raise CorpusError(f"{gz}: cannot read the LM text ({e})") from e
    os.replace(tmp, final)
    logger.info("%s: %d lines -> %s (%d empty lines skipped)", gz, written, final, empty)
    return final, written, empty


def prepare(
    root: Path | str,
    data_dir: Path | str,
    *,
    parts: Optional[Sequence[str]] = None,
    train_set: str = "train_960",
    lm_text_gz: Optional[Path | str] = None,
) -> List[PartReport]:
    """Prepare every part, the combined train/dev sets, and optionally the LM text.

    ``parts`` defaults to ``default_parts(train_set)``. ``train_960`` is
    combined when all three training parts are among ``parts`` (some but not
    all of them is an error; none, e.g. only test parts, writes no train set);
    ``dev`` is combined when both dev parts are among ``parts``.
    """
    if train_set not in TRAIN_SETS:
        raise CorpusError(f"unknown train set {train_set!r}; choose from {list(TRAIN_SETS)}")
    chosen = [normalize_part(p) for p in (parts or default_parts(train_set))]
    train_parts = TRAIN_SETS[train_set]
    missing = [p for p in train_parts if p not in chosen]
    if missing and len(missing) < len(train_parts):
        raise CorpusError(f"train set {train_set} needs parts {missing}, not in {chosen}")
    data = Path(data_dir)
    reports = [prepare_part(root, p, data) for p in dict.fromkeys(chosen)]
    if len(train_parts) > 1 and not missing:
        combine_data_dirs(data / train_set, [data / data_dir_name(p) for p in train_parts])
    if all(p in chosen for p in DEV_PARTS):
        combine_data_dirs(data / DEV_SET, [data / data_dir_name(p) for p in DEV_PARTS])
    else:
        logger.warning("not writing %s: needs both %s", data / DEV_SET, DEV_PARTS)
    if lm_text_gz is not None:
        write_lm_text(lm_text_gz, data / LM_TEXT_DIR)
    return reports
