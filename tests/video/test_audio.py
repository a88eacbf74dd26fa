import wave

import numpy as np
import pytest

from espnet_lowrank.video.audio import decode_audio, extract_audio, wav_duration
from espnet_lowrank.video.errors import MediaError
from espnet_lowrank.video.synthetic import square_frames, write_clip


def _dominant_hz(samples, rate):
    spectrum = np.abs(np.fft.rfft(samples.astype(np.float64)))
    return np.argmax(spectrum) * rate / len(samples)


@pytest.mark.parametrize("rate,codec", [(16000, "aac"), (44100, "aac"), (48000, "pcm_s16le")])
def test_extract_16k_mono_with_the_right_duration_and_pitch(tmp_path, rate, codec):
    duration = write_clip(
        tmp_path / "a.mp4",
        square_frames([(48, 48)] * 30),
        audio_rate=rate,
        tone_hz=440.0,
        audio_codec=codec,
    )
    out = tmp_path / "wav" / "a.wav"
    got = extract_audio(tmp_path / "a.mp4", out)
    assert abs(got - duration) <= 1 / 25
    with wave.open(str(out)) as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (16000, 1, 2)
        samples = np.frombuffer(w.readframes(w.getnframes()), "<i2")
    assert wav_duration(out) == pytest.approx(got)
    assert abs(_dominant_hz(samples, 16000) - 440.0) < 2.0
    # tone amplitude 0.3 -> RMS 0.3 / sqrt(2) (middle part: codec onsets aside)
    middle = samples[len(samples) // 4 : -len(samples) // 4].astype(np.float64)
    rms = np.sqrt(np.mean(middle**2)) / 32768
    assert rms == pytest.approx(0.3 / np.sqrt(2), rel=0.1)
    assert not list(out.parent.glob("*.tmp*"))


def test_no_audio_track_and_corrupt_file(tmp_path):
    write_clip(tmp_path / "silent.mp4", square_frames([(48, 48)] * 5), audio_rate=None)
    with pytest.raises(MediaError, match="silent.mp4: no audio track"):
        decode_audio(tmp_path / "silent.mp4")
    (tmp_path / "bad.mp4").write_bytes(b"garbage" * 100)
    with pytest.raises(MediaError, match="unreadable"):
        extract_audio(tmp_path / "bad.mp4", tmp_path / "bad.wav")
    assert not (tmp_path / "bad.wav").exists()
