"""Tests for espnet_lowrank.corpora.mini.text: fortune parsing and sentence filters."""

from __future__ import annotations

from pathlib import Path

import pytest

from espnet_lowrank.corpora.mini.text import (
    DOMAINS,
    FORTUNE_DIR,
    RejectedSentence,
    normalise_sentence,
    read_fortune_entries,
    split_sentences,
    unique_sentences,
)


def _reason(raw: str) -> str:
    with pytest.raises(RejectedSentence) as err:
        normalise_sentence(raw)
    return err.value.reason


def test_read_entries_and_drop_attribution(tmp_path: Path) -> None:
    f = tmp_path / "topic"
    f.write_text(
        "First entry here.\n\t\t-- Somebody Famous\n%\n%\nSecond entry, over\ntwo lines!\n%\n"
    )
    entries = read_fortune_entries(f)
    assert len(entries) == 2
    assert split_sentences(entries[0]) == ["First entry here."]
    assert split_sentences(entries[1]) == ["Second entry, over two lines!"]


def test_missing_fortune_file_named(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="nosuch"):
        read_fortune_entries(tmp_path / "nosuch")


def test_split_keeps_abbreviation_inside_sentence() -> None:
    parts = split_sentences("Mr. Smith went home. He slept well? Yes!")
    assert parts == ["Mr. Smith went home.", "He slept well?", "Yes!"]
    assert _reason(parts[0]) == "abbreviation"


def test_normalise_words_and_spoken_form() -> None:
    s = normalise_sentence('"Well," she said, "don\'t look back -- ever."')
    assert s.words == ("WELL", "SHE", "SAID", "DON'T", "LOOK", "BACK", "EVER")
    assert s.text == "WELL SHE SAID DON'T LOOK BACK EVER"
    assert s.spoken == "well, she said, don't look back ever."
    # the spoken form has exactly the transcript's words
    assert [w.strip(",.?!").upper() for w in s.spoken.split()] == list(s.words)


def test_hyphen_splits_words_and_question_kept() -> None:
    s = normalise_sentence("Is it a well-known fact, I wonder?")
    assert s.words == ("IS", "IT", "A", "WELL", "KNOWN", "FACT", "I", "WONDER")
    assert s.spoken.endswith("wonder?")
    assert " I " in s.spoken  # the pronoun stays upper case


@pytest.mark.parametrize(
    "raw, reason",
    [
        ("The IBM machine was slow today.", "acronym"),
        ("We met Dr. Watson at noon.", "abbreviation"),
        ("Bring apples, pears, etc. to the party.", "abbreviation"),
        ("The U.S. is a big country.", "abbreviation"),
        ("-- the end of all things", "leading-dash"),
        ("-v is not an option here", "leading-dash"),
        ("I have 3 apples today.", "digit"),
        ("Caf\u00e9 society is dull.", "non-ascii"),
        ("Send mail to root@host now.", "symbol"),
        ("Plan B is always the best.", "lone-letter"),
        ("A: A lot of things, really.", "lone-letter"),
        ("Go now.", "too-short"),
        (" ".join(["word"] * 17) + ".", "too-long"),
        ("This is an example.of bad text.", "abbreviation"),
    ],
)
def test_rejections(raw: str, reason: str) -> None:
    assert _reason(raw) == reason


def test_a_and_i_are_not_lone_letters() -> None:
    assert normalise_sentence("I saw a cat.").words == ("I", "SAW", "A", "CAT")


def test_unique_sentences_keeps_first() -> None:
    a = normalise_sentence("One two three.")
    b = normalise_sentence("One, two three!")
    c = normalise_sentence("Four five six.")
    assert unique_sentences([a, b, c]) == [a, c]


def test_domains_are_disjoint_and_installed() -> None:
    assert not set(DOMAINS["A"]) & set(DOMAINS["B"])
    if not FORTUNE_DIR.is_dir():
        pytest.skip("Debian package 'fortunes' is not installed")
    for topic in (*DOMAINS["A"], *DOMAINS["B"]):
        assert (FORTUNE_DIR / topic).is_file(), topic
