"""Rank maps: which linear layers of a model are factorized, and at what rank.

A rank map is a mapping (YAML) for one model part (``encoder``, ``decoder`` or
``lm``)::

    init: svd            # svd | spectral | random (see espnet_lowrank.layers)
    round_to: 8          # optional: ratio-derived ranks rounded to a multiple
    default: dense       # value of every factorizable layer no other key sets
    groups:              # per module type; a value or a schedule over blocks
      attention: 0.25                      # ratio alpha of min(in, out)
      feed_forward: {start: 0.25, end: 0.5} # linear in depth, block 0 .. N-1
      conv_pointwise: [0.25, 0.25, 0.5]    # explicit, one value per block
      subsampling: 64                      # absolute rank
    optional: [conv_pointwise]  # group keys allowed to match no layer (presets)
    layers:              # optional: exact layer names or fnmatch patterns
      encoders.0.feed_forward.w_1: dense

Values: a float in (0, 1] is a ratio ``alpha`` (rank ``max(1, round(alpha *
min(in, out)))``), an int >= 1 an absolute rank (at most ``min(in, out)``), and
``dense`` keeps the layer an ``nn.Linear``. Block groups take a scalar (uniform),
a list with one value per block, or ``{start, end}`` (linear from the first to the
last block; both ratios or both ranks). Global groups (``subsampling``,
``subsampling_conv``, ``output_layer``, ``embed_proj``) take a scalar.

Precedence per layer: ``layers`` entry > specific group (``attn_q``) > alias
group (``attention``) > ``default``. Opt-in groups (the encoder's
``subsampling_conv``, the 3x3 convolutions of conv subsampling) are factorized only
where ``groups`` or ``layers`` name them; ``default`` leaves them dense. Every key
must match at least one layer of the model it is applied to; a value that matches
nothing is an error, never silently ignored, unless its group key is listed in
``optional`` (the presets use that, so one preset fits every configuration of a
class: an encoder without a convolution module, say). Models record the outcome
under ``resolved`` (layer name -> rank or ``dense``); a map that has ``resolved``
is taken as it is (it must list exactly the model's factorizable layers, opt-in
ones aside), which makes saved configs self-contained and independent of later
changes to the resolution rules.

A rank map is given as a mapping, a path to a YAML file (holding a map or
``encoder:``/``decoder:``/``lm:`` sections), or a preset name (``lr_sms``,
``dense``, ``attention_only``, ``ffn_only``, ``uniform``; see
``espnet_lowrank/rank_maps/``). ``None`` (``rank_map: ~`` in YAML) means "no rank
map": every layer stays dense, as with ``dense``; leaving ``rank_map`` out gives
the class default instead (``lr_sms`` for the encoder, decoder and LM). Files are
read strictly (:mod:`espnet_lowrank.strict_yaml`: a duplicated key is an error), and
``groups``/``layers`` must be mappings when given (``groups: 0`` is an error).
"""

from __future__ import annotations

import copy
import fnmatch
import logging
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

from espnet_lowrank.errors import InputError
from espnet_lowrank.strict_yaml import load_yaml

logger = logging.getLogger(__name__)

PRESET_DIR = Path(__file__).parent / "rank_maps"
SECTIONS = ("encoder", "decoder", "lm")
TOP_KEYS = ("init", "round_to", "default", "groups", "optional", "layers", "resolved")
DENSE = "dense"

RankValue = Union[str, int, float]
RankMapLike = Union[None, str, Path, Mapping[str, Any]]


class RankMapError(InputError):
    """A rank map that cannot be applied; the message names the key and value."""


