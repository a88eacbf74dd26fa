import numpy as np
import pytest

from espnet_lowrank.video.frame_rate import resample_indices


def test_same_rate_is_identity():
    times = np.arange(30) / 25
    assert resample_indices(times, 1.2, 25).tolist() == list(range(30))


def test_higher_rate_drops_frames():
    times = np.arange(50) / 50  # 1 s at 50 fps
    idx = resample_indices(times, 1.0, 25)
    assert idx.tolist() == list(range(0, 50, 2))


def test_lower_rate_repeats_frames():
    times = np.arange(20) / 20  # 1 s at 20 fps
    idx = resample_indices(times, 1.0, 25)
    assert len(idx) == 25
    assert np.all(np.diff(idx) >= 0)
    assert set(idx.tolist()) == set(range(20))  # every source frame used
    # each chosen frame is the nearest one in time
    targets = np.arange(25) / 25
    assert np.all(np.abs(times[idx] - targets) <= 0.5 / 20 + 1e-9)


def test_thirty_fps_to_twenty_five():
    times = np.arange(36) / 30  # 1.2 s
    idx = resample_indices(times, 1.2, 25)
    assert len(idx) == 30
    assert len(set(idx.tolist())) == 30  # drops 6 frames, repeats none


def test_duration_longer_than_frames_holds_last_frame():
    idx = resample_indices(np.arange(10) / 25, 0.6, 25)
    assert len(idx) == 15 and idx[-5:].tolist() == [9] * 5


@pytest.mark.parametrize(
    "times,duration,fps",
    [
        (np.array([]), 1.0, 25),
        (np.array([0.0, 0.2, 0.1]), 1.0, 25),
        (np.arange(3), 1.0, 0),
    ],
)
def test_bad_input_is_an_error(times, duration, fps):
    with pytest.raises(ValueError):
        resample_indices(times, duration, fps)
