"""Tests for espnet_lowrank.corpora.mini.voices."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from espnet_lowrank.corpora.mini.voices import (
    TRAIN_ACCENTS,
    UNSEEN_ACCENTS,
    VoiceConfig,
    draw_speakers,
)

pytestmark = pytest.mark.skipif(
    shutil.which("espeak-ng") is None, reason="espeak-ng is not installed"
)


def test_default_accents_disjoint_and_valid() -> None:
    assert not set(TRAIN_ACCENTS) & set(UNSEEN_ACCENTS)
    VoiceConfig().validate()


def test_overlapping_accents_rejected() -> None:
    cfg = VoiceConfig(train_accents=("en", "en-us"), unseen_accents=("en-us",))
    with pytest.raises(ValueError, match="en-us"):
        cfg.validate()


def test_unknown_accent_rejected() -> None:
    with pytest.raises(ValueError, match="en-zz"):
        VoiceConfig(unseen_accents=("en-zz",)).validate()


def test_draw_speakers_distinct_balanced_deterministic() -> None:
    cfg = VoiceConfig()
    a = draw_speakers(TRAIN_ACCENTS, 30, cfg, np.random.default_rng(0))
    b = draw_speakers(TRAIN_ACCENTS, 30, cfg, np.random.default_rng(0))
    assert a == b
    ids = [s.spk_id for s in a]
    assert len(set(ids)) == 30 and ids == sorted(ids)
    per_accent = {acc: sum(s.voice == acc for s in a) for acc in TRAIN_ACCENTS}
    assert set(per_accent.values()) == {6}
    # no speaker id is a prefix of another (keeps utt2spk/spk2utt sort orders equal)
    assert not any(x != y and y.startswith(x) for x in ids for y in ids)
    for s in a:
        assert cfg.pitches[0] <= s.pitch <= cfg.pitches[-1]
        assert s.rate in cfg.rates
