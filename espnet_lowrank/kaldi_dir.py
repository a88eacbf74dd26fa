"""Write and read Kaldi-style data directories (``wav.scp``, ``text``, ``utt2spk``...).

ESPnet recipes keep one folder per data set with sorted, space-separated tables
keyed by utterance id. Utterance ids must start with the speaker id so that the
order of ``utt2spk`` and ``spk2utt`` agrees under ``sort``, as Kaldi requires.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterable, List, Optional

from espnet_lowrank.atomic import atomic_dir


@dataclass(frozen=True)
class Utterance:
    """One entry of a data directory.

    Attributes:
        utt_id: utterance id; must start with ``spk_id`` and contain no whitespace.
        spk_id: speaker id; no whitespace.
        wav: what ``wav.scp`` holds for it: a path, or a Kaldi pipe ending in ``|``.
        text: the transcript (one line, may be empty for unlabelled data).
        extra: further per-utterance tables, e.g. ``{"video.scp": "/path/clip.npy"}``.
    """

    utt_id: str
    spk_id: str
    wav: str
    text: str
    extra: Optional[Dict[str, str]] = None


def _check_token(kind: str, value: str) -> None:
    if not value or any(c.isspace() for c in value):
        raise ValueError(f"{kind} must be non-empty with no whitespace: {value!r}")


def write_data_dir(out_dir: Path | str, utts: Iterable[Utterance]) -> Path:
    """Write ``wav.scp``, ``text``, ``utt2spk``, ``spk2utt`` (and extras) to ``out_dir``.

    Raises ``ValueError`` naming the offending utterance for duplicate ids,
    whitespace in ids, newlines in transcripts, or an utterance id that does not
    start with its speaker id.
    """
    out = Path(out_dir)
    rows: Dict[str, Utterance] = {}
    for u in utts:
        _check_token("utterance id", u.utt_id)
        _check_token(f"speaker id of {u.utt_id}", u.spk_id)
        if not u.utt_id.startswith(u.spk_id):
            raise ValueError(
                f"utterance id {u.utt_id!r} must start with its speaker id {u.spk_id!r}"
            )
        if "\n" in u.text or "\n" in u.wav:
            raise ValueError(f"newline in the text or wav entry of {u.utt_id!r}")
        if u.utt_id in rows:
            raise ValueError(f"duplicate utterance id {u.utt_id!r} in {out}")
        rows[u.utt_id] = u
    if not rows:
        raise ValueError(f"no utterances to write to {out}")
    ids = sorted(rows)
    tables: Dict[str, List[str]] = {"wav.scp": [], "text": [], "utt2spk": []}
    for k in ids:
        u = rows[k]
        tables["wav.scp"].append(f"{k} {u.wav}")
        tables["text"].append(f"{k} {u.text}".rstrip())
        tables["utt2spk"].append(f"{k} {u.spk_id}")
        for name, value in (u.extra or {}).items():
            tables.setdefault(name, []).append(f"{k} {value}")
    spk2utt: Dict[str, List[str]] = {}
    for k in ids:
        spk2utt.setdefault(rows[k].spk_id, []).append(k)
    tables["spk2utt"] = [f"{s} {' '.join(us)}" for s, us in sorted(spk2utt.items())]
    for name, lines in tables.items():
        if len(lines) != len(ids) and name != "spk2utt":
            raise ValueError(f"table {name} is missing entries in {out}")
    with atomic_dir(out) as work:  # all tables, or (on a failure) the old ones
        for name, lines in tables.items():
            (work / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return out


def read_table(path: Path | str) -> Dict[str, str]:
    """Read a ``key value...`` table into a dict; errors name the file and line."""
    p = Path(path)
    table: Dict[str, str] = {}
    with p.open(encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line.strip():
                continue
            key, _, value = line.partition(" ")
            if key in table:
                raise ValueError(f"{p}:{n}: duplicate key {key!r}")
            table[key] = value
    return table
