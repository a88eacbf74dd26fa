import numpy as np
import pytest

from espnet_lowrank.video.array_io import (
    VideoNpyScpReader,
    load_video_array,
    load_video_tensor,
    save_video_array,
)


def test_roundtrip_and_reader(tmp_path):
    arr = np.random.default_rng(0).integers(0, 256, (7, 88, 88), dtype=np.uint8)
    save_video_array(tmp_path / "v" / "u1.npy", arr)
    np.testing.assert_array_equal(load_video_array(tmp_path / "v" / "u1.npy"), arr)
    t = load_video_tensor(tmp_path / "v" / "u1.npy")
    assert t.dtype.is_floating_point and tuple(t.shape) == (7, 88, 88)
    np.testing.assert_allclose(t.numpy() * 255, arr, atol=1e-3)
    scp = tmp_path / "video.scp"
    scp.write_text(f"u1 {tmp_path / 'v' / 'u1.npy'}\n")
    reader = VideoNpyScpReader(scp)
    assert list(reader) == ["u1"] and len(reader) == 1
    x = reader["u1"]
    assert x.dtype == np.float32 and 0.0 <= x.min() and x.max() <= 1.0
    np.testing.assert_allclose(x * 255, arr, atol=1e-3)


def test_bad_arrays_and_scp(tmp_path):
    with pytest.raises(ValueError, match="uint8"):
        save_video_array(tmp_path / "a.npy", np.zeros((3, 8, 8), np.float32))
    np.save(tmp_path / "f.npy", np.zeros((3, 8), np.uint8))
    with pytest.raises(ValueError, match="f.npy"):
        load_video_array(tmp_path / "f.npy")
    (tmp_path / "v.scp").write_text("u1 a.npy\nu1 b.npy\n")
    with pytest.raises(ValueError, match="v.scp:2: duplicate"):
        VideoNpyScpReader(tmp_path / "v.scp")