@dataclass(frozen=True)
class LayerSlot:
    """A factorizable layer found in a model.

    Attributes:
        name: module path relative to the model part, e.g. ``encoders.3.self_attn.linear_q``.
        group: the specific group it belongs to, e.g. ``attn_q``.
        block: block index for per-block groups, ``None`` for global ones.
        in_features, out_features: the dense weight is ``(out_features, in_features)``.
        kind: ``linear`` (``nn.Linear``), ``conv1x1`` (pointwise ``nn.Conv1d``) or
            ``conv2d`` (a plain ``nn.Conv2d``; ``in_features`` is ``C_in kh kw``, its
            kernel seen as a ``(C_out, C_in kh kw)`` matrix).
        bias: whether the layer has a bias.
    """

    name: str
    group: str
    block: Optional[int]
    in_features: int
    out_features: int
    kind: str
    bias: bool

    @property
    def max_rank(self) -> int:
        return min(self.in_features, self.out_features)

    def params(self, rank: Optional[int]) -> int:
        """Parameters (weights + bias) at ``rank`` (``None`` = dense)."""
        b = self.out_features if self.bias else 0
        if rank is None:
            return self.in_features * self.out_features + b
        return rank * (self.in_features + self.out_features) + b


@dataclass(frozen=True)
class RankSchema:
    """What a model part can factorize.

    Attributes:
        part: ``encoder``, ``decoder`` or ``lm`` (the preset section it reads).
        patterns: ``(regex, group, kind)``; the regex is full-matched against module
            names and may capture the block index as ``(?P<block>\\d+)``.
        aliases: alias group -> specific groups it sets.
        opt_in: groups set only by naming them (in ``groups`` or ``layers``):
            ``default`` does not reach them, and a ``resolved`` map that does not list
            their layers (saved before the group existed) keeps them dense.
        family: group and alias names of other classes of the same part (the other
            encoders): accepted when listed in ``optional``, so that one preset fits
            every class of the part; any other unknown key is an error.
    """

    part: str
    patterns: Tuple[Tuple[str, str, str], ...]
    aliases: Mapping[str, Tuple[str, ...]]
    opt_in: Tuple[str, ...] = ()
    family: Tuple[str, ...] = ()

    @property
    def groups(self) -> Tuple[str, ...]:
        seen: Dict[str, None] = {}
        for _, g, _ in self.patterns:
            seen[g] = None
        return tuple(seen)

    def all_keys(self) -> List[str]:
        return sorted(set(self.groups) | set(self.aliases))


