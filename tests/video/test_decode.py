import os

import numpy as np
import pytest

from espnet_lowrank.video.decode import decode_gray, probe_video_size
from espnet_lowrank.video.errors import MediaError
from espnet_lowrank.video.synthetic import square_frames, write_clip


def test_decodes_frames_times_and_duration(tmp_path):
    centres = [(20 + 2 * i, 30) for i in range(30)]
    write_clip(tmp_path / "a.mp4", square_frames(centres, size=(96, 64)), audio_rate=None)
    video = decode_gray(tmp_path / "a.mp4")
    assert video.frames.shape == (30, 64, 96) and video.frames.dtype == np.uint8
    np.testing.assert_allclose(video.times, np.arange(30) / 25, atol=1e-6)
    assert video.duration == pytest.approx(1.2, abs=1e-6)
    # the bright square moves with the centres (lossy codec: compare brightness)
    for i in (0, 15, 29):
        x, y = centres[i]
        assert video.frames[i, y, x] > 200 and video.frames[i, y, (x + 40) % 96] < 60
    assert probe_video_size(tmp_path / "a.mp4") == (96, 64)


def test_transform_and_resize(tmp_path):
    write_clip(tmp_path / "a.mp4", square_frames([(48, 48)] * 5), audio_rate=None)
    seen = []

    def t(i, f):
        seen.append(i)
        return f[:4, :4]

    video = decode_gray(tmp_path / "a.mp4", transform=t)
    assert seen == [0, 1, 2, 3, 4] and video.frames.shape == (5, 4, 4)
    resized = decode_gray(tmp_path / "a.mp4", size=(40, 50))
    assert resized.frames.shape == (5, 50, 40)
    assert (resized.width, resized.height) == (96, 96)  # source size


def test_corrupt_and_audio_only_files(tmp_path):
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"\x00\x01not a video" * 50)
    with pytest.raises(MediaError, match="bad.mp4: unreadable"):
        decode_gray(bad)
    import av

    with av.open(str(tmp_path / "tone.m4a"), "w") as c:
        s = c.add_stream("aac", rate=16000)
        s.layout = "mono"
        frame = av.AudioFrame.from_ndarray(
            np.zeros((1, 1024), np.float32), format="flt", layout="mono"
        )
        frame.sample_rate, frame.pts = 16000, 0
        for p in list(s.encode(frame)) + list(s.encode()):
            c.mux(p)
    with pytest.raises(MediaError, match="no video stream"):
        decode_gray(tmp_path / "tone.m4a")


def test_decoding_leaves_no_threads_behind(tmp_path):
    # FFmpeg slice threads that outlive a decode make later fork()s (nj > 1) hang.
    write_clip(tmp_path / "a.mp4", square_frames([(48, 48)] * 10), audio_rate=None)
    before = len(os.listdir("/proc/self/task"))
    for _ in range(3):
        decode_gray(tmp_path / "a.mp4")
    assert len(os.listdir("/proc/self/task")) == before
