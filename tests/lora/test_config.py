import pytest

from espnet_lowrank.lora.config import STRATEGIES, LoRAConf


def test_unknown_strategy_lists_valid_ones():
    with pytest.raises(ValueError) as e:
        LoRAConf.from_dict({"strategy": "fancy"})
    for s in STRATEGIES:
        assert s in str(e.value)


def test_key_of_another_strategy_is_an_error():
    with pytest.raises(ValueError, match="r_high"):
        LoRAConf.from_dict({"strategy": "vanilla", "r_high": 16})


def test_unknown_key_is_named():
    with pytest.raises(ValueError, match="rnak"):
        LoRAConf.from_dict({"rnak": 4})


def test_dynamic_needs_room_to_move():
    with pytest.raises(ValueError, match="init_r"):
        LoRAConf.from_dict({"strategy": "dynamic", "r": 8, "init_r": 8})


def test_warmup_needs_exactly_one_schedule():
    with pytest.raises(ValueError, match="exactly one"):
        LoRAConf.from_dict({"strategy": "warmup", "r": 2, "r_high": 8})
    with pytest.raises(ValueError, match="exactly one"):
        LoRAConf.from_dict(
            {"strategy": "warmup", "r": 2, "r_high": 8, "warmup_steps": 2, "warmup_epochs": 1}
        )


def test_warmup_alpha_keeps_the_scaling_ratio():
    c = LoRAConf.from_dict(
        {"strategy": "warmup", "r": 2, "r_high": 8, "lora_alpha": 4, "warmup_steps": 1}
    )
    assert c.alpha_high / c.r_high == pytest.approx(c.lora_alpha / c.r)


def test_fraction_steps_resolve_against_total():
    c = LoRAConf.from_dict({"strategy": "dynamic", "r": 2, "init_r": 4, "tfinal": 0.25})
    assert c.resolve_step(c.tfinal, 40) == 10
    assert c.resolve_step(3, 40) == 3


def test_to_dict_round_trips():
    c = LoRAConf.from_dict({"strategy": "mixed", "rank_pattern": {"a*": 2}})
    assert LoRAConf.from_dict(c.to_dict()) == c
