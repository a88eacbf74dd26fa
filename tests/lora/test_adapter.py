import pytest
import torch

from espnet_lowrank.lora.adapter import ADAPTER, LoRAAdapter
from espnet_lowrank.lora.config import LoRAConf

CONFS = {
    "vanilla": dict(strategy="vanilla", r=2),
    "dynamic": dict(strategy="dynamic", r=2, init_r=4, total_step=12, tfinal=2),
    "warmup": dict(strategy="warmup", r=2, r_high=6, warmup_steps=4),
    "mixed": dict(
        strategy="mixed",
        r=2,
        rank_pattern={"encoder.encoders.0.*": 1, "encoder.encoders.1.*": 3},
    ),
}


def _base_state(model):
    return {
        k: v.clone()
        for k, v in model.lm.state_dict().items()
        if "lora_" not in k and "ranknum" not in k
    }


@pytest.mark.parametrize("strategy", sorted(CONFS))
def test_base_frozen_and_bit_identical_after_training(strategy, make_model, train):
    model = make_model(CONFS[strategy])
    model.lora.set_total_step(12)
    before = _base_state(model)
    adapter_before = {k: v.clone() for k, v in model.lm.state_dict().items() if "lora_" in k}
    train(model, 12)
    after = _base_state(model)
    assert before.keys() == after.keys() and len(before) > 0
    for k in before:
        assert torch.equal(before[k], after[k]), k
    for n, p in model.lm.named_parameters():
        assert p.requires_grad == ("lora_" in n), n
    changed = [
        k
        for k, v in model.lm.state_dict().items()
        if k in adapter_before
        and v.shape == adapter_before[k].shape
        and not torch.equal(v, adapter_before[k])
    ]
    assert changed or strategy == "warmup"  # warm-up replaced every factor


def test_dynamic_ranks_move_after_allocation(make_model, train):
    model = make_model(CONFS["dynamic"])
    model.lora.set_total_step(12)
    assert set(model.lora.ranks().values()) == {4}
    train(model, 12)
    ranks = model.lora.finish()
    assert set(ranks.values()) != {4}
    # budget: AdaLoRA prunes to an average of target_r = r
    assert sum(ranks.values()) == 2 * len(ranks)
    # pruned singular values are zero in the weights
    for n, layer in model.lora.layers().items():
        assert int((layer.lora_E[ADAPTER] != 0).sum()) <= ranks[n]


def test_dynamic_guard_when_ranks_never_move(make_model):
    model = make_model(CONFS["dynamic"])
    model.lora.set_total_step(12)
    with pytest.raises(RuntimeError, match="no importance scores"):
        model.lora.finish()
    # allocation state lost (e.g. schedule never reached): ranks stay at init_r
    model.lora.global_step = 12
    with pytest.raises(RuntimeError, match="never moved any rank from init_r=4"):
        model.lora.finish()


def test_dynamic_schedule_without_budget_phase_is_an_error(make_model):
    model = make_model(dict(strategy="dynamic", r=2, init_r=4, tinit=5, tfinal=5))
    with pytest.raises(ValueError, match="no budgeting phase"):
        model.lora.set_total_step(10)


def test_mixed_ranks_follow_the_pattern(make_model):
    model = make_model(CONFS["mixed"])
    for name, r in model.lora.ranks().items():
        assert r == (1 if name.startswith("encoder.encoders.0.") else 3), name
    # scaling lora_alpha / r is the same for every layer
    scalings = {layer.scaling[ADAPTER] for layer in model.lora.layers().values()}
    assert scalings == {16.0 / 2}


def test_param_counts_match_formula(make_lm):
    lm = make_lm()
    base = sum(p.numel() for p in lm.parameters())
    a = LoRAAdapter(lm, LoRAConf.from_dict(dict(r=3)))
    # 8 attention linears 16x16 and 4 FFN linears 16<->32
    expected = 3 * (8 * (16 + 16) + 4 * (16 + 32))
    c = a.param_counts()
    assert c == dict(trainable=expected, total=base + expected, base=base, effective=expected)
    assert a.vanilla_budget() == expected
    line = a.report().splitlines()[-1]
    assert f"trainable {expected:,} / total {base + expected:,}" in line


def test_targets_subset_only_those_layers(make_lm):
    lm = make_lm()
    a = LoRAAdapter(lm, LoRAConf.from_dict(dict(target_modules=["*.linear_v"])))
    assert sorted(a.layers()) == [
        "encoder.encoders.0.self_attn.linear_v",
        "encoder.encoders.1.self_attn.linear_v",
    ]
