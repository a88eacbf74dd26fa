"""General-domain LM text for the mini corpus: WordNet 3.0 usage examples.

Source: the Debian package ``wordnet-base`` (WordNet 3.0 database files
``/usr/share/wordnet/data.{noun,verb,adj,adv}``), under the WordNet 3.0 licence
of Princeton University (see ``/usr/share/doc/wordnet-base/copyright``:
use, copy and distribution permitted with the copyright notice kept). We only
derive normalised sentences from it and never ship the files.

Each synset line of a data file ends with ``| gloss``; inside the gloss,
usage examples are double-quoted (``"they won the game"``). These short
everyday sentences, written by lexicographers to show how a word is used, are
a different domain from the spoken fortune sentences (jokes and sayings about
people and society), which is what the LM adaptation stages need: a general
LM that must be adapted to the in-domain text to rescore it well.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Dict, Iterator, List

from espnet_lowrank.corpora.mini.text import Sentence, normalise_all

WORDNET_DIR = Path("/usr/share/wordnet")
DATA_FILES = ("data.noun", "data.verb", "data.adj", "data.adv")
_EXAMPLE_RE = re.compile(r'"([^"]+)"')


def read_usage_examples(wordnet_dir: Path | str = WORDNET_DIR) -> List[str]:
    """Return every quoted usage example of the four data files, in file order.

    Licence header lines (starting with two spaces) are skipped. Raises
    ``FileNotFoundError`` naming the missing file and the Debian package.
    """
    out: List[str] = []
    for name in DATA_FILES:
        path = Path(wordnet_dir) / name
        if not path.is_file():
            raise FileNotFoundError(
                f"WordNet data file not found: {path} (install the Debian package "
                f"wordnet-base, or make the corpus with --general_text fortunes)"
            )
        with path.open(encoding="latin-1") as f:
            for line in f:
                if line.startswith("  "):
                    continue
                _, sep, gloss = line.partition("|")
                if sep:
                    out.extend(_EXAMPLE_RE.findall(gloss))
    return out


def iter_wordnet_sentences(
    wordnet_dir: Path | str = WORDNET_DIR,
    min_words: int = 3,
    max_words: int = 16,
    rejected: Dict[str, int] | None = None,
) -> Iterator[Sentence]:
    """Yield the usage examples that pass the mini corpus' sentence filter.

    Filtering is :func:`~espnet_lowrank.corpora.mini.text.normalise_sentence`'s
    (digits, symbols, acronyms, abbreviations, length); ``rejected`` (if given)
    is updated with counts per rejection reason.
    """
    yield from normalise_all(read_usage_examples(wordnet_dir), min_words, max_words, rejected)
