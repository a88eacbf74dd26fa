import numpy as np
import pytest

from espnet_lowrank.video.landmarks import (
    interpolate_missing,
    load_landmarks,
    mouth_centres,
    mouth_track,
    smooth,
)


def _face(n, mouth_xy, other_xy=(0.0, 0.0)):
    lm = np.tile(np.asarray(other_xy, float), (n, 68, 1))
    lm[:, 48:68] = mouth_xy
    return lm


def test_mouth_centre_uses_only_mouth_points():
    lm = _face(3, (40.0, 70.0), other_xy=(500.0, -300.0))
    lm[:, 48] = (38.0, 70.0)
    lm[:, 54] = (42.0, 70.0)
    np.testing.assert_allclose(mouth_centres(lm), [[40.0, 70.0]] * 3)


def test_npy_formats(tmp_path):
    np.save(tmp_path / "a.npy", _face(4, (10.0, 20.0)))
    np.save(tmp_path / "b.npy", np.full((4, 2), 5.0))
    assert load_landmarks(tmp_path / "a.npy").shape == (4, 68, 2)
    assert load_landmarks(tmp_path / "b.npy").shape == (4, 1, 2)
    np.save(tmp_path / "c.npy", np.zeros((4, 5, 2)))
    with pytest.raises(ValueError, match="c.npy"):
        load_landmarks(tmp_path / "c.npy")


def test_txt_format_with_missing_frames(tmp_path):
    face = " ".join(["1 2"] * 48 + ["30 40"] * 20)
    p = tmp_path / "clip.txt"
    p.write_text(f"{face}\n\n-\n{face}\n")
    lm = load_landmarks(p)
    assert lm.shape == (4, 68, 2)
    centres = mouth_centres(lm)
    assert np.isnan(centres[1:3]).all()
    np.testing.assert_allclose(centres[[0, 3]], [[30, 40], [30, 40]])
    p.write_text("1 2 3\n")
    with pytest.raises(ValueError, match=r"clip.txt:1"):
        load_landmarks(p)


def test_interpolation_is_linear_and_holds_edges():
    track = np.array([[np.nan, np.nan], [0, 0], [np.nan, np.nan], [4, 8], [np.nan, np.nan]])
    np.testing.assert_allclose(interpolate_missing(track), [[0, 0], [0, 0], [2, 4], [4, 8], [4, 8]])
    with pytest.raises(ValueError, match="no frame"):
        interpolate_missing(np.full((3, 2), np.nan))


def test_smoothing_keeps_constant_and_linear_interior():
    const = np.full((20, 2), 7.0)
    np.testing.assert_allclose(smooth(const, 12), const)
    line = np.stack([np.arange(40.0), 2 * np.arange(40.0)], axis=1)
    out = smooth(line, 5)  # odd window: centred, exact on a line away from the ends
    np.testing.assert_allclose(out[2:-2], line[2:-2])
    noisy = line + np.random.default_rng(0).normal(0, 3, line.shape)
    assert np.abs(smooth(noisy, 9) - line)[5:-5].mean() < np.abs(noisy - line)[5:-5].mean()


def test_mouth_track_fills_and_smooths():
    lm = _face(10, (50.0, 60.0))
    lm[3:6] = np.nan
    np.testing.assert_allclose(mouth_track(lm, 4), np.tile([50.0, 60.0], (10, 1)))
