import pytest
import torch

from espnet_lowrank.avsr.frontends import (
    SAMPLES_PER_FRAME,
    ResNet1dAudioFrontend,
    ResNet2dVideoFrontend,
)
from espnet_lowrank.layers import LowRankLinear
from espnet_lowrank.rank_map import RankMapError

TINY = dict(output_size=8, channels=(4, 4, 8, 8), blocks=(1, 1, 1, 1))


def test_audio_is_25_frames_per_second_640_samples_per_frame():
    torch.manual_seed(0)
    fe = ResNet1dAudioFrontend(**TINY).eval()
    assert SAMPLES_PER_FRAME == 640
    lengths = torch.tensor([640 * 7, 640 * 3, 640 * 5 + 100, 640])
    x = torch.randn(4, int(lengths.max()))
    y, y_lens = fe(x, lengths)
    assert y.shape == (4, 7, 8)
    assert y_lens.tolist() == [7, 3, 5, 1]
    # one second of audio is 25 frames
    y, y_lens = fe(torch.randn(1, 16000), torch.tensor([16000]))
    assert y.shape[1] == 25 and y_lens.tolist() == [25]


def test_audio_output_lengths_formula_matches_the_convolutions():
    fe = ResNet1dAudioFrontend(**TINY).eval()
    for s in (640, 1279, 3199, 3333, 6400, 7041):
        y, y_lens = fe(torch.randn(1, s), torch.tensor([s]))
        assert y.shape[1] == int(y_lens) == int(fe.output_lengths(torch.tensor([s])))
        assert abs(int(y_lens) - s // 640) <= 1


def test_audio_normalisation_ignores_padding():
    torch.manual_seed(0)
    fe = ResNet1dAudioFrontend(**TINY).eval()
    x = torch.randn(1, 3200)
    padded = torch.cat([x, 100 * torch.ones(1, 1280)], dim=1)
    y1, _ = fe(x, torch.tensor([3200]))
    y2, _ = fe(padded, torch.tensor([3200]))
    # the padding is zeroed before the stem: the first frames (far from the end) agree
    torch.testing.assert_close(y1[:, :3], y2[:, :3], rtol=1e-4, atol=1e-5)


def test_video_keeps_frame_rate_and_sees_neighbours_only_through_the_3d_stem():
    torch.manual_seed(0)
    fe = ResNet2dVideoFrontend(**TINY).eval()
    x = torch.rand(2, 11, 88, 88)
    y, y_lens = fe(x, torch.tensor([11, 9]))
    assert y.shape == (2, 11, 8) and y_lens.tolist() == [11, 9]
    x2 = x.clone()
    x2[0, 5] = torch.rand(88, 88)
    y2, _ = fe(x2, torch.tensor([11, 9]))
    changed = (y2 - y).abs().amax(-1)[0] > 1e-6
    # temporal kernel 5: frame 5 reaches frames 3..7 and no others
    assert changed.tolist() == [t in range(3, 8) for t in range(11)]
    torch.testing.assert_close(y2[1], y[1])


def test_video_accepts_uint8_as_the_same_pixels_scaled():
    fe = ResNet2dVideoFrontend(**TINY).eval()
    frames = torch.randint(0, 256, (1, 4, 88, 88), dtype=torch.uint8)
    lengths = torch.tensor([4])
    torch.testing.assert_close(fe(frames, lengths)[0], fe(frames.float() / 255.0, lengths)[0])


def test_bad_shapes_are_clear_errors():
    with pytest.raises(ValueError, match=r"\(B, S\)"):
        ResNet1dAudioFrontend(**TINY)(torch.randn(1, 1, 640), torch.tensor([640]))
    with pytest.raises(ValueError, match=r"\(B, T, H, W\)"):
        ResNet2dVideoFrontend(**TINY)(torch.rand(4, 88, 88), torch.tensor([4]))
    with pytest.raises(ValueError, match="4 stages"):
        ResNet1dAudioFrontend(output_size=8, channels=(4, 8), blocks=(1, 1))


def test_projection_rank_map():
    fe = ResNet2dVideoFrontend(**TINY, rank_map={"groups": {"projection": 2}})
    assert isinstance(fe.proj, LowRankLinear) and fe.proj.rank == 2
    assert fe.rank_map_config()["resolved"] == {"proj": 2}
    dense = ResNet1dAudioFrontend(**TINY)
    assert type(dense.proj) is torch.nn.Linear
    with pytest.raises(RankMapError, match="audio_frontend_conf.rank_map: presets and rank-map"):
        ResNet1dAudioFrontend(**TINY, rank_map="lr_sms")
    with pytest.raises(RankMapError, match="unknown group"):
        ResNet1dAudioFrontend(**TINY, rank_map={"groups": {"attention": 0.5}})