@dataclass(frozen=True)
class RankMapSpec:
    """A validated rank map for one model part (the keys of the module docstring).

    Made by :meth:`from_dict` (or :func:`load_rank_map`, which also reads presets and
    files); saved back by :meth:`to_dict`. Group and layer *values* are checked by
    :func:`resolve`, against the layers they set.

    Attributes:
        init: one of ``espnet_lowrank.layers.INIT_MODES``.
        round_to: ratio-derived ranks are rounded to a multiple of it (int >= 1).
        default: value of every factorizable layer no other key sets.
        groups: group or alias name -> value or per-block schedule.
        optional: keys of ``groups`` allowed to match no layer.
        layers: exact layer name or fnmatch pattern -> value.
        resolved: layer name -> rank or ``dense``, taken as it is; ``None`` if not given.
        where: how error messages name the map (``encoder_conf.rank_map``); not saved.
    """

    init: str = "svd"
    round_to: int = 1
    default: Any = DENSE
    groups: Dict[str, Any] = field(default_factory=dict)
    optional: List[str] = field(default_factory=list)
    layers: Dict[str, Any] = field(default_factory=dict)
    resolved: Optional[Dict[str, Any]] = None
    where: str = field(default="rank_map", compare=False)

    @classmethod
    def from_dict(cls, value: Any, where: str = "rank_map") -> RankMapSpec:
        """Validate the mapping ``value`` (top-level keys and their types; a deep copy is
        kept). Errors are :class:`RankMapError` naming ``where``, the key and the value."""
        if not isinstance(value, Mapping):
            raise RankMapError(f"{where}: expected a mapping, got {type(value).__name__}")
        spec = copy.deepcopy(dict(value))
        unknown = sorted(set(spec) - set(TOP_KEYS))
        if unknown:
            raise RankMapError(f"{where}: unknown key(s) {unknown}; allowed: {list(TOP_KEYS)}")
        from espnet_lowrank.layers import INIT_MODES

        init = spec.get("init", "svd")
        if init not in INIT_MODES:
            raise RankMapError(f"{where}.init: {init!r} is not one of {INIT_MODES}")
        rt = spec.get("round_to", 1)
        if isinstance(rt, bool) or not isinstance(rt, int) or rt < 1:
            raise RankMapError(f"{where}.round_to: must be an int >= 1, got {rt!r}")
        tables = {}
        for key in ("groups", "layers"):
            table = spec.get(key, {})
            if not isinstance(table, Mapping):  # `groups: 0`, `groups: ''`, `groups:`
                got = "nothing (empty)" if table is None else repr(table)
                raise RankMapError(
                    f"{where}.{key}: expected a mapping (write {{}} for none), got {got}"
                )
            tables[key] = dict(table)
        optional = spec.get("optional", [])
        if (
            not isinstance(optional, list)
            or not all(isinstance(k, str) for k in optional)
            or not set(optional) <= set(tables["groups"])
        ):
            raise RankMapError(
                f"{where}.optional: must be a list of keys of groups "
                f"{sorted(tables['groups'])}, got {optional!r}"
            )
        resolved = spec.get("resolved")
        if resolved is not None and not isinstance(resolved, Mapping):
            raise RankMapError(f"{where}.resolved: expected a mapping, got {resolved!r}")
        return cls(
            init=init,
            round_to=rt,
            default=spec.get("default", DENSE),
            groups=tables["groups"],
            optional=optional,
            layers=tables["layers"],
            resolved=None if resolved is None else dict(resolved),
            where=where,
        )

    def to_dict(self) -> Dict[str, Any]:
        """The mapping :meth:`from_dict` reads back (``resolved`` only when set)."""
        out = {
            "init": self.init,
            "round_to": self.round_to,
            "default": self.default,
            "groups": self.groups,
            "optional": self.optional,
            "layers": self.layers,
        }
        if self.resolved is not None:
            out["resolved"] = self.resolved
        return copy.deepcopy(out)


# --------------------------------------------------------------------- loading
def preset_names() -> List[str]:
    return sorted(p.stem for p in PRESET_DIR.glob("*.yaml"))


def load_rank_map(value: RankMapLike, part: str, where: str = "rank_map") -> RankMapSpec:
    """Turn a preset name, YAML path or mapping into a validated :class:`RankMapSpec`.

    Args:
        value: preset name, path to a YAML file, a mapping, or ``None`` (= ``dense``).
        part: ``encoder``, ``decoder`` or ``lm``: the section read from sectioned files;
            other parts (the AVSR front-ends and fusion) take mappings only.
        where: how error messages name the option (e.g. ``encoder_conf.rank_map``).

    Returns:
        The validated spec (a deep copy of the mapping), ready for :func:`resolve`.
    """
    if value is None:
        value = {"default": DENSE}
    if isinstance(value, (str, Path)) and part not in SECTIONS:
        raise RankMapError(
            f"{where}: presets and rank-map files have {list(SECTIONS)} sections only; "
            f"give the {part} rank map as a mapping (groups/layers/default), got {value!r}"
        )
    if isinstance(value, (str, Path)):
        text = str(value)
        path = Path(text)
        if path.suffix in (".yaml", ".yml") or path.exists():
            if not path.is_file():
                raise RankMapError(f"{where}: rank map file {text!r} does not exist")
            source = str(path)
        elif text in preset_names():
            source = str(PRESET_DIR / f"{text}.yaml")
        else:
            raise RankMapError(
                f"{where}: {text!r} is neither a YAML file nor a preset "
                f"(presets: {', '.join(preset_names())})"
            )
        try:
            data = load_yaml(source, "rank map file")
        except InputError as e:
            raise RankMapError(f"{where}: {e}") from e
        where = f"{where} ({source})"
        if not isinstance(data, Mapping):
            raise RankMapError(f"{where}: expected a mapping, got {type(data).__name__}")
        if set(data) and set(data) <= set(SECTIONS):
            if part not in data:
                raise RankMapError(f"{where}: has sections {sorted(data)} but no {part!r}")
            data = data[part]
            where = f"{where} [{part}]"
        value = data
    return RankMapSpec.from_dict(value, where)


