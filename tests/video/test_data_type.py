import numpy as np
import pytest

from espnet_lowrank.video.array_io import VideoNpyScpReader, save_video_array
from espnet_lowrank.video.data_type import register_video_data_type


def test_espnet_dataset_loads_video_npy(tmp_path):
    from espnet2.train.dataset import DATA_TYPES, ESPnetDataset

    register_video_data_type()
    register_video_data_type()  # idempotent
    assert DATA_TYPES["video_npy"]["func"] is VideoNpyScpReader
    arr = np.full((4, 88, 88), 51, np.uint8)
    save_video_array(tmp_path / "u1.npy", arr)
    (tmp_path / "video.scp").write_text(f"u1 {tmp_path / 'u1.npy'}\n")
    dataset = ESPnetDataset([(str(tmp_path / "video.scp"), "video", "video_npy")])
    uid, data = dataset["u1"]
    assert uid == "u1" and data["video"].shape == (4, 88, 88)
    assert data["video"].dtype == np.float32
    np.testing.assert_allclose(data["video"], 0.2, atol=1e-6)


def test_names_that_espnet_would_shadow_are_refused():
    with pytest.raises(ValueError, match="npy"):
        register_video_data_type("npy_video")
    with pytest.raises(ValueError, match="already"):
        register_video_data_type("sound")
