"""ResNet-18 front-ends that turn raw audio and mouth crops into 25 frames/s features.

Both follow the authors' earlier public AVSR models (LR-SMS paper, section 1 of
PAPERS.md); widths and depths are arguments so tests can build tiny ones.

Audio, :class:`ResNet1dAudioFrontend`: raw 16 kHz waveform ``(B, S)`` ->
``(B, T_a, output_size)``. A Conv1d stem (kernel 80, stride 4) to 4 kHz, four
stages of basic residual blocks with strides 1, 2, 2, 2 (to 500 Hz), then an
average pool of 20 frames: **640 samples per output frame** (40 ms, 25 frames/s).
For ``S`` a multiple of 640, ``T_a = S / 640`` exactly; in general
:meth:`ResNet1dAudioFrontend.output_lengths` gives the count (``floor(S/640)``
up to one frame).

Video, :class:`ResNet2dVideoFrontend`: mouth crops ``(B, T, H, W)`` (88x88
grayscale, float in ``[0, 1]`` as the ``video_npy`` loader returns them, or
uint8) -> ``(B, T, output_size)``, one feature per frame. A Conv3d stem with a
5x7x7 kernel (time x height x width; stride 1 in time, so 25 fps stay 25 fps),
spatial max pool, then a 2-D ResNet (strides 1, 2, 2, 2) applied to each frame and
global average pooling.

Each front-end ends with a linear projection ``proj`` (group ``projection`` of
its rank map, see :mod:`espnet_lowrank.avsr.rank`).
"""

from __future__ import annotations

from typing import Any, Mapping, Optional, Sequence, Tuple

import torch
from torch import nn

from espnet_lowrank.avsr.rank import AVRankMixin
from espnet_lowrank.rank_map import RankSchema

SAMPLES_PER_FRAME = 640  # 16 kHz / 25 fps
AUDIO_STEM_STRIDE = 4
AUDIO_POOL = 20

PROJECTION_SCHEMA_AUDIO = RankSchema(
    part="audio_frontend", patterns=((r"proj", "projection", "linear"),), aliases={}
)
PROJECTION_SCHEMA_VIDEO = RankSchema(
    part="video_frontend", patterns=((r"proj", "projection", "linear"),), aliases={}
)


