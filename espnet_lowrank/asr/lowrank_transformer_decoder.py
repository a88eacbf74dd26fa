"""``lowrank_transformer`` decoder: ESPnet's Transformer decoder with factorized linears.

Takes every argument of ``espnet2.asr.decoder.transformer_decoder.TransformerDecoder``
plus ``rank_map``. Groups (per block ``decoders.<b>.``): ``self_attn_q/k/v/out``,
``src_attn_q/k/v/out``, ``ffn_w1/ffn_w2``; global: ``output_layer``. Aliases:
``self_attention``, ``src_attention``, ``attention`` (both), ``feed_forward``.
Shapes are those of the parent.
"""

from __future__ import annotations

from espnet2.asr.decoder.transformer_decoder import TransformerDecoder

from espnet_lowrank.catalogue import DEFAULT_RANK_MAP
from espnet_lowrank.mixin import LowRankPartMixin, signature_with
from espnet_lowrank.rank_map import RankMapLike, RankSchema

_B = r"decoders\.(?P<block>\d+)\."
_ATT = ("q", "k", "v", "out")

DECODER_SCHEMA = RankSchema(
    part="decoder",
    patterns=tuple(
        (_B + rf"{mod}\.linear_{p}", f"{mod}_{p}", "linear")
        for mod in ("self_attn", "src_attn")
        for p in _ATT
    )
    + (
        (_B + r"feed_forward\.w_1", "ffn_w1", "linear"),
        (_B + r"feed_forward\.w_2", "ffn_w2", "linear"),
        (r"output_layer", "output_layer", "linear"),
    ),
    aliases={
        "self_attention": tuple(f"self_attn_{p}" for p in _ATT),
        "src_attention": tuple(f"src_attn_{p}" for p in _ATT),
        "attention": tuple(f"{m}_{p}" for m in ("self_attn", "src_attn") for p in _ATT),
        "feed_forward": ("ffn_w1", "ffn_w2"),
    },
)


class LowRankTransformerDecoder(LowRankPartMixin, TransformerDecoder):
    """Transformer decoder whose linears follow ``rank_map``.

    Args:
        *args, **kwargs: exactly ``TransformerDecoder``'s arguments.
        rank_map: preset name, YAML path or mapping; default ``lr_sms``.
    """

    RANK_SCHEMA = DECODER_SCHEMA

    def __init__(self, *args, rank_map: RankMapLike = DEFAULT_RANK_MAP, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._apply_rank_map(rank_map, num_blocks=len(self.decoders))

    __init__.__signature__ = signature_with(TransformerDecoder.__init__, rank_map=DEFAULT_RANK_MAP)
