"""Tests for espnet_lowrank.corpora.mini.phone_times (libespeak-ng via ctypes)."""

from __future__ import annotations

import shutil

import pytest

from espnet_lowrank.corpora.mini.phone_times import phone_times
from espnet_lowrank.corpora.mini.tts import ESPEAK_RATE, Speaker, run_espeak

pytestmark = pytest.mark.skipif(
    shutil.which("espeak-ng") is None, reason="espeak-ng is not installed"
)
TEXT = "well, she said, don't look back ever."


@pytest.mark.parametrize(
    "spk",
    [
        Speaker("en-us", "f2", 50, 165, "us"),
        Speaker("en-029", "klatt", 70, 150, "cb"),
        Speaker("en-gb-scotland", "", 30, 180, "sc"),
    ],
)
def test_times_cover_the_cli_audio(spk: Speaker) -> None:
    times = phone_times(TEXT, spk)
    samples, _ = run_espeak(TEXT, spk)
    audio = samples.size / ESPEAK_RATE
    assert times[0].start == 0.0
    for a, b in zip(times, times[1:]):
        assert a.end == b.start and a.end > a.start  # contiguous, positive
    # the command line pads some silence after the last phoneme, no more
    assert audio - 0.6 < times[-1].end <= audio
    phones = [t.phone for t in times]
    assert "S" in phones and "_:" in phones  # "she" and the comma pause
    assert phone_times(TEXT, spk) == times  # deterministic


def test_faster_rate_shorter_phones() -> None:
    slow = phone_times(TEXT, Speaker("en", "m3", 50, 150, "gb"))
    fast = phone_times(TEXT, Speaker("en", "m3", 50, 180, "gb"))
    assert [t.phone for t in slow] == [t.phone for t in fast]
    assert fast[-1].end < slow[-1].end


def test_unknown_voice_is_an_error() -> None:
    with pytest.raises(RuntimeError, match="no voice"):
        phone_times(TEXT, Speaker("xx-nope", "", 50, 160, "xx"))
