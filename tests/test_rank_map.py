"""Rank-map schema: loading, validation errors, resolution rules."""

import pytest
import yaml

from espnet_lowrank.rank_map import (
    LayerSlot,
    RankMapError,
    RankMapSpec,
    RankPlan,
    RankSchema,
    load_rank_map,
    preset_names,
    resolve,
)

SCHEMA = RankSchema(
    part="encoder",
    patterns=(
        (r"b\.(?P<block>\d+)\.q", "attn_q", "linear"),
        (r"b\.(?P<block>\d+)\.k", "attn_k", "linear"),
        (r"b\.(?P<block>\d+)\.w1", "ffn_w1", "linear"),
        (r"proj", "subsampling", "linear"),
    ),
    aliases={"attention": ("attn_q", "attn_k"), "feed_forward": ("ffn_w1",)},
)
BLOCKS = 3
SLOTS = [
    LayerSlot(f"b.{b}.{n}", g, b, i, o, "linear", True)
    for b in range(BLOCKS)
    for n, g, i, o in (("q", "attn_q", 64, 64), ("k", "attn_k", 64, 64), ("w1", "ffn_w1", 64, 256))
] + [LayerSlot("proj", "subsampling", None, 1000, 64, "linear", True)]


def run(spec):
    return resolve(load_rank_map(spec, "encoder"), SLOTS, SCHEMA, BLOCKS)


def test_default_is_dense_and_ratio_of_min_side():
    r = run({"groups": {"attention": 0.25, "feed_forward": 0.5}})
    assert r["b.0.q"] == 16 and r["b.2.k"] == 16
    assert r["b.1.w1"] == 32  # 0.5 * min(64, 256)
    assert r["proj"] is None


def test_linear_schedule_over_depth_and_explicit_list():
    r = run({"groups": {"feed_forward": {"start": 0.25, "end": 0.5}, "attn_q": [4, "dense", 8]}})
    assert [r[f"b.{b}.w1"] for b in range(3)] == [16, 24, 32]
    assert [r[f"b.{b}.q"] for b in range(3)] == [4, None, 8]
    r = run({"groups": {"attention": {"start": 2, "end": 10}}})
    assert [r[f"b.{b}.q"] for b in range(3)] == [2, 6, 10]


def test_specific_group_beats_alias_and_layers_beat_groups():
    r = run(
        {
            "groups": {"attention": 0.25, "attn_k": 8},
            "layers": {"b.0.*": "dense", "proj": 10},
        }
    )
    assert r["b.1.q"] == 16 and r["b.1.k"] == 8
    assert r["b.0.q"] is None and r["b.0.k"] is None and r["b.0.w1"] is None
    assert r["proj"] == 10


def test_round_to_and_tiny_layers():
    r = run({"round_to": 8, "groups": {"attention": 0.3}})
    assert r["b.0.q"] == 16  # 0.3*64 = 19.2 -> 19 -> nearest multiple of 8
    tiny = [LayerSlot("b.0.q", "attn_q", 0, 2, 2, "linear", True)]
    spec = load_rank_map({"round_to": 64, "groups": {"attn_q": 0.01}}, "encoder")
    assert resolve(spec, tiny, SCHEMA, 1) == {"b.0.q": 2}  # capped at min(in, out)
    spec = load_rank_map({"groups": {"attn_q": 0.01}}, "encoder")
    assert resolve(spec, tiny, SCHEMA, 1) == {"b.0.q": 1}  # never 0


def test_default_value_applies_to_unlisted_layers():
    r = run({"default": 0.5, "groups": {"attention": "dense"}})
    assert r["b.0.q"] is None and r["b.0.w1"] == 32 and r["proj"] == 32