# ------------------------------------------------------------------ discovery
def find_slots(root: Any, schema: RankSchema) -> List[LayerSlot]:
    """Every module of ``root`` matched by ``schema`` (dense or already factorized).

    A pattern of kind ``k`` matches a module of ``LOWRANK_CLASSES[k]`` or of its
    ``DENSE_TYPE``; a dense one that the class cannot factorize (a non-pointwise
    ``Conv1d``, say) is an error.
    """
    from espnet_lowrank.layers import LOWRANK_CLASSES

    compiled = [(re.compile(rx), g, LOWRANK_CLASSES[k]) for rx, g, k in schema.patterns]
    slots: List[LayerSlot] = []
    for name, mod in root.named_modules():
        for rx, group, cls in compiled:
            m = rx.fullmatch(name)
            if not m:
                continue
            if isinstance(mod, cls):
                i, o = mod.in_features, mod.out_features
            elif isinstance(mod, cls.DENSE_TYPE):
                cls.check_dense(mod)
                o, i = mod.weight.shape[0], math.prod(mod.weight.shape[1:])
            else:
                continue
            if min(i, o) == 0:  # zero-width layers exist in degenerate ESPnet configs
                break
            block = m.groupdict().get("block")
            block = None if block is None else int(block)
            slots.append(LayerSlot(name, group, block, i, o, cls.KIND, mod.bias is not None))
            break
    return slots


# ------------------------------------------------------------------ resolving
def _parse_value(value: Any, where: str) -> Tuple[str, Union[int, float, None]]:
    if isinstance(value, str):
        if value == DENSE:
            return ("dense", None)
        raise RankMapError(f"{where}: {value!r} is not a rank, a ratio or 'dense'")
    if isinstance(value, bool):
        raise RankMapError(f"{where}: {value!r} is not a rank, a ratio or 'dense'")
    if isinstance(value, int):
        if value < 1:
            raise RankMapError(f"{where}: rank must be >= 1, got {value}")
        return ("rank", value)
    if isinstance(value, float):
        if not 0.0 < value <= 1.0 or math.isnan(value):
            raise RankMapError(f"{where}: ratio must be in (0, 1], got {value}")
        return ("ratio", value)
    raise RankMapError(f"{where}: {value!r} is not a rank, a ratio or 'dense'")


