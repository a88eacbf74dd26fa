"""The factorizable layers of ESPnet's encoders, as rank-map schemas.

One schema per low-rank encoder class, built from shared pieces so that the same
layer has the same group name in every encoder (``attn_q`` is the query
projection of a Conformer, an E-Branchformer, a Branchformer and a Transformer
block alike). Module names are those of ESPnet's classes, per block
``encoders.<b>.``:

================  ==============================  ==============================================
group             layer                           encoders
================  ==============================  ==============================================
attn_q/k/v/out    ``self_attn.linear_*``          Conformer, Transformer
                  ``attn.linear_*``               E-Branchformer, Branchformer
attn_pos          ``<attn>.linear_pos``           relative positional attention only
ffn_w1/w2         ``feed_forward.w_1/w_2``        all but Branchformer
macaron_w1/w2     ``feed_forward_macaron.w_*``    Conformer, E-Branchformer
conv_pw1/pw2      ``conv_module.pointwise_*``     Conformer (pointwise ``Conv1d``)
cgmlp_proj1       ``cgmlp.channel_proj1.0``       E-Branchformer, Branchformer (d -> units)
cgmlp_proj2       ``cgmlp.channel_proj2``         the same (units/2 -> d)
cgmlp_gate        ``cgmlp.csgu.linear``           the same, ``use_linear_after_conv: true`` only
merge_proj        ``merge_proj``                  E-Branchformer (2d -> d), Branchformer
subsampling       ``embed.out(.0)``, ``embed.0``  all; global
subsampling_conv  ``embed.conv.2/4`` (3x3)        all; global; opt-in
================  ==============================  ==============================================

Aliases: ``attention``, ``feed_forward`` (FFN and macaron), ``conv_pointwise``,
``cgmlp`` (proj1, proj2, gate). Each schema's ``family`` lists the other encoders'
keys, so one preset (``optional: [cgmlp, ...]``) fits every encoder class.
Depth-wise convolutions (``csgu.conv``, ``depthwise_conv_fusion``,
``conv_module.depthwise_conv``) have no low-rank form and stay as they are.
"""

from __future__ import annotations

import dataclasses
from typing import Dict, Tuple

from espnet_lowrank.rank_map import RankSchema

_B = r"encoders\.(?P<block>\d+)\."
_ATT = ("q", "k", "v", "out", "pos")
Patterns = Tuple[Tuple[str, str, str], ...]


def _attention(module: str, pos: bool = True) -> Patterns:
    names = _ATT if pos else _ATT[:-1]
    return tuple((_B + rf"{module}\.linear_{p}", f"attn_{p}", "linear") for p in names)


_FFN: Patterns = (
    (_B + r"feed_forward\.w_1", "ffn_w1", "linear"),
    (_B + r"feed_forward\.w_2", "ffn_w2", "linear"),
)
_MACARON: Patterns = (
    (_B + r"feed_forward_macaron\.w_1", "macaron_w1", "linear"),
    (_B + r"feed_forward_macaron\.w_2", "macaron_w2", "linear"),
)
_CONV_MODULE: Patterns = (
    (_B + r"conv_module\.pointwise_conv1", "conv_pw1", "conv1x1"),
    (_B + r"conv_module\.pointwise_conv2", "conv_pw2", "conv1x1"),
)
_CGMLP: Patterns = (
    (_B + r"cgmlp\.channel_proj1\.0", "cgmlp_proj1", "linear"),
    (_B + r"cgmlp\.channel_proj2", "cgmlp_proj2", "linear"),
    (_B + r"cgmlp\.csgu\.linear", "cgmlp_gate", "linear"),
)
_MERGE: Patterns = ((_B + r"merge_proj", "merge_proj", "linear"),)
_SUBSAMPLING: Patterns = (
    (r"embed\.out(?:\.0)?", "subsampling", "linear"),
    (r"embed\.0", "subsampling", "linear"),
    (r"embed\.conv\.[24]", "subsampling_conv", "conv2d"),
)
_ALIASES: Dict[str, Tuple[str, ...]] = {
    "attention": tuple(f"attn_{p}" for p in _ATT),
    "feed_forward": ("ffn_w1", "ffn_w2", "macaron_w1", "macaron_w2"),
    "conv_pointwise": ("conv_pw1", "conv_pw2"),
    "cgmlp": ("cgmlp_proj1", "cgmlp_proj2", "cgmlp_gate"),
}


def _schema(patterns: Patterns) -> RankSchema:
    groups = {g for _, g, _ in patterns}
    aliases = {
        alias: tuple(g for g in targets if g in groups)
        for alias, targets in _ALIASES.items()
        if groups & set(targets)
    }
    return RankSchema(
        part="encoder", patterns=patterns, aliases=aliases, opt_in=("subsampling_conv",)
    )


def _with_family(*schemas: RankSchema) -> Tuple[RankSchema, ...]:
    every = set().union(*(s.all_keys() for s in schemas))
    return tuple(
        dataclasses.replace(s, family=tuple(sorted(every - set(s.all_keys())))) for s in schemas
    )


CONFORMER, E_BRANCHFORMER, BRANCHFORMER, TRANSFORMER = _with_family(
    _schema(_attention("self_attn") + _FFN + _MACARON + _CONV_MODULE + _SUBSAMPLING),
    _schema(_attention("attn") + _FFN + _MACARON + _CGMLP + _MERGE + _SUBSAMPLING),
    _schema(_attention("attn") + _CGMLP + _MERGE + _SUBSAMPLING),
    _schema(_attention("self_attn", pos=False) + _FFN + _SUBSAMPLING),
)