def test_opt_in_groups_are_set_only_by_name():
    schema = RankSchema(SCHEMA.part, SCHEMA.patterns, SCHEMA.aliases, opt_in=("subsampling",))
    default = load_rank_map({"default": 0.5}, "encoder")
    r = resolve(default, SLOTS, schema, BLOCKS)
    assert r["proj"] is None and r["b.0.w1"] == 32
    named = load_rank_map({"default": 0.5, "groups": {"subsampling": 8}}, "encoder")
    assert resolve(named, SLOTS, schema, BLOCKS)["proj"] == 8
    by_layer = load_rank_map({"layers": {"pro*": 4}}, "encoder")
    assert resolve(by_layer, SLOTS, schema, BLOCKS)["proj"] == 4
    # a resolved map may omit opt-in layers (dense), no other layer
    listed = {k: v or "dense" for k, v in r.items() if k != "proj"}
    assert resolve(load_rank_map({"resolved": listed}, "encoder"), SLOTS, schema, BLOCKS) == r
    with pytest.raises(RankMapError, match="resolved does not fit this model"):
        resolve(load_rank_map({"resolved": listed}, "encoder"), SLOTS, SCHEMA, BLOCKS)


def test_resolved_section_is_authoritative():
    full = run({"groups": {"attention": 0.25}})
    spec = {"groups": {"attention": 0.5}, "resolved": {k: v or "dense" for k, v in full.items()}}
    assert run(spec) == full


@pytest.mark.parametrize(
    "spec, message",
    [
        ({"groups": {"attn_z": 0.5}}, r"groups\.attn_z: unknown group"),
        ({"grups": {}}, r"unknown key\(s\) \['grups'\]"),
        ({"groups": {"attention": 0.0}}, r"groups\.attention: ratio must be in \(0, 1\]"),
        ({"groups": {"attention": 1.5}}, r"ratio must be in \(0, 1\], got 1.5"),
        ({"groups": {"attention": 0}}, r"rank must be >= 1, got 0"),
        ({"groups": {"attention": -3}}, r"rank must be >= 1"),
        ({"groups": {"attention": 65}}, r"rank 65 exceeds min\(in, out\) = 64"),
        ({"groups": {"attention": [1, 2]}}, r"list has 2 values but the model has 3 blocks"),
        ({"groups": {"attention": "low"}}, r"'low' is not a rank, a ratio or 'dense'"),
        ({"groups": {"attention": True}}, r"True is not a rank"),
        ({"groups": {"attention": {"start": 0.1}}}, r"linear schedule is \{start"),
        ({"groups": {"attention": {"start": 0.1, "end": 4}}}, r"must both be ratios or both ranks"),
        ({"groups": {"subsampling": [1, 2, 3]}}, r"global layer group takes a single value"),
        ({"layers": {"b.9.*": 4}}, r"layers\.b\.9\.\*: matches no factorizable layer"),
        ({"layers": {"b.0.q": 4, "b.0.*": 2}}, r"also set by"),
        ({"init": "xavier"}, r"init: 'xavier' is not one of"),
        ({"round_to": 0}, r"round_to: must be an int >= 1"),
        ({"resolved": {"b.0.q": 4}}, r"resolved does not fit this model"),
    ],
)
def test_bad_specs_name_key_and_value(spec, message):
    with pytest.raises(RankMapError, match=message):
        run(spec)


def test_group_without_layers_in_this_model_is_an_error():
    slots = [s for s in SLOTS if s.group != "attn_k"]
    spec = load_rank_map({"groups": {"attn_k": 0.5}}, "encoder")
    with pytest.raises(RankMapError, match="attn_k: matches no layer"):
        resolve(spec, slots, SCHEMA, BLOCKS)


def test_files_sections_and_presets(tmp_path):
    f = tmp_path / "map.yaml"
    f.write_text(yaml.safe_dump({"encoder": {"groups": {"attention": 8}}, "lm": {}}))
    assert run(str(f))["b.0.q"] == 8
    with pytest.raises(RankMapError, match="no 'decoder'"):
        load_rank_map(str(f), "decoder")
    plain = tmp_path / "plain.yaml"
    plain.write_text("groups: {feed_forward: 16}\n")
    assert run(str(plain))["b.2.w1"] == 16
    with pytest.raises(RankMapError, match="does not exist"):
        load_rank_map(str(tmp_path / "missing.yaml"), "encoder")
    bad = tmp_path / "bad.yaml"
    bad.write_text("groups: [1, 2\n")
    with pytest.raises(RankMapError, match="not valid YAML: line 2"):
        load_rank_map(str(bad), "encoder")
    with pytest.raises(RankMapError, match="neither a YAML file nor a preset"):
        load_rank_map("lr_smss", "encoder")
    assert {"lr_sms", "dense", "attention_only", "ffn_only", "uniform"} <= set(preset_names())
    for name in preset_names():
        for part in ("encoder", "decoder", "lm"):
            load_rank_map(name, part)  # every preset section loads and validates


