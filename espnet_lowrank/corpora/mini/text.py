"""Sentences for the mini corpus, taken from Debian's ``fortunes`` cookie files.

Source: the Debian packages ``fortunes`` and ``fortunes-min`` (data of
``fortune-mod`` 1.99.1, files under ``/usr/share/games/fortunes``). The package
is distributed under the BSD licence of the University of California (see
``/usr/share/doc/fortunes/copyright``); the individual quotations belong to
their authors and are redistributed by Debian as a collection. We only derive
short normalised sentences from them and never ship the files themselves.

A fortune file holds entries separated by lines containing a single ``%``.
This module turns entries into sentences and sentences into normalised
transcripts: upper-case words made of ASCII letters and inner apostrophes.
Sentences that a speech synthesiser would not read as written are dropped
(digits, symbols, abbreviations, acronyms, lone letters, non-ASCII text, a
leading ``-``), as are very short and very long ones. Each kept sentence also
gets a ``spoken`` form: lower-case words with only commas and the final
punctuation, which is what espeak-ng is given, so that what is heard is what
the transcript says.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterable, Iterator, List, Sequence, Tuple

FORTUNE_DIR = Path("/usr/share/games/fortunes")

# Two text domains, each a group of fortune topic files. Domain "B" (people,
# life and society) supplies every spoken utterance and the in-domain LM text;
# domain "A" (computing, science, art and the rest) is the general LM text.
DOMAINS: Dict[str, Tuple[str, ...]] = {
    "A": (
        "art",
        "computers",
        "cookie",
        "debian",
        "definitions",
        "linux",
        "linuxcookie",
        "literature",
        "perl",
        "science",
        "songs-poems",
        "startrek",
        "zippy",
        "knghtbrd",
        "miscellaneous",
        "news",
        "magic",
        "paradoxum",
        "goedel",
        "riddles",
    ),
    "B": (
        "drugs",
        "education",
        "ethnic",
        "food",
        "fortunes",
        "humorists",
        "kids",
        "law",
        "love",
        "medicine",
        "men-women",
        "people",
        "pets",
        "platitudes",
        "politics",
        "sports",
        "tao",
        "wisdom",
        "work",
    ),
}

# Tokens that espeak-ng expands or spells, written with their dot.
ABBREVIATIONS = frozenset(
    """
    mr. mrs. ms. dr. st. jr. sr. prof. rev. gen. col. capt. lt. sgt. gov. sen.
    rep. pres. hon. mt. ft. vs. etc. e.g. i.e. cf. al. inc. ltd. co. corp.
    dept. univ. assn. bros. no. vol. pp. ch. fig. jan. feb. mar. apr. aug.
    sept. sep. oct. nov. dec. mon. tue. wed. thu. fri. sat. sun. ave. blvd.
    rd. approx. esp. misc. ca. op. ed. eds. trans. viz. pt. sq. oz. lb. lbs.
    """.split()
)

_ALLOWED_PUNCT = set(",;:.!?\"'()-")
_WORD_RE = re.compile(r"^[A-Za-z]+(?:'[A-Za-z]+)*$")
_ATTRIBUTION_RE = re.compile(r"^\s*--")
_SENT_END_RE = re.compile(r"[.!?]+[\"')\]]*$")


class RejectedSentence(ValueError):
    """A sentence that cannot be used; ``reason`` is a short machine tag."""

    def __init__(self, reason: str, sentence: str) -> None:
        super().__init__(f"{reason}: {sentence!r}")
        self.reason = reason
        self.sentence = sentence


@dataclass(frozen=True)
class Sentence:
    """A normalised sentence.

    Attributes:
        words: upper-case words (ASCII letters and inner apostrophes).
        spoken: the text given to the synthesiser (lower case, commas and
            final punctuation only; its words are exactly ``words``).
    """

    words: Tuple[str, ...]
    spoken: str

    @property
    def text(self) -> str:
        """The transcript: words joined by single spaces."""
        return " ".join(self.words)


def read_fortune_entries(path: Path | str) -> List[str]:
    """Read a fortune file and return its entries (text between ``%`` lines).

    Bytes that are not UTF-8 become U+FFFD, which the sentence filter rejects
    as non-ASCII. Raises ``FileNotFoundError`` naming the file.
    """
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"fortune file not found: {p}")
    raw = p.read_bytes().decode("utf-8", errors="replace")
    entries: List[str] = []
    current: List[str] = []
    for line in raw.splitlines():
        if line.strip() == "%":
            if current:
                entries.append("\n".join(current))
            current = []
        else:
            current.append(line)
    if any(x.strip() for x in current):
        entries.append("\n".join(current))
    return [e for e in entries if e.strip()]


def _is_abbreviation(token: str) -> bool:
    """True for a token such as ``Mr.``, ``etc.``, ``J.`` or ``U.S.``."""
    core = token.strip("\"'()[]")
    low = core.lower()
    if low in ABBREVIATIONS:
        return True
    if re.fullmatch(r"[A-Za-z]\.", core):
        return True
    return bool(re.fullmatch(r"(?:[A-Za-z]+\.){2,}", core))


def split_sentences(entry: str) -> List[str]:
    """Split one fortune entry into raw sentences.

    Attribution lines (starting with ``--``) are dropped, the remaining lines
    joined. A sentence ends at a token ending in ``.``, ``!`` or ``?`` (possibly
    followed by closing quotes/brackets), except after an abbreviation: the
    sentence then runs on and is later rejected as a whole, rather than cut
    into wrong pieces.
    """
    lines = [ln for ln in entry.splitlines() if not _ATTRIBUTION_RE.match(ln)]
    tokens = " ".join(lines).split()
    sentences: List[str] = []
    current: List[str] = []
    for tok in tokens:
        current.append(tok)
        if _SENT_END_RE.search(tok) and not _is_abbreviation(tok):
            sentences.append(" ".join(current))
            current = []
    if current:
        sentences.append(" ".join(current))
    return sentences


def normalise_sentence(raw: str, min_words: int = 3, max_words: int = 16) -> Sentence:
    """Normalise one raw sentence or raise :class:`RejectedSentence`.

    Reasons: ``non-ascii``, ``leading-dash``, ``digit``, ``symbol``,
    ``abbreviation``, ``acronym``, ``lone-letter``, ``bad-word``,
    ``too-short``, ``too-long``.
    """
    s = raw.strip()
    if not s.isascii() or any(ord(c) < 32 and c not in "\t\n" for c in s):
        raise RejectedSentence("non-ascii", raw)
    if s.startswith("-"):
        raise RejectedSentence("leading-dash", raw)
    if any(c.isdigit() for c in s):
        raise RejectedSentence("digit", raw)
    if any(not (c.isalpha() or c.isspace() or c in _ALLOWED_PUNCT) for c in s):
        raise RejectedSentence("symbol", raw)
    tokens = s.split()
    for i, tok in enumerate(tokens):
        if re.fullmatch(r"[\"'(]*[A-Za-z]:", tok):
            # a dialogue label such as "Q:" or "A:"
            raise RejectedSentence("lone-letter", raw)
        core = tok.strip("\"'()")
        inner_dot = "." in core.rstrip(".!?,;:")
        if _is_abbreviation(tok) or inner_dot:
            raise RejectedSentence("abbreviation", raw)
        if i < len(tokens) - 1 and core.endswith("."):
            # a full stop inside a sentence: an abbreviation we do not know
            raise RejectedSentence("abbreviation", raw)
    words: List[str] = []
    spoken: List[str] = []
    # hyphens and dashes separate words; other punctuation is dropped
    for tok in re.split(r"\s+|-+", s):
        pause = tok.rstrip("\"')").endswith((",", ";", ":"))
        core = tok.strip(',;:.!?"()').strip("'")
        core = core.strip(',;:.!?"()')
        if not core:
            if pause and spoken and not spoken[-1].endswith(","):
                spoken[-1] += ","
            continue
        if not _WORD_RE.match(core):
            raise RejectedSentence("bad-word", raw)
        letters = core.replace("'", "")
        if len(letters) >= 2 and letters.isupper():
            raise RejectedSentence("acronym", raw)
        if len(letters) == 1 and letters.upper() not in ("A", "I"):
            raise RejectedSentence("lone-letter", raw)
        words.append(core.upper())
        low = core.lower()
        if low == "i" or low.startswith("i'"):
            low = "I" + low[1:]  # the pronoun, also in "I'd", "I'm"
        spoken.append(low + ("," if pause else ""))
    if len(words) < min_words:
        raise RejectedSentence("too-short", raw)
    if len(words) > max_words:
        raise RejectedSentence("too-long", raw)
    end = "?" if "?" in s[-3:] else "!" if "!" in s[-3:] else "."
    spoken_text = " ".join(spoken).rstrip(",") + end
    return Sentence(words=tuple(words), spoken=spoken_text)


def iter_domain_sentences(
    domain: str,
    fortune_dir: Path | str = FORTUNE_DIR,
    min_words: int = 3,
    max_words: int = 16,
    rejected: Dict[str, int] | None = None,
) -> Iterator[Sentence]:
    """Yield the normalised sentences of one domain, in file then entry order.

    ``rejected`` (if given) is updated with counts per rejection reason.
    Raises ``KeyError`` for an unknown domain and ``FileNotFoundError`` naming a
    missing topic file.
    """
    if domain not in DOMAINS:
        raise KeyError(f"unknown text domain {domain!r}; known: {sorted(DOMAINS)}")
    for topic in DOMAINS[domain]:
        for entry in read_fortune_entries(Path(fortune_dir) / topic):
            yield from normalise_all(split_sentences(entry), min_words, max_words, rejected)


def normalise_all(
    raws: Iterable[str],
    min_words: int = 3,
    max_words: int = 16,
    rejected: Dict[str, int] | None = None,
) -> Iterator[Sentence]:
    """Yield :func:`normalise_sentence` of every raw sentence that passes; ``rejected``
    (if given) is updated with counts per rejection reason."""
    for raw in raws:
        try:
            yield normalise_sentence(raw, min_words, max_words)
        except RejectedSentence as err:
            if rejected is not None:
                rejected[err.reason] = rejected.get(err.reason, 0) + 1


def unique_sentences(sentences: Sequence[Sentence]) -> List[Sentence]:
    """Drop repeated transcripts, keeping the first occurrence's order."""
    seen: set = set()
    out: List[Sentence] = []
    for s in sentences:
        if s.text not in seen:
            seen.add(s.text)
            out.append(s)
    return out
