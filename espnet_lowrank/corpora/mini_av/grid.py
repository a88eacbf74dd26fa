"""A GRID-style closed grammar: six-word commands such as "bin blue at f two now".

The design follows the GRID audio-visual corpus (Cooke, Barker, Cunningham and
Shao, JASA 120(5), 2006), the classic benchmark for audio-visual speech
recognition: every sentence is ``command colour preposition letter digit
adverb`` drawn from fixed word lists (``4 x 4 x 4 x 25 x 10 x 4 = 64,000``
sentences, 51 words). Only the design is reused, not GRID's recordings.

Transcripts are upper-case words; a letter is the letter itself (``"F"``).
The text given to espeak-ng spells each letter so that espeak-ng says its
*name*: a lone ``f`` is already read "eff", but a lone ``a`` is the article
(schwa), so ``a`` is written ``eigh`` (read ``'eI`` by every accent used here).
:data:`LETTER_PHONEMES` holds what espeak-ng's ``en-us`` voice says for each
letter (checked in the tests).

A sentence is identified by its index in ``0 .. NUM_SENTENCES - 1`` (mixed-radix
digits, one per slot), so sentence ids name the words without a table.
"""

from __future__ import annotations

from typing import Dict, List, Sequence, Tuple

import numpy as np

from espnet_lowrank.corpora.mini.text import Sentence

COMMANDS: Tuple[str, ...] = ("bin", "lay", "place", "set")
COLOURS: Tuple[str, ...] = ("blue", "green", "red", "white")
PREPOSITIONS: Tuple[str, ...] = ("at", "by", "in", "with")
LETTERS: Tuple[str, ...] = tuple(c for c in "abcdefghijklmnopqrstuvxyz")  # no "w" (as GRID)
DIGITS: Tuple[str, ...] = (
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
)  # fmt: skip
ADVERBS: Tuple[str, ...] = ("again", "now", "please", "soon")
SLOTS: Tuple[Tuple[str, Tuple[str, ...]], ...] = (
    ("command", COMMANDS),
    ("colour", COLOURS),
    ("preposition", PREPOSITIONS),
    ("letter", LETTERS),
    ("digit", DIGITS),
    ("adverb", ADVERBS),
)
NUM_SENTENCES = int(np.prod([len(words) for _, words in SLOTS]))

# how the synthesiser is asked to say a letter, when the letter alone is not its name
LETTER_SPOKEN: Dict[str, str] = {"a": "eigh"}
# what espeak-ng 1.51 (voice en-us) says for each letter after "at" (stress marks kept)
LETTER_PHONEMES: Dict[str, str] = {
    "a": "'eI", "b": "b'i:", "c": "s'i:", "d": "d'i:", "e": "'i:", "f": "'Ef",
    "g": "dZ'i:", "h": "'eItS", "i": "'aI", "j": "dZ'eI", "k": "k'eI", "l": "'El",
    "m": "'Em", "n": "'En", "o": "'oU", "p": "p'i:", "q": "kj'u:", "r": "'A@",
    "s": "'Es", "t": "t'i:", "u": "j'u:", "v": "v'i:", "x": "'Eks", "y": "w'aI",
    "z": "z'i:",
}  # fmt: skip


def vocabulary() -> List[str]:
    """The 51 transcript words (upper case), sorted."""
    return sorted({w.upper() for _, words in SLOTS for w in words})


def sentence_words(index: int) -> Tuple[str, ...]:
    """The six lower-case grammar words of sentence ``index`` (slot order)."""
    if not 0 <= index < NUM_SENTENCES:
        raise ValueError(f"sentence index must be in 0..{NUM_SENTENCES - 1}, got {index}")
    words: List[str] = []
    for _, options in reversed(SLOTS):
        index, digit = divmod(index, len(options))
        words.append(options[digit])
    return tuple(reversed(words))


def sentence_index(words: Sequence[str]) -> int:
    """Inverse of :func:`sentence_words` (case-insensitive); ``ValueError`` names a bad word."""
    if len(words) != len(SLOTS):
        raise ValueError(f"a grammar sentence has {len(SLOTS)} words, got {list(words)}")
    index = 0
    for word, (slot, options) in zip(words, SLOTS):
        if word.lower() not in options:
            raise ValueError(f"{word!r} is not a {slot} word: {', '.join(options)}")
        index = index * len(options) + options.index(word.lower())
    return index


def spoken_form(word: str) -> str:
    """The text espeak-ng is given for a grammar word (letters spelled as their names)."""
    return LETTER_SPOKEN.get(word, word)


def make_sentence(index: int) -> Sentence:
    """Sentence ``index``: transcript words in upper case, espeak-ng text in lower case."""
    words = sentence_words(index)
    return Sentence(
        words=tuple(w.upper() for w in words),
        spoken=" ".join(spoken_form(w) for w in words),
    )


def draw_sentence_indices(rng: np.random.Generator, counts: Sequence[int]) -> List[List[int]]:
    """Disjoint random sets of sentence indices, one list per entry of ``counts``.

    No sentence text is in two lists (e.g. test, dev and train are disjoint).
    Raises ``ValueError`` if the grammar has fewer sentences than asked for.
    """
    total = int(sum(counts))
    if any(c < 0 for c in counts) or total > NUM_SENTENCES:
        raise ValueError(
            f"cannot draw {list(counts)} disjoint sentences from {NUM_SENTENCES:,} in the grammar"
        )
    picked = rng.choice(NUM_SENTENCES, size=total, replace=False)
    out, start = [], 0
    for c in counts:
        out.append([int(i) for i in picked[start : start + c]])
        start += c
    return out


def letter_viseme_groups() -> List[Tuple[str, ...]]:
    """Letters whose names look the same on the lips (identical
    :func:`~espnet_lowrank.corpora.mini_av.visemes.viseme_sequence` of
    :data:`LETTER_PHONEMES`): groups of two or more, sorted. A lip reader cannot
    tell the letters of a group apart; only the audio can."""
    from espnet_lowrank.corpora.mini_av.visemes import viseme_sequence

    by_shape: Dict[Tuple[str, ...], List[str]] = {}
    for letter in LETTERS:
        by_shape.setdefault(viseme_sequence(LETTER_PHONEMES[letter]), []).append(letter)
    return sorted(tuple(g) for g in by_shape.values() if len(g) > 1)
