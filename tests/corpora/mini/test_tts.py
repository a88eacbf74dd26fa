"""Tests for espnet_lowrank.corpora.mini.tts (needs the espeak-ng program)."""

from __future__ import annotations

import shutil
import wave
from pathlib import Path

import numpy as np
import pytest

from espnet_lowrank.corpora.mini.tts import (
    CLEAN,
    ESPEAK_RATE,
    TARGET_RATE,
    Speaker,
    SynthJob,
    degrade,
    find_spelled_words,
    render,
    render_all,
    run_espeak,
    utterance_rng,
)

pytestmark = pytest.mark.skipif(
    shutil.which("espeak-ng") is None, reason="espeak-ng is not installed"
)

SPK = Speaker(voice="en-us", variant="f2", pitch=50, rate=170, code="us")


def test_spelled_words_flagged() -> None:
    words = ["HELLO", "IBM", "WHENEVER", "TV", "MR", "DON'T", "VI", "NASA", "A"]
    assert set(find_spelled_words(words)) == {"IBM", "TV", "MR", "VI"}


def test_spelled_words_survive_unaligned_trace() -> None:
    # "wherever" is rewritten by espeak-ng ("Replace:") and must not derail
    words = ["ANYWHERE", "WHEREVER", "OK", "HOUSE"]
    assert find_spelled_words(words) == ["OK"]


def test_text_goes_through_stdin_not_options(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # on the command line "-w nothing" would write a WAV file named "nothing"
    monkeypatch.chdir(tmp_path)
    samples, phonemes = run_espeak("-w nothing here.", SPK)
    assert samples.dtype == np.int16 and samples.size > ESPEAK_RATE // 4
    assert "n'VTIN" in phonemes
    assert not (tmp_path / "nothing").exists()


def test_speaker_validation_names_bad_field() -> None:
    with pytest.raises(ValueError, match="en-xx"):
        Speaker("en-xx", "", 50, 160, "xx").validate()
    with pytest.raises(ValueError, match="nosuchvariant"):
        Speaker("en", "nosuchvariant", 50, 160, "gb").validate()
    with pytest.raises(ValueError, match="pitch"):
        Speaker("en", "", 120, 160, "gb").validate()
    Speaker("en-gb-x-rp", "klatt", 50, 160, "rp").validate()


def test_degrade_rate_level_and_snr() -> None:
    t = np.arange(ESPEAK_RATE) / ESPEAK_RATE
    clean = (8000 * np.sin(2 * np.pi * 220 * t)).astype(np.int16)
    y, snr = degrade(clean, np.random.default_rng(0), (20.0, 20.0))
    assert y.dtype == np.int16 and y.size == TARGET_RATE
    assert snr == 20.0
    # measured SNR against the resampled clean signal is close to the target
    x, _ = degrade(clean, np.random.default_rng(0), (200.0, 200.0))
    noise = y.astype(float) - x.astype(float)
    measured = 10 * np.log10(np.mean(x.astype(float) ** 2) / np.mean(noise**2))
    assert abs(measured - 20.0) < 1.0


def test_degrade_clean_keeps_the_level_and_adds_no_noise() -> None:
    t = np.arange(ESPEAK_RATE) / ESPEAK_RATE
    tone = (8000 * np.sin(2 * np.pi * 220 * t)).astype(np.int16)
    x, snr = degrade(tone, np.random.default_rng(5), (CLEAN, CLEAN))
    assert snr == CLEAN
    y, _ = degrade(tone, np.random.default_rng(5), (20.0, 20.0))  # same level draw, 20 dB
    noise = y.astype(float) - x.astype(float)
    speech = np.abs(x) > 0.01 * np.abs(x).max()  # degrade's SNR is against these samples
    assert abs(10 * np.log10(np.mean(x[speech].astype(float) ** 2) / np.mean(noise**2)) - 20) < 0.1
    again, _ = degrade(tone, np.random.default_rng(6), (CLEAN, CLEAN))
    assert not np.array_equal(x, again)  # the level is still drawn


def test_utterance_rng_depends_on_seed_and_id_only() -> None:
    a = utterance_rng(1, "u1").random(3)
    assert np.array_equal(a, utterance_rng(1, "u1").random(3))
    assert not np.array_equal(a, utterance_rng(2, "u1").random(3))
    assert not np.array_equal(a, utterance_rng(1, "u2").random(3))


def test_render_writes_16k_mono_int16_wav(tmp_path: Path) -> None:
    text = "the quick brown fox jumps over the lazy dog."
    job = SynthJob("u1", text, SPK, str(tmp_path / "a" / "u1.wav"), 1, 20.0, 30.0)
    res = render(job)
    with wave.open(job.wav_path, "rb") as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (
            TARGET_RATE,
            1,
            2,
        )
        data = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    assert data.size == res.num_samples
    seconds = data.size / TARGET_RATE
    assert 1.5 < seconds < 6.0  # nine words at 170 wpm, with pauses
    assert np.sqrt(np.mean(data.astype(float) ** 2)) > 300  # not silent
    assert 20.0 <= res.snr <= 30.0


def test_render_all_parallel_matches_serial(tmp_path: Path) -> None:
    texts = ["one small step.", "a giant leap for all.", "good night, moon."]
    jobs = {
        d: [
            SynthJob(f"u{i}", t, SPK, str(tmp_path / d / f"u{i}.wav"), 3, 10, 20)
            for i, t in enumerate(texts)
        ]
        for d in ("serial", "parallel")
    }
    r1 = render_all(jobs["serial"], nj=1)
    r2 = render_all(jobs["parallel"], nj=2)
    assert sorted(r1) == sorted(r2) == ["u0", "u1", "u2"]
    for i in range(len(texts)):
        a = (tmp_path / "serial" / f"u{i}.wav").read_bytes()
        b = (tmp_path / "parallel" / f"u{i}.wav").read_bytes()
        assert a == b
