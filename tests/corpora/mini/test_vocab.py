"""Tests for espnet_lowrank.corpora.mini.vocab."""

from __future__ import annotations

from collections import Counter
from typing import List, Sequence

import pytest

from espnet_lowrank.corpora.mini.text import normalise_sentence
from espnet_lowrank.corpora.mini.vocab import (
    in_vocabulary,
    rank_words,
    select_vocabulary,
    word_counts,
)


def test_rank_words_ties_alphabetical() -> None:
    assert rank_words(Counter({"B": 2, "A": 2, "C": 5})) == ["C", "A", "B"]


def test_select_vocabulary_skips_rejected_and_refills() -> None:
    counts = Counter({w: 100 - i for i, w in enumerate("ABCDEFGHIJKLMNOPQRST")})
    seen: List[str] = []

    def reject(words: Sequence[str]) -> List[str]:
        seen.extend(words)
        return [w for w in words if w in {"A", "C", "D"}]

    vocab = select_vocabulary(counts, 5, reject)
    assert vocab == ["B", "E", "F", "G", "H"]
    assert len(seen) == len(set(seen))  # each word checked once


def test_select_vocabulary_too_small_is_an_error() -> None:
    with pytest.raises(ValueError, match="only 2 acceptable words"):
        select_vocabulary(Counter({"A": 1, "B": 1, "C": 1}), 3, lambda ws: ["C"])
    with pytest.raises(ValueError, match="positive"):
        select_vocabulary(Counter({"A": 1}), 0, lambda ws: [])


def test_closure() -> None:
    s1 = normalise_sentence("The cat sat down.")
    s2 = normalise_sentence("The dog sat down.")
    counts = word_counts([s1, s1, s2])
    assert counts["CAT"] == 2 and counts["THE"] == 3
    vocab = set(select_vocabulary(counts, 4, lambda ws: []))
    assert vocab == {"THE", "SAT", "DOWN", "CAT"}
    assert in_vocabulary(s1, vocab) and not in_vocabulary(s2, vocab)
