import pytest

from espnet_lowrank.lora.targets import (
    expand_braces,
    resolve_rank_pattern,
    resolve_targets,
)


def test_expand_braces():
    assert expand_braces("a.linear_{q,k}.w_{1,2}") == [
        "a.linear_q.w_1",
        "a.linear_q.w_2",
        "a.linear_k.w_1",
        "a.linear_k.w_2",
    ]


def test_resolve_targets_attention_and_ffn(make_lm):
    lm = make_lm()
    t = resolve_targets(
        lm,
        [
            "encoder.encoders.*.self_attn.linear_{q,k,v,out}",
            "encoder.encoders.*.feed_forward.w_{1,2}",
        ],
    )
    assert len(t) == 2 * 6
    assert "encoder.encoders.1.feed_forward.w_2" in t
    assert "decoder" not in t


def test_pattern_matching_nothing_is_named(make_lm):
    with pytest.raises(ValueError, match="encoder.encoders.*.src_attn"):
        resolve_targets(make_lm(), ["encoder.encoders.*.src_attn.linear_q"])


def test_pattern_matching_a_non_linear_is_an_error(make_lm):
    with pytest.raises(ValueError, match="not nn.Linear"):
        resolve_targets(make_lm(), ["encoder.encoders.*.self_attn"])


TARGETS = [f"encoder.encoders.{i}.self_attn.linear_{p}" for i in (0, 1) for p in "qk"]


def test_rank_pattern_resolves_each_target():
    r = resolve_rank_pattern(TARGETS, {"encoder.encoders.0.*": 2, "encoder.encoders.1.*": 6})
    assert r["encoder.encoders.0.self_attn.linear_k"] == 2
    assert r["encoder.encoders.1.self_attn.linear_q"] == 6


def test_coverage_gap_names_the_layer():
    with pytest.raises(ValueError, match=r"encoder\.encoders\.1\.self_attn\.linear_q"):
        resolve_rank_pattern(
            TARGETS, {"encoder.encoders.0.*": 2, "encoder.encoders.1.*.linear_k": 4}
        )


def test_pattern_matching_no_target_is_named():
    with pytest.raises(ValueError, match="encoders.7"):
        resolve_rank_pattern(TARGETS, {"*": 2, "encoder.encoders.7.*": 4})


def test_overlapping_patterns_are_an_error():
    with pytest.raises(ValueError, match="two rank_pattern keys"):
        resolve_rank_pattern(TARGETS, {"*": 2, "*.linear_q": 4})


def test_rank_must_be_positive():
    with pytest.raises(ValueError, match=">= 1"):
        resolve_rank_pattern(TARGETS, {"*": 0})
