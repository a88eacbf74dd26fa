"""A closed vocabulary: the most frequent speakable words of a sentence set.

A sentence is kept only if every one of its words is in the vocabulary, so
the spoken corpus has no out-of-vocabulary word by construction.
"""

from __future__ import annotations

from collections import Counter
from typing import Callable, Collection, Iterable, List, Sequence

from espnet_lowrank.corpora.mini.text import Sentence


def word_counts(sentences: Iterable[Sentence]) -> Counter:
    """Count word occurrences over ``sentences``."""
    counts: Counter = Counter()
    for s in sentences:
        counts.update(s.words)
    return counts


def rank_words(counts: Counter) -> List[str]:
    """Words by decreasing count; ties broken alphabetically (deterministic)."""
    return [w for w, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]


def select_vocabulary(
    counts: Counter,
    size: int,
    reject: Callable[[Sequence[str]], Collection[str]],
) -> List[str]:
    """Pick the ``size`` most frequent words that ``reject`` does not refuse.

    Args:
        counts: word counts.
        size: number of words wanted.
        reject: given candidate words, returns those to leave out (e.g. words
            the synthesiser spells letter by letter).
    Returns:
        The vocabulary, most frequent first. Raises ``ValueError`` if fewer
        than ``size`` acceptable words exist.
    """
    if size <= 0:
        raise ValueError(f"vocabulary size must be positive, got {size}")
    ranked = rank_words(counts)
    vocab: List[str] = []
    pos = 0
    while len(vocab) < size and pos < len(ranked):
        need = size - len(vocab)
        batch = ranked[pos : pos + need + need // 10 + 10]
        pos += len(batch)
        refused = set(reject(batch))
        vocab.extend(w for w in batch if w not in refused)
    if len(vocab) < size:
        raise ValueError(
            f"only {len(vocab)} acceptable words exist, fewer than the vocabulary size {size}"
        )
    return vocab[:size]


def in_vocabulary(sentence: Sentence, vocab: Collection[str]) -> bool:
    """True if every word of ``sentence`` is in ``vocab``."""
    return all(w in vocab for w in sentence.words)