def _schedule(value: Any, num_blocks: Optional[int], where: str) -> List[Tuple[str, Any]]:
    """Per-block parsed values of a group value (length ``num_blocks``, or 1 for global)."""
    if num_blocks is None:
        if isinstance(value, (list, dict)):
            raise RankMapError(f"{where}: a global layer group takes a single value, got {value!r}")
        return [_parse_value(value, where)]
    if isinstance(value, list):
        if len(value) != num_blocks:
            raise RankMapError(
                f"{where}: list has {len(value)} values but the model has {num_blocks} blocks"
            )
        return [_parse_value(v, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, dict):
        if set(value) != {"start", "end"}:
            raise RankMapError(
                f"{where}: a linear schedule is {{start: .., end: ..}}, got {value!r}"
            )
        start = _parse_value(value["start"], f"{where}.start")
        end = _parse_value(value["end"], f"{where}.end")
        if start[0] != end[0] or start[0] == "dense":
            raise RankMapError(
                f"{where}: start and end must both be ratios or both ranks, got {value!r}"
            )
        out = []
        for b in range(num_blocks):
            t = b / (num_blocks - 1) if num_blocks > 1 else 0.0
            v = start[1] + (end[1] - start[1]) * t
            out.append((start[0], int(math.floor(v + 0.5)) if start[0] == "rank" else v))
        return out
    return [_parse_value(value, where)] * num_blocks


def _to_rank(parsed: Tuple[str, Any], slot: LayerSlot, round_to: int, where: str) -> Optional[int]:
    kind, v = parsed
    if kind == "dense":
        return None
    if kind == "rank":
        if v > slot.max_rank:
            raise RankMapError(
                f"{where}: rank {v} exceeds min(in, out) = {slot.max_rank} of "
                f"{slot.name} ({slot.in_features}->{slot.out_features})"
            )
        return v
    r = max(1, int(math.floor(v * slot.max_rank + 0.5)))
    if round_to > 1:
        r = max(round_to, int(math.floor(r / round_to + 0.5)) * round_to)
    return min(r, slot.max_rank)


def resolve(
    spec: RankMapSpec,
    slots: Sequence[LayerSlot],
    schema: RankSchema,
    num_blocks: int,
) -> Dict[str, Optional[int]]:
    """Rank of every slot (``None`` = dense) under ``spec`` (see :meth:`RankPlan.resolve`)."""
    where = spec.where
    by_name = {s.name: s for s in slots}
    groups_present = {s.group for s in slots}
    if spec.resolved is not None:
        res = spec.resolved
        extra = sorted(set(res) - set(by_name))
        missing = sorted(
            n for n, s in by_name.items() if n not in res and s.group not in schema.opt_in
        )
        if extra or missing:
            raise RankMapError(
                f"{where}.resolved does not fit this model: unknown layers {extra}, "
                f"layers not listed {missing}"
            )
        out: Dict[str, Optional[int]] = {n: None for n in by_name if n not in res}
        for name, v in res.items():
            parsed = _parse_value(v, f"{where}.resolved.{name}")
            if parsed[0] == "ratio":
                raise RankMapError(f"{where}.resolved.{name}: must be a rank or 'dense', got {v!r}")
            out[name] = _to_rank(parsed, by_name[name], 1, f"{where}.resolved.{name}")
        return out

    round_to = spec.round_to
    default = _parse_value(spec.default, f"{where}.default")
    # group -> per-block parsed values; specific groups override aliases
    per_group: Dict[str, Tuple[List[Tuple[str, Any]], str]] = {}
    entries = list(spec.groups.items())
    for key, value in sorted(entries, key=lambda kv: kv[0] not in schema.aliases):
        kw = f"{where}.groups.{key}"
        if key in schema.aliases:
            targets = [g for g in schema.aliases[key] if g in groups_present]
        elif key in schema.groups:
            targets = [key] if key in groups_present else []
        elif key in schema.family and key in spec.optional:
            continue  # another encoder's group, in a preset written for all of them
        else:
            raise RankMapError(
                f"{kw}: unknown group for the {schema.part}; known: {schema.all_keys()}"
            )
        if not targets:
            if key in spec.optional:
                continue
            raise RankMapError(f"{kw}: matches no layer of this {schema.part} model")
        for g in targets:
            is_block = any(s.block is not None for s in slots if s.group == g)
            per_group[g] = (_schedule(value, num_blocks if is_block else None, kw), kw)

    out = {}
    for s in slots:
        if s.group in per_group:
            vals, kw = per_group[s.group]
            parsed = vals[s.block if s.block is not None else 0]
            out[s.name] = _to_rank(parsed, s, round_to, kw)
        elif s.group in schema.opt_in:
            out[s.name] = None
        else:
            out[s.name] = _to_rank(default, s, round_to, f"{where}.default")

    matched_by: Dict[str, str] = {}
    for pattern, value in spec.layers.items():
        kw = f"{where}.layers.{pattern}"
        hits = [n for n in by_name if fnmatch.fnmatchcase(n, str(pattern))]
        if not hits:
            raise RankMapError(f"{kw}: matches no factorizable layer of this {schema.part}")
        parsed = _parse_value(value, kw)
        for n in hits:
            rank = _to_rank(parsed, by_name[n], round_to, kw)
            if n in matched_by and out[n] != rank:
                raise RankMapError(
                    f"{kw}: {n} is also set by {matched_by[n]!r} to a different value"
                )
            matched_by[n] = pattern
            out[n] = rank
    return out


# ----------------------------------------------------------------- the plan
@dataclass(frozen=True)
class RankPlan:
    """A rank map resolved against one model part.

    What :func:`espnet_lowrank.factorize.factorize` applies, and what the per-layer
    table, the saved config, the parameter counts and the analysis read.

    Attributes:
        slots: the part's factorizable layers, in module order.
        ranks: layer name -> rank, ``None`` for a layer kept dense (every slot listed).
        num_blocks: blocks of the part (per-block schedules have this many values).
        spec: the rank map it was resolved from.
    """

    slots: Tuple[LayerSlot, ...]
    ranks: Dict[str, Optional[int]]
    num_blocks: int
    spec: RankMapSpec

    @classmethod
    def resolve(
        cls, spec: RankMapSpec, slots: Sequence[LayerSlot], schema: RankSchema, num_blocks: int
    ) -> RankPlan:
        """Resolve ``spec`` for ``slots`` (found by :func:`find_slots` with ``schema``)."""
        return cls(tuple(slots), resolve(spec, slots, schema, num_blocks), num_blocks, spec)

    def factorized(self) -> List[Tuple[LayerSlot, int]]:
        """``(slot, rank)`` of every layer the plan factorizes."""
        return [(s, self.ranks[s.name]) for s in self.slots if self.ranks[s.name] is not None]

    @property
    def params_dense(self) -> int:
        """Parameters (weights + biases) of the slots, all dense."""
        return sum(s.params(None) for s in self.slots)

    @property
    def params_lowrank(self) -> int:
        """Parameters of the slots at their planned ranks."""
        return sum(s.params(self.ranks[s.name]) for s in self.slots)

    def no_saving(self) -> List[str]:
        """Factorized layers whose rank stores at least as many parameters as dense."""
        return [s.name for s, r in self.factorized() if s.params(r) >= s.params(None)]

    def table(self, title: str, total_params: Optional[int] = None) -> str:
        """Per-layer table: layer, shape, rank, parameters dense -> low-rank, totals;
        with ``total_params`` (the part's, at these ranks) a whole-part line too."""
        rows = [("layer", "shape", "rank", "params", "")]
        for s in self.slots:
            r = self.ranks[s.name]
            note = "no saving" if r is not None and s.params(r) >= s.params(None) else ""
            rows.append(
                (
                    s.name,
                    f"{s.out_features}x{s.in_features}",
                    "dense" if r is None else str(r),
                    f"{s.params(None):,} -> {s.params(r):,}",
                    note,
                )
            )
        widths = [max(len(r[i]) for r in rows) for i in range(5)]
        lines = [f"{title}:"]
        for r in rows:
            lines.append("  " + "  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())
        dense, low = self.params_dense, self.params_lowrank
        lines.append(
            f"  factorizable layers: {len(self.factorized())}/{len(self.slots)} factorized, "
            f"{dense:,} -> {low:,} params ({dense / max(1, low):.2f}x smaller)"
        )
        if total_params is not None:
            before = total_params - low + dense
            lines.append(
                f"  whole {title.split()[0]}: {before:,} -> {total_params:,} params "
                f"({before / max(1, total_params):.2f}x smaller)"
            )
        return "\n".join(lines)

    def to_config(self) -> Dict[str, Any]:
        """The rank map to save in a config: the spec, its ``resolved`` replaced by this
        plan's ranks (a model rebuilt from it gets exactly these ranks)."""
        cfg = {k: v for k, v in self.spec.to_dict().items() if k != "resolved"}
        cfg["resolved"] = resolved_to_yaml_map(self.ranks)
        return cfg


def resolved_to_yaml_map(ranks: Mapping[str, Optional[int]]) -> Dict[str, RankValue]:
    """``resolved`` section as written to configs (``dense`` for dense layers)."""
    return {k: (DENSE if v is None else int(v)) for k, v in ranks.items()}
