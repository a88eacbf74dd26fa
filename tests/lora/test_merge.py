import pytest
import torch

from espnet_lowrank.lora.merge import merge_lora

CONFS = [
    dict(strategy="vanilla", r=2),
    dict(strategy="dynamic", r=2, init_r=4, total_step=8, tfinal=2),
    dict(strategy="mixed", r=2, rank_pattern={"*.self_attn.*": 1, "*.feed_forward.*": 4}),
]


@pytest.mark.parametrize("conf", CONFS, ids=lambda c: c["strategy"])
def test_merged_scores_equal_unmerged(conf, make_model, make_lm, train):
    model = make_model(conf)
    model.lora.set_total_step(8)
    train(model, 8)
    model.eval()
    merged = merge_lora(model.lm)
    plain = make_lm()
    assert set(merged.state_dict()) == set(plain.state_dict())
    assert all(
        type(m) is not type(model.lm.encoder.encoders[0].self_attn.linear_q)
        for m in merged.modules()
    )
    x = torch.randint(2, 19, (3, 7))
    with torch.no_grad():
        a = model.lm(x, None)[0].log_softmax(-1)
        b = merged(x, None)[0].log_softmax(-1)
    assert torch.allclose(a, b, atol=1e-5)
    # adapter actually changed the LM, so the equality is not trivial
    plain.load_state_dict(
        {
            k.replace(".base_layer", ""): v
            for k, v in model.lm.state_dict().items()
            if "lora_" not in k and "ranknum" not in k
        }
    )
    with torch.no_grad():
        c = plain.eval()(x, None)[0].log_softmax(-1)
    assert not torch.allclose(a, c, atol=1e-4)


def test_merge_leaves_the_source_unmerged(make_model):
    model = make_model(dict(r=2))
    merge_lora(model.lm)
    assert not any(getattr(m, "merged", False) for m in model.lm.modules())


def test_merge_without_adapters_is_an_error(make_lm):
    with pytest.raises(ValueError, match="no LoRA layers"):
        merge_lora(make_lm())