def test_parts_outside_the_preset_sections_take_mappings_only():
    spec = load_rank_map({"groups": {"hidden": 0.25}}, "fusion", where="fusion_conf.rank_map")
    assert spec.groups == {"hidden": 0.25}
    assert load_rank_map(None, "fusion").default == "dense"
    with pytest.raises(RankMapError, match=r"fusion_conf\.rank_map: presets and rank-map files"):
        load_rank_map("lr_sms", "fusion", where="fusion_conf.rank_map")


@pytest.mark.parametrize(
    "value, message",
    [
        ([], r"^m: expected a mapping, got list$"),
        ({"grups": {}}, r"^m: unknown key\(s\) \['grups'\]; allowed: \['init', "),
        ({"init": "xavier"}, r"^m\.init: 'xavier' is not one of \('svd', 'spectral', 'random'\)$"),
        ({"round_to": True}, r"^m\.round_to: must be an int >= 1, got True$"),
        ({"groups": None}, r"^m\.groups: expected a mapping \(write \{\} for none\), got nothing"),
        ({"layers": 0}, r"^m\.layers: expected a mapping \(write \{\} for none\), got 0$"),
        ({"groups": {"a": 1}, "optional": ["b"]}, r"^m\.optional: .* groups \['a'\], got \['b'\]$"),
        ({"resolved": [1]}, r"^m\.resolved: expected a mapping, got \[1\]$"),
    ],
)
def test_spec_validation_names_where_key_and_value(value, message):
    with pytest.raises(RankMapError, match=message):
        RankMapSpec.from_dict(value, where="m")


def test_spec_defaults_copy_and_round_trip():
    groups = {"attention": {"start": 0.25, "end": 0.5}}
    spec = RankMapSpec.from_dict({"groups": groups}, where="encoder_conf.rank_map")
    groups["attention"]["end"] = 1.0  # the spec holds its own copy
    assert spec == RankMapSpec(groups={"attention": {"start": 0.25, "end": 0.5}})
    assert (spec.init, spec.round_to, spec.default, spec.optional) == ("svd", 1, "dense", [])
    assert spec.where == "encoder_conf.rank_map" and "where" not in spec.to_dict()
    assert "resolved" not in spec.to_dict()
    assert RankMapSpec.from_dict(spec.to_dict()) == spec
    assert load_rank_map(spec.to_dict(), "encoder") == spec


def test_plan_bundles_slots_ranks_blocks_and_spec_and_round_trips():
    spec = load_rank_map({"groups": {"attention": 0.25, "feed_forward": 64}}, "encoder")
    plan = RankPlan.resolve(spec, SLOTS, SCHEMA, BLOCKS)
    assert plan.slots == tuple(SLOTS) and plan.num_blocks == BLOCKS and plan.spec is spec
    assert plan.ranks == resolve(spec, SLOTS, SCHEMA, BLOCKS)
    assert [(s.name, r) for s, r in plan.factorized()] == [
        (s.name, plan.ranks[s.name]) for s in SLOTS if plan.ranks[s.name] is not None
    ]
    assert plan.params_dense == sum(s.params(None) for s in SLOTS)
    assert plan.params_lowrank == sum(s.params(plan.ranks[s.name]) for s in SLOTS)
    assert plan.no_saving() == [f"b.{b}.w1" for b in range(BLOCKS)]  # 64 (64 + 256) > 64 * 256
    saved = yaml.safe_load(yaml.safe_dump(plan.to_config()))
    assert saved["resolved"]["proj"] == "dense" and saved["groups"] == spec.groups
    again = RankPlan.resolve(load_rank_map(saved, "encoder"), SLOTS, SCHEMA, BLOCKS)
    assert again.ranks == plan.ranks and again.to_config() == plan.to_config()
    table = plan.table("encoder", total_params=plan.params_lowrank + 10)
    rows = [line.split() for line in table.splitlines()]
    assert ["b.0.w1", "256x64", "64", "16,640", "->", "20,736", "no", "saving"] in rows
    assert f"{plan.params_dense:,} -> {plan.params_lowrank:,} params" in table