class BasicBlock(nn.Module):
    """Residual block of two 3-wide convolutions (1-D or 2-D), ResNet-18 style."""

    def __init__(self, dims: int, in_channels: int, out_channels: int, stride: int) -> None:
        super().__init__()
        conv = nn.Conv1d if dims == 1 else nn.Conv2d
        norm = nn.BatchNorm1d if dims == 1 else nn.BatchNorm2d
        self.conv1 = conv(in_channels, out_channels, 3, stride, 1, bias=False)
        self.bn1 = norm(out_channels)
        self.conv2 = conv(out_channels, out_channels, 3, 1, 1, bias=False)
        self.bn2 = norm(out_channels)
        self.relu = nn.ReLU(inplace=True)
        self.shortcut: nn.Module = nn.Identity()
        if stride != 1 or in_channels != out_channels:
            self.shortcut = nn.Sequential(
                conv(in_channels, out_channels, 1, stride, bias=False), norm(out_channels)
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(N, C_in, L)`` or ``(N, C_in, H, W)`` -> same rank, ``C_out`` channels."""
        y = self.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return self.relu(y + self.shortcut(x))


def resnet_trunk(
    dims: int, stem_channels: int, channels: Sequence[int], blocks: Sequence[int]
) -> nn.Sequential:
    """Four (or ``len(channels)``) stages; the first keeps the resolution, the others halve it."""
    if len(channels) != len(blocks) or not channels:
        raise ValueError(
            f"channels {list(channels)} and blocks {list(blocks)} must be non-empty "
            "and of equal length"
        )
    layers = []
    in_ch = stem_channels
    for i, (ch, n) in enumerate(zip(channels, blocks)):
        if n < 1:
            raise ValueError(f"blocks[{i}] must be >= 1, got {n}")
        for j in range(n):
            layers.append(BasicBlock(dims, in_ch, ch, 2 if (i > 0 and j == 0) else 1))
            in_ch = ch
    return nn.Sequential(*layers)


class ResNet1dAudioFrontend(AVRankMixin, nn.Module):
    """Raw 16 kHz waveform -> 25 frames/s features (640 samples per frame).

    Args:
        output_size: feature size ``d_a`` after the projection.
        channels: widths of the residual stages (ResNet-18: 64, 128, 256, 512);
            there must be 4 stages (the 640-sample hop depends on it).
        blocks: blocks per stage (ResNet-18: 2 each).
        normalize_waveform: scale each utterance to zero mean, unit variance over
            its valid samples before the stem.
        rank_map: ``None`` (dense) or a mapping for the group ``projection``.
    """

    RANK_SCHEMA = PROJECTION_SCHEMA_AUDIO

    def __init__(
        self,
        output_size: int = 512,
        channels: Sequence[int] = (64, 128, 256, 512),
        blocks: Sequence[int] = (2, 2, 2, 2),
        normalize_waveform: bool = True,
        rank_map: Optional[Mapping[str, Any]] = None,
        rank_map_where: str = "audio_frontend_conf.rank_map",
    ) -> None:
        super().__init__()
        if len(channels) != 4:
            raise ValueError(f"audio front-end needs 4 stages for a 640-sample hop, got {channels}")
        self.normalize_waveform = normalize_waveform
        self.stem = nn.Sequential(
            nn.Conv1d(1, channels[0], 80, AUDIO_STEM_STRIDE, 38, bias=False),
            nn.BatchNorm1d(channels[0]),
            nn.ReLU(inplace=True),
        )
        self.trunk = resnet_trunk(1, channels[0], channels, blocks)
        self.pool = nn.AvgPool1d(AUDIO_POOL, AUDIO_POOL)
        self.proj = nn.Linear(channels[-1], output_size)
        self._output_size = output_size
        self._apply_av_rank_map(rank_map, rank_map_where)

    def output_size(self) -> int:
        return self._output_size

    @staticmethod
    def output_lengths(lengths: torch.Tensor) -> torch.Tensor:
        """Frames produced for ``lengths`` samples (``(B,)`` long)."""
        n = torch.div(lengths, AUDIO_STEM_STRIDE, rounding_mode="floor")  # stem, pad 38
        for _ in range(3):  # stride-2 stages, kernel 3, pad 1: ceil(n / 2)
            n = torch.div(n + 1, 2, rounding_mode="floor")
        return torch.div(n, AUDIO_POOL, rounding_mode="floor")

    def forward(
        self, speech: torch.Tensor, speech_lengths: torch.Tensor
    ) -> Tuple[torch.Tensor, torch.Tensor]:
        """``(B, S)`` float waveform, ``(B,)`` -> ``(B, T_a, output_size)``, ``(B,)``."""
        if speech.dim() != 2:
            raise ValueError(f"audio front-end expects (B, S) waveforms, got {tuple(speech.shape)}")
        x = speech.float()
        valid = (torch.arange(x.size(1), device=x.device)[None, :] < speech_lengths[:, None]).to(
            x.dtype
        )
        if self.normalize_waveform:
            n = valid.sum(1, keepdim=True).clamp(min=1)
            mean = (x * valid).sum(1, keepdim=True) / n
            var = (((x - mean) * valid) ** 2).sum(1, keepdim=True) / n
            x = (x - mean) / torch.sqrt(var + 1e-5)
        x = x * valid
        y = self.pool(self.trunk(self.stem(x.unsqueeze(1))))  # (B, C, T_a)
        lengths = self.output_lengths(speech_lengths).clamp(max=y.size(2))
        return self.proj(y.transpose(1, 2)), lengths


class ResNet2dVideoFrontend(AVRankMixin, nn.Module):
    """Mouth crops ``(B, T, H, W)`` -> per-frame features ``(B, T, output_size)``.

    Args:
        output_size: feature size ``d_v`` after the projection.
        channels: widths of the residual stages (ResNet-18: 64, 128, 256, 512);
            the Conv3d stem has ``channels[0]`` outputs.
        blocks: blocks per stage (ResNet-18: 2 each).
        mean, std: pixel normalisation after scaling to ``[0, 1]`` (defaults: the
            LRS3 mouth-crop statistics used by earlier public AVSR models).
        rank_map: ``None`` (dense) or a mapping for the group ``projection``.
    """

    RANK_SCHEMA = PROJECTION_SCHEMA_VIDEO

    def __init__(
        self,
        output_size: int = 512,
        channels: Sequence[int] = (64, 128, 256, 512),
        blocks: Sequence[int] = (2, 2, 2, 2),
        mean: float = 0.421,
        std: float = 0.165,
        rank_map: Optional[Mapping[str, Any]] = None,
        rank_map_where: str = "video_frontend_conf.rank_map",
    ) -> None:
        super().__init__()
        if std <= 0:
            raise ValueError(f"video front-end std must be > 0, got {std}")
        self.mean = mean
        self.std = std
        self.stem = nn.Sequential(
            nn.Conv3d(1, channels[0], (5, 7, 7), (1, 2, 2), (2, 3, 3), bias=False),
            nn.BatchNorm3d(channels[0]),
            nn.ReLU(inplace=True),
            nn.MaxPool3d((1, 3, 3), (1, 2, 2), (0, 1, 1)),
        )
        self.trunk = resnet_trunk(2, channels[0], channels, blocks)
        self.proj = nn.Linear(channels[-1], output_size)
        self._output_size = output_size
        self._apply_av_rank_map(rank_map, rank_map_where)

    def output_size(self) -> int:
        return self._output_size

    def forward(
        self, video: torch.Tensor, video_lengths: torch.Tensor
    ) -> Tuple[torch.Tensor, torch.Tensor]:
        """``(B, T, H, W)`` (float in [0, 1] or uint8), ``(B,)`` -> ``(B, T, d_v)``, ``(B,)``."""
        if video.dim() != 4:
            raise ValueError(
                f"video front-end expects (B, T, H, W) frames, got {tuple(video.shape)}"
            )
        x = video.float() / 255.0 if video.dtype == torch.uint8 else video.float()
        x = (x - self.mean) / self.std
        b, t = x.shape[:2]
        y = self.stem(x.unsqueeze(1))  # (B, C, T, H', W')
        y = y.transpose(1, 2).reshape(b * t, *y.shape[1:2], *y.shape[3:])  # (B*T, C, H', W')
        y = self.trunk(y).mean(dim=(2, 3)).view(b, t, -1)  # (B, T, C_last)
        return self.proj(y), video_lengths.clamp(max=t)
