"""``lowrank_conformer``: ESPnet's Conformer encoder with factorized linears.

Takes every argument of ``espnet2.asr.encoder.conformer_encoder.ConformerEncoder``
(of the installed ESPnet release) plus ``rank_map``. Factorizable layers, by group:

====================  ===========================================================
group                 layers (per block ``encoders.<b>.``)
====================  ===========================================================
``attn_q/k/v/out``    ``self_attn.linear_q/k/v/out``
``attn_pos``          ``self_attn.linear_pos`` (relative positional attention only)
``ffn_w1/ffn_w2``     ``feed_forward.w_1/w_2``
``macaron_w1/w2``     ``feed_forward_macaron.w_1/w_2`` (macaron style only)
``conv_pw1/pw2``      ``conv_module.pointwise_conv1/2`` (pointwise ``Conv1d``)
``subsampling``       ``embed.out.0`` / ``embed.out`` (conv subsampling's output projection) or
                      ``embed.0`` (``input_layer: linear``); global
``subsampling_conv``  ``embed.conv.2`` (and ``embed.conv.4`` of ``conv2d8``): the channel-
                      mixing convolutions of conv subsampling (3x3; 5x5 in ``conv2d6``) as
                      ``LowRankConv2d`` (kernel matrix ``(d, d k k)``); global; opt-in: only
                      ``groups: {subsampling_conv: ...}`` or ``layers`` factorize it
                      (``default`` does not; no preset does)
====================  ===========================================================

Aliases: ``attention`` (q, k, v, out, pos), ``feed_forward`` (FFN and macaron
w1, w2), ``conv_pointwise`` (pw1, pw2). The schema is built with those of the other encoders in
:mod:`espnet_lowrank.asr.encoder_schemas`. Shapes are those of the parent:
``xs_pad (B, T, input_size)`` → ``(B, T', output_size)``.
"""

from __future__ import annotations

from espnet2.asr.encoder.conformer_encoder import ConformerEncoder

from espnet_lowrank.asr.encoder_schemas import CONFORMER
from espnet_lowrank.catalogue import DEFAULT_RANK_MAP
from espnet_lowrank.mixin import LowRankPartMixin, signature_with
from espnet_lowrank.rank_map import RankMapLike

ENCODER_SCHEMA = CONFORMER


class LowRankConformerEncoder(LowRankPartMixin, ConformerEncoder):
    """Conformer encoder whose linears follow ``rank_map`` (see :mod:`espnet_lowrank.rank_map`).

    Args:
        *args, **kwargs: exactly ``ConformerEncoder``'s arguments.
        rank_map: preset name, YAML path or mapping; default ``lr_sms``.
    """

    RANK_SCHEMA = ENCODER_SCHEMA

    def __init__(self, *args, rank_map: RankMapLike = DEFAULT_RANK_MAP, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._apply_rank_map(rank_map, num_blocks=len(self.encoders))

    __init__.__signature__ = signature_with(ConformerEncoder.__init__, rank_map=DEFAULT_RANK_MAP)
