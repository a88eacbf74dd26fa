import numpy as np
import pytest

from espnet_lowrank.video.crop import centre_crop, crop_around, shorter_side_size


def test_crop_is_centred_on_the_point():
    frame = np.zeros((100, 120), np.uint8)
    frame[30, 80] = 255  # row 30, column 80 -> (x, y) = (80, 30)
    out = crop_around(frame, (80, 30), 16)
    assert out.shape == (16, 16)
    assert out[8, 8] == 255 and out.sum() == 255


def test_crop_outside_the_frame_repeats_edges():
    frame = np.arange(100, dtype=np.uint8).reshape(10, 10)
    out = crop_around(frame, (0, 0), 6)
    assert out.shape == (6, 6)
    assert (out[:3, :3] == frame[0, 0]).all()
    np.testing.assert_array_equal(out[3:, 3:], frame[:3, :3])


def test_centre_crop():
    frames = np.arange(2 * 6 * 8).reshape(2, 6, 8)
    out = centre_crop(frames, 4)
    np.testing.assert_array_equal(out, frames[:, 1:5, 2:6])
    with pytest.raises(ValueError):
        centre_crop(frames, 7)


def test_shorter_side_size():
    assert shorter_side_size(160, 120, 96) == (128, 96)
    assert shorter_side_size(88, 88, 96) == (96, 96)
