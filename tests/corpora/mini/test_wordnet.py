"""WordNet usage examples as the mini corpus' general-domain LM text."""

from __future__ import annotations

from pathlib import Path

import pytest

from espnet_lowrank.corpora.mini.corpus import CorpusConfig
from espnet_lowrank.corpora.mini.wordnet import (
    DATA_FILES,
    WORDNET_DIR,
    iter_wordnet_sentences,
    read_usage_examples,
)

HEADER = "  1 This software and database is being provided to you, the LICENSEE, by\n"
NOUN = (
    "00001740 03 n 01 entity 0 003 ~ 00001930 n 0000 | that which is perceived; "
    '"the entity & its parts"; "an entity"\n'
    "02084071 05 n 02 dog 0 domestic_dog 0 042 @ 02083346 n 0000 | a member of the genus Canis; "
    '"the dog barked all night"; "dogs, unlike cats, bark"\n'
    "02121620 05 n 01 cat 0 001 @ 02120997 n 0000 | feline mammal usually having thick fur\n"
)
VERB = (
    "00410817 30 v 01 Frenchify 1 002 @ 00126264 v 0000 | make French in appearance; "
    '"let\'s Frenchify the restaurant and charge more money"; "they won 3 games"\n'
)


def _write(root: Path, files: dict) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for name in DATA_FILES:
        (root / name).write_text(HEADER + files.get(name, ""), encoding="latin-1")
    return root


def test_examples_are_the_quoted_parts_of_glosses(tmp_path: Path) -> None:
    wn = _write(tmp_path / "wn", {"data.noun": NOUN, "data.verb": VERB})
    examples = read_usage_examples(wn)
    # file order noun, verb; the header line and the example-less cat gloss give nothing
    assert examples == [
        "the entity & its parts",
        "an entity",
        "the dog barked all night",
        "dogs, unlike cats, bark",
        "let's Frenchify the restaurant and charge more money",
        "they won 3 games",
    ]


def test_sentences_are_normalised_and_rejections_counted(tmp_path: Path) -> None:
    wn = _write(tmp_path / "wn", {"data.noun": NOUN, "data.verb": VERB})
    rejected: dict = {}
    texts = [s.text for s in iter_wordnet_sentences(wn, 3, 16, rejected)]
    assert texts == [
        "THE DOG BARKED ALL NIGHT",
        "DOGS UNLIKE CATS BARK",
        "LET'S FRENCHIFY THE RESTAURANT AND CHARGE MORE MONEY",
    ]
    assert rejected == {"symbol": 1, "too-short": 1, "digit": 1}


def test_missing_data_file_names_it_and_the_package(tmp_path: Path) -> None:
    wn = _write(tmp_path / "wn", {"data.noun": NOUN})
    (wn / "data.adv").unlink()
    with pytest.raises(FileNotFoundError, match=r"data\.adv.*wordnet-base"):
        read_usage_examples(wn)


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("general_text", "wikipedia", "general_text must be one of"),
        ("general_sentences", 0, "general_sentences must be positive"),
    ],
)
def test_config_rejects_bad_general_text_settings(field, value, message) -> None:
    with pytest.raises(ValueError, match=message):
        CorpusConfig(**{field: value}).validate()


@pytest.mark.skipif(not WORDNET_DIR.is_dir(), reason="needs the Debian package wordnet-base")
def test_installed_wordnet_gives_tens_of_thousands_of_sentences() -> None:
    sentences = list(iter_wordnet_sentences())
    assert len(sentences) > 30000
    assert all(3 <= len(s.words) <= 16 for s in sentences)
