import numpy as np
import pytest

from espnet_lowrank.video.errors import MediaError
from espnet_lowrank.video.mouth import (
    MouthCropConfig,
    mouth_rois_from_landmarks,
    mouth_rois_precropped,
)
from espnet_lowrank.video.synthetic import square_frames, write_clip


def _landmarks(centres):
    lm = np.zeros((len(centres), 68, 2))
    lm[:, 48:68] = np.asarray(centres, float)[:, None, :]
    return lm


def _bright_centre(rois):
    """(x, y) of the brightness-weighted centre of each ROI."""
    w = (rois > 128).astype(float)
    ys, xs = np.mgrid[: rois.shape[1], : rois.shape[2]]
    total = w.sum(axis=(1, 2))
    return np.stack([(w * xs).sum(axis=(1, 2)) / total, (w * ys).sum(axis=(1, 2)) / total], 1)


def test_crop_follows_the_landmarks(tmp_path):
    # square moving across a 160x128 frame; landmarks at the square
    centres = [(40 + 3 * i, 90 - i) for i in range(30)]
    write_clip(tmp_path / "a.mp4", square_frames(centres, size=(160, 128)), audio_rate=None)
    rois = mouth_rois_from_landmarks(
        tmp_path / "a.mp4", _landmarks(centres), MouthCropConfig(smooth_window=1)
    )
    assert rois.shape == (30, 88, 88) and rois.dtype == np.uint8
    np.testing.assert_allclose(_bright_centre(rois), np.full((30, 2), 43.5), atol=1.0)
    # landmarks elsewhere -> the square is not in the middle of the crop
    off = mouth_rois_from_landmarks(
        tmp_path / "a.mp4",
        _landmarks([(x + 20, y) for x, y in centres]),
        MouthCropConfig(smooth_window=1),
    )
    assert np.all(np.abs(_bright_centre(off)[:, 0] - 23.5) < 1.5)


def test_missing_landmark_frames_are_interpolated(tmp_path):
    centres = [(60, 64)] * 25
    write_clip(tmp_path / "a.mp4", square_frames(centres, size=(128, 128)), audio_rate=None)
    lm = _landmarks(centres)
    lm[5:15] = np.nan
    rois = mouth_rois_from_landmarks(tmp_path / "a.mp4", lm)
    np.testing.assert_allclose(_bright_centre(rois), np.full((25, 2), 43.5), atol=1.0)


def test_frame_count_mismatch_and_no_detections(tmp_path):
    centres = [(60, 64)] * 10
    write_clip(tmp_path / "a.mp4", square_frames(centres, size=(128, 128)), audio_rate=None)
    with pytest.raises(MediaError, match="more frames than its landmarks"):
        mouth_rois_from_landmarks(tmp_path / "a.mp4", _landmarks(centres[:8]))
    with pytest.raises(MediaError, match="12"):
        mouth_rois_from_landmarks(tmp_path / "a.mp4", _landmarks(centres + centres[:2]))
    with pytest.raises(MediaError, match="no frame has landmarks"):
        mouth_rois_from_landmarks(tmp_path / "a.mp4", np.full((10, 68, 2), np.nan))


def test_thirty_fps_clip_becomes_twenty_five(tmp_path):
    centres = [(60, 64)] * 36  # 1.2 s at 30 fps
    write_clip(
        tmp_path / "a.mp4",
        square_frames(centres, size=(128, 128)),
        fps=30,
        audio_rate=None,
    )
    rois = mouth_rois_from_landmarks(tmp_path / "a.mp4", _landmarks(centres))
    assert rois.shape == (30, 88, 88)


@pytest.mark.parametrize("size", [(96, 96), (120, 100)])
def test_precropped_is_resized_and_centre_cropped(tmp_path, size):
    w, h = size
    frames = square_frames([(w / 2, h / 2)] * 20, size=size, side=40)
    write_clip(tmp_path / "a.mp4", frames, audio_rate=None)
    rois = mouth_rois_precropped(tmp_path / "a.mp4")
    assert rois.shape == (20, 88, 88) and rois.dtype == np.uint8
    np.testing.assert_allclose(_bright_centre(rois), np.full((20, 2), 43.5), atol=1.0)
    # square of side 40 scaled by 96 / min(w, h)
    bright = (rois[0] > 128).sum(axis=1).max()
    assert abs(bright - 40 * 96 / min(w, h)) <= 2


def test_config_validation():
    with pytest.raises(ValueError):
        MouthCropConfig(crop_size=80, out_size=88)
