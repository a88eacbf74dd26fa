"""``lowrank_transformer``: ESPnet's Transformer encoder with factorized linears.

Takes every argument of ``espnet2.asr.encoder.transformer_encoder.TransformerEncoder`` (of the
installed ESPnet release) plus ``rank_map``. Groups: ``attn_q/k/v/out`` (alias ``attention``),
``ffn_w1/w2`` (``feed_forward``; linear feed-forward layers only), ``subsampling`` and the opt-
in ``subsampling_conv`` (see the table in :mod:`espnet_lowrank.asr.encoder_schemas`). Shapes are
those of the parent: ``xs_pad (B, T, input_size)`` → ``(B, T', output_size)``.
"""

from __future__ import annotations

from espnet2.asr.encoder.transformer_encoder import TransformerEncoder

from espnet_lowrank.asr.encoder_schemas import TRANSFORMER
from espnet_lowrank.catalogue import DEFAULT_RANK_MAP
from espnet_lowrank.mixin import LowRankPartMixin, signature_with
from espnet_lowrank.rank_map import RankMapLike


class LowRankTransformerEncoder(LowRankPartMixin, TransformerEncoder):
    """Transformer encoder whose linears follow ``rank_map`` (:mod:`espnet_lowrank.rank_map`).

    Args:
        *args, **kwargs: exactly ``TransformerEncoder``'s arguments.
        rank_map: preset name, YAML path or mapping; default ``lr_sms``.
    """

    RANK_SCHEMA = TRANSFORMER

    def __init__(self, *args, rank_map: RankMapLike = DEFAULT_RANK_MAP, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._apply_rank_map(rank_map, num_blocks=len(self.encoders))

    __init__.__signature__ = signature_with(TransformerEncoder.__init__, rank_map=DEFAULT_RANK_MAP)
