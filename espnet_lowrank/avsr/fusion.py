"""Audio-visual fusion: concatenate the two streams frame by frame, then an MLP.

``(B, T, d_a)`` + ``(B, T, d_v)`` -> ``(B, T, output_size)`` through
``Linear(d_a + d_v, hidden) -> LayerNorm -> ReLU -> Dropout -> Linear(hidden, output)``.
Earlier public AVSR models use BatchNorm there; LayerNorm is this project's choice
(the paper leaves it open) because it does not mix padded frames into statistics.
The two linears are the rank-map groups ``hidden`` and ``output`` (alias ``mlp``).
"""

from __future__ import annotations

from typing import Any, Mapping, Optional

import torch
from torch import nn

from espnet_lowrank.avsr.rank import AVRankMixin
from espnet_lowrank.rank_map import RankSchema

FUSION_SCHEMA = RankSchema(
    part="fusion",
    patterns=((r"mlp\.0", "hidden", "linear"), (r"mlp\.4", "output", "linear")),
    aliases={"mlp": ("hidden", "output")},
)


class MLPFusion(AVRankMixin, nn.Module):
    """Concatenation + two-layer MLP.

    Args:
        audio_size, video_size: feature sizes of the two streams.
        hidden_size: MLP width.
        output_size: fused feature size (the encoder's input size).
        dropout_rate: dropout after the hidden activation.
        rank_map: ``None`` (dense) or a mapping over groups ``hidden``/``output``/``mlp``.
    """

    RANK_SCHEMA = FUSION_SCHEMA

    def __init__(
        self,
        audio_size: int,
        video_size: int,
        hidden_size: int = 1024,
        output_size: int = 256,
        dropout_rate: float = 0.1,
        rank_map: Optional[Mapping[str, Any]] = None,
        rank_map_where: str = "fusion_conf.rank_map",
    ) -> None:
        super().__init__()
        self.mlp = nn.Sequential(
            nn.Linear(audio_size + video_size, hidden_size),
            nn.LayerNorm(hidden_size),
            nn.ReLU(inplace=True),
            nn.Dropout(dropout_rate),
            nn.Linear(hidden_size, output_size),
        )
        self._output_size = output_size
        self._apply_av_rank_map(rank_map, rank_map_where)

    def output_size(self) -> int:
        return self._output_size

    def forward(self, audio: torch.Tensor, video: torch.Tensor) -> torch.Tensor:
        """``(B, T, d_a)``, ``(B, T, d_v)`` -> ``(B, T, output_size)``."""
        if audio.shape[:2] != video.shape[:2]:
            raise ValueError(
                f"fusion needs equal (B, T) for both streams, got {tuple(audio.shape)} "
                f"and {tuple(video.shape)}"
            )
        return self.mlp(torch.cat([audio, video], dim=-1))
