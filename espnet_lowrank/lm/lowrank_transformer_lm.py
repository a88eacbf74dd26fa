"""``lowrank_transformer`` LM: ESPnet's Transformer LM with factorized linears.

Takes every argument of ``espnet2.lm.transformer_lm.TransformerLM`` plus
``rank_map``. Groups (per block ``encoder.encoders.<b>.``): ``attn_q/k/v/out``,
``ffn_w1/ffn_w2``; global: ``embed_proj`` (``encoder.embed.0``, embedding to
model width) and ``output_layer`` (``decoder``). Aliases: ``attention``,
``feed_forward``. The default preset ``lr_sms`` follows the low-rank FFN LM paper
(arXiv 2407.09835): FFN rank ``d/2`` (ratio 0.5 of ``min(in, out)``), spectral
init, attention and embeddings dense, and the first block's FFN dense.
"""

from __future__ import annotations

from espnet2.lm.transformer_lm import TransformerLM

from espnet_lowrank.catalogue import DEFAULT_RANK_MAP
from espnet_lowrank.mixin import LowRankPartMixin, signature_with
from espnet_lowrank.rank_map import RankMapLike, RankSchema

_B = r"encoder\.encoders\.(?P<block>\d+)\."

LM_SCHEMA = RankSchema(
    part="lm",
    patterns=tuple(
        (_B + rf"self_attn\.linear_{p}", f"attn_{p}", "linear") for p in ("q", "k", "v", "out")
    )
    + (
        (_B + r"feed_forward\.w_1", "ffn_w1", "linear"),
        (_B + r"feed_forward\.w_2", "ffn_w2", "linear"),
        (r"encoder\.embed\.0", "embed_proj", "linear"),
        (r"decoder", "output_layer", "linear"),
    ),
    aliases={
        "attention": ("attn_q", "attn_k", "attn_v", "attn_out"),
        "feed_forward": ("ffn_w1", "ffn_w2"),
    },
)


class LowRankTransformerLM(LowRankPartMixin, TransformerLM):
    """Transformer LM whose linears follow ``rank_map``.

    Args:
        *args, **kwargs: exactly ``TransformerLM``'s arguments.
        rank_map: preset name, YAML path or mapping; default ``lr_sms``.
    """

    RANK_SCHEMA = LM_SCHEMA

    def __init__(self, *args, rank_map: RankMapLike = DEFAULT_RANK_MAP, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._apply_rank_map(rank_map, num_blocks=len(self.encoder.encoders))

    __init__.__signature__ = signature_with(TransformerLM.__init__, rank_map=DEFAULT_RANK_MAP)
