"""Property-based tests of the rank-map parser and resolver (hypothesis).

Random valid maps resolve to ranks within ``[1, min(in, out)]`` and give the same
ranks after the round trip through the inlined config (``resolved``, YAML, strict
load). Random invalid maps, and arbitrary junk, raise ``RankMapError`` naming the
option and key, never another exception and never a silently different model.
"""

from __future__ import annotations

import math
import os

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from espnet_lowrank.rank_map import (
    TOP_KEYS,
    LayerSlot,
    RankMapError,
    RankSchema,
    load_rank_map,
    resolve,
    resolved_to_yaml_map,
)
from espnet_lowrank.strict_yaml import loads_yaml

SCHEMA = RankSchema(
    part="encoder",
    patterns=(
        (r"b\.(?P<block>\d+)\.q", "attn_q", "linear"),
        (r"b\.(?P<block>\d+)\.k", "attn_k", "linear"),
        (r"b\.(?P<block>\d+)\.w1", "ffn_w1", "linear"),
        (r"b\.(?P<block>\d+)\.w2", "ffn_w2", "linear"),
        (r"proj", "subsampling", "linear"),
    ),
    aliases={"attention": ("attn_q", "attn_k"), "feed_forward": ("ffn_w1", "ffn_w2")},
)
BLOCK_GROUPS = {"attn_q": "q", "attn_k": "k", "ffn_w1": "w1", "ffn_w2": "w2"}
WHERE = "encoder_conf.rank_map"
# Derandomized (the same examples every run: no flaky suite) and no example database
# (no .hypothesis/ folder left behind); HYPOTHESIS_EXAMPLES=5000 explores further.
SETTINGS = settings(
    max_examples=int(os.environ.get("HYPOTHESIS_EXAMPLES", "200")),
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)


@st.composite
def models(draw):
    """``(slots, num_blocks)``: every group's layers share one shape."""
    blocks = draw(st.integers(1, 4))
    dim = st.integers(1, 48)
    slots = []
    for group, short in BLOCK_GROUPS.items():
        i, o = draw(dim), draw(dim)
        slots += [
            LayerSlot(f"b.{b}.{short}", group, b, i, o, "linear", True) for b in range(blocks)
        ]
    slots.append(LayerSlot("proj", "subsampling", None, draw(dim), draw(dim), "linear", False))
    return slots, blocks


def ratios():
    return st.floats(min_value=1e-3, max_value=1.0, allow_nan=False)


def scalar(max_rank):
    return st.one_of(ratios(), st.integers(1, max_rank), st.just("dense"))


def block_value(max_rank, blocks):
    return st.one_of(
        scalar(max_rank),
        st.lists(scalar(max_rank), min_size=blocks, max_size=blocks),
        st.fixed_dictionaries({"start": ratios(), "end": ratios()}),
        st.fixed_dictionaries({"start": st.integers(1, max_rank), "end": st.integers(1, max_rank)}),
    )


@st.composite
def valid_maps(draw):
    slots, blocks = draw(models())
    cap = {}
    for s in slots:
        cap[s.group] = min(cap.get(s.group, s.max_rank), s.max_rank)
    for alias, members in SCHEMA.aliases.items():
        cap[alias] = min(cap[m] for m in members)
    groups = {}
    for key in draw(st.sets(st.sampled_from(sorted(cap)))):
        groups[key] = draw(
            scalar(cap[key]) if key == "subsampling" else block_value(cap[key], blocks)
        )
    layers = {}
    for s in draw(st.lists(st.sampled_from(slots), max_size=3, unique_by=lambda s: s.name)):
        layers[s.name] = draw(scalar(s.max_rank))
    spec = {
        "init": draw(st.sampled_from(["svd", "spectral", "random"])),
        "round_to": draw(st.integers(1, 8)),
        "default": draw(st.one_of(ratios(), st.just("dense"))),
        "groups": groups,
        "layers": layers,
    }
    return spec, slots, blocks


def _resolve(spec, slots, blocks):
    return resolve(load_rank_map(spec, "encoder", where=WHERE), slots, SCHEMA, blocks)


@SETTINGS
@given(valid_maps())
def test_valid_maps_resolve_within_bounds_and_round_trip(case):
    spec, slots, blocks = case
    ranks = _resolve(spec, slots, blocks)
    assert set(ranks) == {s.name for s in slots}
    for s in slots:
        r = ranks[s.name]
        assert r is None or 1 <= r <= s.max_rank, (s, r)
    for name, value in spec["layers"].items():  # layers win over groups
        if value == "dense":
            assert ranks[name] is None
        elif isinstance(value, int):
            assert ranks[name] == value
    # the config a trained model saves: the spec plus `resolved`, through YAML
    saved = dict(spec, resolved=resolved_to_yaml_map(ranks))
    again = loads_yaml(yaml.safe_dump({"rank_map": saved}), "config.yaml")["rank_map"]
    assert _resolve(again, slots, blocks) == ranks
    # and the spec alone, through YAML, resolves the same
    assert _resolve(loads_yaml(yaml.safe_dump(spec), "map.yaml"), slots, blocks) == ranks


