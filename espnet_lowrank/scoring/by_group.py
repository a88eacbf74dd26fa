"""WER per group of utterances (engine, voice, room...), from Kaldi ``text`` files.

Corpus v2 of the mini recipe writes ``data/<set>/utt2engine`` (``<utt> engine:voice``)
and ``data/<set>/acoustics`` (``<utt> rt60=... drr=... snr=...``); a decoding's
``text`` and the reference ``text`` then give the error rate of each engine, voice or
acoustic condition, with sclite's alignment costs (:mod:`espnet_lowrank.scoring.alignment`,
which reproduces sclite's ``Sum`` row).
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Callable, Dict, List, Tuple

from espnet_lowrank.kaldi_dir import read_table
from espnet_lowrank.scoring.alignment import ErrorCounts, count_errors
from espnet_lowrank.scoring.trn import check_same_ids, read_text


def engine_of(value: str) -> str:
    """``espeak:en-us+f2`` -> ``espeak`` (the engine of a ``utt2engine`` value)."""
    return value.split(":", 1)[0]


def reverb_of(value: str) -> str:
    """``rt60=0.412 drr=3.1 snr=20.5`` -> ``dry`` / ``RT60 < 0.35 s`` / ``RT60 >= 0.35 s``."""
    fields = dict(kv.split("=", 1) for kv in value.split() if "=" in kv)
    if "rt60" not in fields:
        raise ValueError(f"no rt60=... in acoustics value {value!r}")
    rt60 = float(fields["rt60"])
    return "dry" if rt60 == 0 else ("RT60 < 0.35 s" if rt60 < 0.35 else "RT60 >= 0.35 s")


def wer_by_group(
    ref_text: Path | str,
    hyp_text: Path | str,
    groups_file: Path | str,
    key: Callable[[str], str] = engine_of,
) -> Dict[str, ErrorCounts]:
    """``{group: counts}``; every reference utterance must have a group and a hypothesis."""
    ref, hyp = read_text(ref_text), read_text(hyp_text)
    check_same_ids(ref, hyp, str(ref_text), str(hyp_text))
    table = read_table(groups_file)
    missing = sorted(set(ref) - set(table))
    if missing:
        raise ValueError(
            f"{groups_file}: no group for {len(missing)} utterance(s), e.g. {missing[0]}"
        )
    by: Dict[str, Tuple[dict, dict]] = defaultdict(lambda: ({}, {}))
    for utt in ref:
        r, h = by[key(table[utt])]
        r[utt], h[utt] = ref[utt].split(), hyp[utt].split()
    return {g: count_errors(r, h) for g, (r, h) in sorted(by.items())}


def render(counts: Dict[str, ErrorCounts], title: str) -> List[str]:
    """Markdown table: group, utterances, words, WER (%)."""
    lines = [f"|{title}|utterances|words|WER|", "|---|---:|---:|---:|"]
    for g, c in counts.items():
        lines.append(f"|{g}|{c.snt}|{c.wrd}|{100 * c.err / max(c.wrd, 1):.1f}|")
    return lines
