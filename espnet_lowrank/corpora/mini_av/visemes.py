"""espeak-ng phoneme mnemonics -> visemes (mouth shapes).

A :class:`MouthShape` has five controls in ``[0, 1]``: ``open`` (jaw / lip
opening), ``width`` (lip spreading), ``round`` (rounding and protrusion, which
also narrows the mouth), ``teeth`` (upper teeth visible) and ``tongue`` (tongue
tip visible). Visemes group phonemes that look alike (bilabial closure for
``p b m``, lower lip under the teeth for ``f v``, ...). Diphthongs map to two
shapes (start, end) that the track spreads over the phoneme's duration.

Mnemonics are espeak-ng's English ones (``espeak-ng -x``, the names its phoneme
events carry). Accent variants of a base phoneme (``t#``, ``@5``, ``aI2``,
``r-``...) are reduced to the base by stripping variant marks; a phoneme whose
base is not in the table is an error naming it (a new accent or espeak-ng
version must be mapped, not guessed).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List, Tuple


@dataclass(frozen=True)
class MouthShape:
    """Mouth controls, each in ``[0, 1]`` (see module doc)."""

    open: float
    width: float
    round: float
    teeth: float
    tongue: float

    def as_tuple(self) -> Tuple[float, float, float, float, float]:
        return (self.open, self.width, self.round, self.teeth, self.tongue)


CONTROLS = ("open", "width", "round", "teeth", "tongue")

VISEMES: Dict[str, MouthShape] = {
    "rest": MouthShape(0.02, 0.45, 0.15, 0.0, 0.0),
    "bilabial": MouthShape(0.0, 0.42, 0.1, 0.0, 0.0),  # p b m: lips pressed
    "labiodental": MouthShape(0.12, 0.5, 0.0, 1.0, 0.0),  # f v: teeth on lower lip
    "dental": MouthShape(0.22, 0.52, 0.0, 0.7, 1.0),  # T D: tongue between teeth
    "alveolar": MouthShape(0.2, 0.55, 0.0, 0.6, 0.3),  # t d n s z
    "lateral": MouthShape(0.3, 0.5, 0.0, 0.5, 0.8),  # l, syllabic l
    "postalveolar": MouthShape(0.2, 0.32, 0.7, 0.6, 0.0),  # S Z tS dZ
    "velar": MouthShape(0.32, 0.5, 0.05, 0.3, 0.0),  # k g N h ?
    "approx_r": MouthShape(0.2, 0.35, 0.6, 0.2, 0.0),  # r
    "approx_w": MouthShape(0.08, 0.2, 1.0, 0.0, 0.0),  # w
    "approx_j": MouthShape(0.18, 0.72, 0.0, 0.5, 0.0),  # j
    "close_front": MouthShape(0.22, 0.88, 0.0, 0.6, 0.0),  # i: I i
    "mid_front": MouthShape(0.5, 0.72, 0.0, 0.5, 0.1),  # E e
    "open": MouthShape(1.0, 0.6, 0.0, 0.3, 0.2),  # a A: aa
    "mid_central": MouthShape(0.42, 0.5, 0.1, 0.2, 0.1),  # @ 3 V
    "open_back_round": MouthShape(0.72, 0.35, 0.65, 0.1, 0.0),  # 0 O:
    "mid_back_round": MouthShape(0.45, 0.3, 0.8, 0.0, 0.0),  # o
    "close_back_round": MouthShape(0.2, 0.18, 0.95, 0.0, 0.0),  # u: U
}

# mnemonic -> one viseme, or (start, end) for diphthongs
PHONEME_VISEMES: Dict[str, Tuple[str, ...]] = {
    # pauses and boundaries (espeak-ng: _ short, _: long, _! stop; ; and ' marks)
    "_": ("rest",), "_:": ("rest",), "_!": ("rest",), ";": ("rest",), "'": ("rest",),
    "?": ("velar",),
    # consonants
    "p": ("bilabial",), "b": ("bilabial",), "m": ("bilabial",),
    "f": ("labiodental",), "v": ("labiodental",),
    "T": ("dental",), "D": ("dental",),
    "t": ("alveolar",), "d": ("alveolar",), "n": ("alveolar",), "s": ("alveolar",),
    "z": ("alveolar",), "l": ("lateral",), "@L": ("mid_central", "lateral"),
    "S": ("postalveolar",), "Z": ("postalveolar",), "tS": ("postalveolar",),
    "dZ": ("postalveolar",),
    "k": ("velar",), "g": ("velar",), "N": ("velar",), "h": ("velar",), "x": ("velar",),
    "r": ("approx_r",), "w": ("approx_w",), "j": ("approx_j",),
    # monophthongs
    "i": ("close_front",), "i:": ("close_front",), "I": ("close_front",),
    "E": ("mid_front",), "e": ("mid_front",), "a": ("open",), "aa": ("open",),
    "A:": ("open",), "A": ("open",),
    "@": ("mid_central",), "3": ("mid_central",), "3:": ("mid_central",), "V": ("mid_central",),
    "0": ("open_back_round",), "O:": ("open_back_round",), "O": ("open_back_round",),
    "o": ("mid_back_round",),
    "u:": ("close_back_round",), "U": ("close_back_round",), "u": ("close_back_round",),
    # diphthongs and r-coloured vowels
    "aI": ("open", "close_front"), "aU": ("open", "close_back_round"),
    "eI": ("mid_front", "close_front"), "oU": ("mid_back_round", "close_back_round"),
    "OI": ("open_back_round", "close_front"), "aI@": ("open", "mid_central"),
    "i@": ("close_front", "mid_central"), "e@": ("mid_front", "mid_central"),
    "U@": ("close_back_round", "mid_central"), "A@": ("open", "approx_r"),
    "O@": ("open_back_round", "approx_r"), "o@": ("mid_back_round", "approx_r"),
    "IR": ("close_front", "approx_r"), "VR": ("mid_central", "approx_r"),
}  # fmt: skip

# Marks espeak-ng appends to a base mnemonic for accent variants (t#, t[, r-, @5, aI2...).
VARIANT_MARKS = "#[-!0123456789"


class UnknownPhonemeError(KeyError):
    """A phoneme mnemonic with no viseme (after removing variant marks)."""

    def __str__(self) -> str:
        return str(self.args[0])


def base_phoneme(phone: str) -> str:
    """The table entry ``phone`` maps to: itself, or itself without trailing variant marks.

    Raises:
        UnknownPhonemeError: naming ``phone`` when no base is in the table.
    """
    if phone in PHONEME_VISEMES:
        return phone
    base = phone
    while len(base) > 1 and base[-1] in VARIANT_MARKS:
        base = base[:-1]
        if base in PHONEME_VISEMES:
            return base
    raise UnknownPhonemeError(
        f"no viseme for espeak-ng phoneme {phone!r}: add it to "
        "espnet_lowrank/corpora/mini_av/visemes.py PHONEME_VISEMES"
    )


def phoneme_shapes(phone: str) -> Tuple[MouthShape, ...]:
    """The mouth shape(s) of one phoneme: one, or (start, end) for a diphthong."""
    return tuple(VISEMES[v] for v in PHONEME_VISEMES[base_phoneme(phone)])


_MARKS = "'," + "%="  # stress and syllable marks of espeak-ng -x output (no mouth shape)


def viseme_sequence(mnemonics: str) -> Tuple[str, ...]:
    """The visemes a word's ``espeak-ng -x`` spelling shows, in order, each run of one
    viseme once and pauses left out: what its mouth video can tell (``"b'i:"`` and
    ``"p'i:"`` both give ``("bilabial", "close_front")``).

    Phonemes are read longest-first from :data:`PHONEME_VISEMES` (variant marks as in
    :func:`base_phoneme`); an unreadable spelling is an :class:`UnknownPhonemeError`.
    """
    text = "".join(c for c in mnemonics if c not in _MARKS)
    keys = sorted((k for k in PHONEME_VISEMES if k not in ("_", "_:", "_!", ";", "'")),
                  key=len, reverse=True)  # fmt: skip
    out: List[str] = []
    i = 0
    while i < len(text):
        key = next((k for k in keys if text.startswith(k, i)), None)
        if key is None:
            raise UnknownPhonemeError(
                f"no viseme for {text[i:]!r} in espeak-ng spelling {mnemonics!r}"
            )
        i += len(key)
        while i < len(text) and text[i] in VARIANT_MARKS:
            i += 1
        for v in PHONEME_VISEMES[key]:
            if not out or out[-1] != v:
                out.append(v)
    return tuple(out)
