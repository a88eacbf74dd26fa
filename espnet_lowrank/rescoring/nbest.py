"""Read and write ESPnet N-best decoding output.

``asr_inference --nbest N`` writes, per decoding job, ``{n}best_recog/`` for
``n = 1..N`` with the Kaldi-style tables ``text``, ``token``, ``token_int`` and
``score`` (``utt tensor(-8.3400)``: the running weighted total of the beam search,
not length-normalised). An utterance may have fewer than ``N`` hypotheses; it
then lacks from the higher ``{n}best_recog`` tables, but never from ``1best``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Sequence

from espnet_lowrank.kaldi_dir import read_table

_FLOAT = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|[-+]?inf|nan")
_NBEST_DIR = re.compile(r"^(\d+)best_recog$")
TABLES = ("text", "token", "token_int", "score")


@dataclass
class Hypothesis:
    """One N-best entry.

    Attributes:
        text: the hypothesis words (may be empty).
        score: the ASR score from ``score`` (higher is better).
        token: the ``token`` table entry, if present (space-separated).
        token_int: the ``token_int`` table entry, if present.
    """

    text: str
    score: float
    token: Optional[str] = None
    token_int: Optional[str] = None


NBest = Dict[str, List[Hypothesis]]


def parse_score(value: str, where: str) -> float:
    """Parse ``tensor(-8.34)``, ``tensor(-8.34, device='cuda:0')`` or ``-8.34``."""
    m = _FLOAT.search(value)
    if m is None:
        raise ValueError(f"{where}: cannot parse a score from {value!r}")
    return float(m.group(0))


def _nbest_dirs(decode_dir: Path) -> List[Path]:
    found = {}
    for p in decode_dir.iterdir() if decode_dir.is_dir() else []:
        m = _NBEST_DIR.match(p.name)
        if m and p.is_dir():
            found[int(m.group(1))] = p
    if not found:
        raise FileNotFoundError(f"{decode_dir}: no {{n}}best_recog directories (empty N-best)")
    ns = sorted(found)
    if ns != list(range(1, len(ns) + 1)):
        raise ValueError(f"{decode_dir}: N-best directories are not 1..N: {ns}")
    return [found[n] for n in ns]


def _read_dir(d: Path) -> Dict[str, Hypothesis]:
    for t in ("text", "score"):
        if not (d / t).is_file():
            raise FileNotFoundError(f"{d / t} is missing")
    tables = {t: read_table(d / t) for t in TABLES if (d / t).is_file()}
    ids = set(tables["text"])
    for t, tab in tables.items():
        if set(tab) != ids:
            only_t = sorted(set(tab) - ids)[:5]
            only_text = sorted(ids - set(tab))[:5]
            raise ValueError(
                f"{d}: utterance ids of {t} and text differ: only in {t}: {only_t}, "
                f"only in text: {only_text}"
            )
    return {
        k: Hypothesis(
            text=tables["text"][k].strip(),
            score=parse_score(tables["score"][k], f"{d / 'score'} ({k})"),
            token=tables.get("token", {}).get(k),
            token_int=tables.get("token_int", {}).get(k),
        )
        for k in sorted(ids)
    }


def read_nbest(decode_dirs: Sequence[Path | str], nbest: Optional[int] = None) -> NBest:
    """Read the N-best lists of one or more decoding dirs (e.g. ``logdir/output.*``).

    Args:
        decode_dirs: directories holding ``1best_recog``, ``2best_recog``, ...
        nbest: keep at most this many hypotheses per utterance (default: all).

    Returns:
        ``{utt_id: [hyp_1, hyp_2, ...]}`` in the decoder's rank order.

    Raises:
        FileNotFoundError / ValueError: no N-best, missing tables, ids that differ
            between tables, an utterance in ``{n}best`` but not in ``1best``, or the
            same utterance in two decoding dirs (all named).
    """
    out: NBest = {}
    for dd in decode_dirs:
        dd = Path(dd)
        dirs = _nbest_dirs(dd)
        if nbest is not None:
            dirs = dirs[:nbest]
        per_rank = [_read_dir(d) for d in dirs]
        first = per_rank[0]
        if not first:
            raise ValueError(f"{dirs[0]}: empty 1-best list")
        for n, hyps in enumerate(per_rank[1:], 2):
            orphan = sorted(set(hyps) - set(first))
            if orphan:
                raise ValueError(
                    f"{dirs[n - 1]}: utterances missing from 1best_recog: {orphan[:5]}"
                )
        for utt in first:
            if utt in out:
                raise ValueError(f"utterance {utt!r} appears in two decoding dirs (second: {dd})")
            lst = []
            for hyps in per_rank:
                if utt not in hyps:
                    break
                lst.append(hyps[utt])
            out[utt] = lst
    if not out:
        raise ValueError(f"no hypotheses in {list(map(str, decode_dirs))}")
    return out


def _write_tables(d: Path, rows: Dict[str, Hypothesis]) -> None:
    d.mkdir(parents=True, exist_ok=True)
    ids = sorted(rows)
    cols = {
        "text": lambda h: h.text,
        "score": lambda h: f"tensor({h.score:.4f})",
        "token": lambda h: h.token,
        "token_int": lambda h: h.token_int,
    }
    for name, get in cols.items():
        vals = [get(rows[k]) for k in ids]
        if name in ("token", "token_int") and any(v is None for v in vals):
            continue
        lines = [f"{k} {v}".rstrip() for k, v in zip(ids, vals)]
        (d / name).write_text("\n".join(lines) + "\n", encoding="utf-8")


def write_nbest(out_dir: Path | str, nbest: NBest) -> Path:
    """Write ``{n}best_recog/{text,token,token_int,score}`` like ``asr_inference``.

    ``token``/``token_int`` are written only when every hypothesis of that rank
    has them (perturbed or rescored text has no token table of its own).
    """
    out = Path(out_dir)
    n_max = max(len(v) for v in nbest.values())
    for n in range(n_max):
        rows = {u: hyps[n] for u, hyps in nbest.items() if len(hyps) > n}
        _write_tables(out / f"{n + 1}best_recog", rows)
    return out


def write_onebest(out_dir: Path | str, chosen: Dict[str, Hypothesis]) -> Path:
    """Write the selected hypotheses as ``<out_dir>/1best_recog/...``."""
    d = Path(out_dir) / "1best_recog"
    _write_tables(d, chosen)
    return d


def all_texts(nbest: NBest) -> Iterable[str]:
    """Every hypothesis text, utterance by utterance."""
    for hyps in nbest.values():
        for h in hyps:
            yield h.text
