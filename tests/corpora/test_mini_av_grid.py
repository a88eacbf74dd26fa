"""The GRID-style grammar of the audio-visual mini corpus, and its split plan."""

import shutil
import subprocess

import numpy as np
import pytest

from espnet_lowrank.corpora.mini_av import grid
from espnet_lowrank.corpora.mini_av.corpus import AVCorpusConfig, plan_splits

needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="needs espeak-ng")


def test_grammar_has_51_words_and_64000_sentences():
    assert grid.NUM_SENTENCES == 64000
    vocab = grid.vocabulary()
    assert len(vocab) == 51 == len(set(vocab))
    assert "W" not in vocab and "A" in vocab and "ZERO" in vocab


@pytest.mark.parametrize("index", [0, 1, 39, 40, 12345, 63999])
def test_sentence_index_round_trips(index):
    words = grid.sentence_words(index)
    assert len(words) == 6
    assert grid.sentence_index(words) == index
    assert grid.sentence_index([w.upper() for w in words]) == index
    for word, (_, options) in zip(words, grid.SLOTS):
        assert word in options


def test_sentence_order_is_mixed_radix():
    assert grid.sentence_words(0) == ("bin", "blue", "at", "a", "zero", "again")
    assert grid.sentence_words(1) == ("bin", "blue", "at", "a", "zero", "now")
    assert grid.sentence_words(4) == ("bin", "blue", "at", "a", "one", "again")
    assert grid.sentence_words(63999) == ("set", "white", "with", "z", "nine", "soon")


def test_bad_index_or_word_is_a_clear_error():
    with pytest.raises(ValueError, match="0..63999"):
        grid.sentence_words(64000)
    with pytest.raises(ValueError, match="'w' is not a letter word"):
        grid.sentence_index(["bin", "blue", "at", "w", "two", "now"])
    with pytest.raises(ValueError, match="has 6 words"):
        grid.sentence_index(["bin", "blue"])


def test_letter_a_is_spelled_for_the_synthesiser_not_in_the_transcript():
    s = grid.make_sentence(grid.sentence_index(["lay", "red", "by", "a", "five", "please"]))
    assert s.text == "LAY RED BY A FIVE PLEASE"
    assert s.spoken == "lay red by eigh five please"
    f = grid.make_sentence(grid.sentence_index(["set", "green", "in", "f", "two", "soon"]))
    assert f.spoken == "set green in f two soon" and f.words[3] == "F"


def test_drawn_sentence_sets_are_disjoint_and_seeded():
    a = grid.draw_sentence_indices(np.random.default_rng(5), (30, 20, 500))
    b = grid.draw_sentence_indices(np.random.default_rng(5), (30, 20, 500))
    assert a == b and [len(x) for x in a] == [30, 20, 500]
    assert len(set(a[0]) | set(a[1]) | set(a[2])) == 550
    c = grid.draw_sentence_indices(np.random.default_rng(6), (30, 20, 500))
    assert c != a
    with pytest.raises(ValueError, match="64,000"):
        grid.draw_sentence_indices(np.random.default_rng(0), (64000, 1))


@needs_espeak
def test_espeak_says_every_letter_by_its_name():
    """What espeak-ng (en-us) says for each letter's spoken form after "at" (as in the corpus)."""
    clauses = "".join(f"at {grid.spoken_form(c)} two.\n" for c in grid.LETTERS)
    out = subprocess.run(["espeak-ng", "-v", "en-us", "-q", "-x", "--stdin"], input=clauses,
                         capture_output=True, text=True, check=True).stdout  # fmt: skip
    lines = [ln.split() for ln in out.splitlines() if ln.strip()]
    assert len(lines) == len(grid.LETTERS)
    for letter, words in zip(grid.LETTERS, lines):
        assert words[1] == grid.LETTER_PHONEMES[letter], (letter, words)
    assert "a#" not in out  # the article "a" (schwa) never appears


@needs_espeak
def test_every_accent_says_the_grammar_words_with_known_visemes():
    from espnet_lowrank.corpora.mini.phone_times import phone_times
    from espnet_lowrank.corpora.mini.tts import Speaker
    from espnet_lowrank.corpora.mini.voices import ACCENT_CODES, VoiceConfig
    from espnet_lowrank.corpora.mini_av.visemes import phoneme_shapes

    text = " ".join(grid.spoken_form(w) for _, words in grid.SLOTS for w in words)
    cfg = VoiceConfig()
    for voice in sorted(set(cfg.train_accents) | set(cfg.unseen_accents)):
        speaker = Speaker(voice=voice, variant="", pitch=50, rate=160, code=ACCENT_CODES[voice])
        phones = phone_times(text, speaker)
        assert len(phones) > 100, voice
        for ph in phones:
            phoneme_shapes(ph.phone)


@needs_espeak
def test_split_plan_keeps_text_disjoint_and_unseen_accents_apart():
    cfg = AVCorpusConfig(train_utts=300, test_sentences=40, dev_sentences=30)
    plans = plan_splits(cfg)
    texts = {s: {p.sentence.text for p in plans[s]} for s in plans}
    assert len(texts["train"]) == 300 and len(texts["test"]) == 40 and len(texts["dev"]) == 30
    assert not texts["train"] & texts["test"] and not texts["train"] & texts["dev"]
    assert not texts["dev"] & texts["test"] and texts["test_unseen"] == texts["test"]
    seen = {p.speaker.voice for s in ("train", "dev", "test") for p in plans[s]}
    unseen = {p.speaker.voice for p in plans["test_unseen"]}
    assert seen == set(cfg.voices.train_accents) and unseen == set(cfg.voices.unseen_accents)
    again = plan_splits(cfg)
    assert [p.utt_id for p in again["train"]] == [p.utt_id for p in plans["train"]]
    other = plan_splits(AVCorpusConfig(seed=2, train_utts=300, test_sentences=40,
                                       dev_sentences=30))  # fmt: skip
    assert [p.utt_id for p in other["test"]] != [p.utt_id for p in plans["test"]]


def test_bad_config_names_the_setting():
    with pytest.raises(ValueError, match="train_utts must be positive"):
        AVCorpusConfig(train_utts=0).validate()
    with pytest.raises(ValueError, match="snr range is empty"):
        AVCorpusConfig(snr_low=3.0, snr_high=-3.0).validate()