def _invalid(draw, spec, slots, blocks):
    """One mistake in a valid spec; returns (spec, text the message must name)."""
    spec = {k: (dict(v) if isinstance(v, dict) else v) for k, v in spec.items()}
    block = draw(st.sampled_from(sorted(BLOCK_GROUPS) + ["attention", "feed_forward"]))
    kind = draw(st.sampled_from([
        "top", "group", "zero", "ratio", "bool", "length", "schedule_keys", "mixed",
        "global_list", "pattern", "groups_falsy", "round_to", "init", "optional", "too_big",
        "resolved_extra",
    ]))  # fmt: skip
    if kind == "top":
        spec["grups"] = {}
        return spec, "grups"
    if kind == "group":
        spec["groups"]["attn_z"] = 0.5
        return spec, "groups.attn_z"
    if kind == "zero":
        spec["groups"][block] = draw(st.integers(-5, 0))
        return spec, f"groups.{block}"
    if kind == "ratio":
        spec["groups"][block] = draw(
            st.one_of(
                st.floats(min_value=1.0001, max_value=1e9),
                st.floats(max_value=0.0),
                st.just(math.nan),
            )  # fmt: skip
        )
        return spec, f"groups.{block}"
    if kind == "bool":
        spec["groups"][block] = draw(st.booleans())
        return spec, f"groups.{block}"
    if kind == "length":
        n = draw(st.integers(0, 8).filter(lambda n: n != blocks))
        spec["groups"][block] = [0.5] * n
        return spec, f"groups.{block}"
    if kind == "schedule_keys":
        spec["groups"][block] = {"start": 0.5, "stop": 0.5}
        return spec, f"groups.{block}"
    if kind == "mixed":
        spec["groups"][block] = {"start": 0.5, "end": 1}
        return spec, f"groups.{block}"
    if kind == "global_list":
        spec["groups"]["subsampling"] = [0.5] * blocks
        return spec, "groups.subsampling"
    if kind == "pattern":
        spec["layers"]["b.9.*"] = "dense"
        return spec, "layers.b.9.*"
    if kind == "groups_falsy":
        spec[draw(st.sampled_from(["groups", "layers"]))] = value = draw(
            st.sampled_from([0, "", None, [], False, "attention"])
        )
        return spec, ".groups" if "groups" in spec and spec["groups"] is value else ".layers"
    if kind == "round_to":
        spec["round_to"] = draw(st.sampled_from([0, -1, 1.5, True, "8"]))
        return spec, "round_to"
    if kind == "init":
        spec["init"] = draw(st.sampled_from(["kaiming", "", None, 1]))
        return spec, "init"
    if kind == "optional":
        spec["optional"] = draw(st.sampled_from(["attention", ["attn_z"], [["x"]], 1]))
        return spec, "optional"
    if kind == "too_big":
        s = draw(st.sampled_from(slots))
        spec["layers"] = {s.name: s.max_rank + draw(st.integers(1, 100))}
        return spec, f"layers.{s.name}"
    spec["resolved"] = {**{s.name: "dense" for s in slots}, "b.9.q": 4}
    return spec, "resolved"


@st.composite
def invalid_maps(draw):
    spec, slots, blocks = draw(valid_maps())
    bad, key = _invalid(draw, spec, slots, blocks)
    return bad, key, slots, blocks


@SETTINGS
@given(invalid_maps())
def test_invalid_maps_raise_rank_map_error_naming_the_key(case):
    spec, key, slots, blocks = case
    try:
        _resolve(spec, slots, blocks)
    except RankMapError as e:
        assert str(e).startswith(WHERE), e
        assert key in str(e), (key, str(e))
    else:
        raise AssertionError(f"no error for {spec!r} (expected one naming {key})")


JUNK = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 100) | st.floats(allow_nan=True)
    | st.sampled_from(["dense", "svd", "attention", "b.0.*", "", "lr_sms"]),
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.sampled_from(["start", "end", "attention", "attn_q", "x"]), inner,
                      max_size=3),
    max_leaves=8,
)  # fmt: skip
GROUP_KEYS = sorted(SCHEMA.all_keys()) + ["attn_z", "b.0.q"]


@SETTINGS
@given(
    models(),
    st.dictionaries(st.sampled_from(list(TOP_KEYS) + ["junk"]), JUNK, max_size=5),
    st.dictionaries(st.sampled_from(GROUP_KEYS), JUNK, max_size=4),
)
def test_arbitrary_maps_resolve_within_bounds_or_raise_rank_map_error(model, spec, groups):
    slots, blocks = model
    if groups and draw_groups(spec):
        spec["groups"] = groups
    try:
        ranks = _resolve(spec, slots, blocks)
    except RankMapError as e:
        assert str(e).startswith(WHERE), e
        return
    for s in slots:
        assert ranks[s.name] is None or 1 <= ranks[s.name] <= s.max_rank


def draw_groups(spec):
    return "groups" not in spec or not isinstance(spec["groups"], dict)
