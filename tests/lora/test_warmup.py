import torch

from espnet_lowrank.lora.adapter import ADAPTER
from espnet_lowrank.lora.warmup import delta_weight, resize_layer, truncate_layer

WARM = dict(strategy="warmup", r=2, r_high=6, warmup_steps=4)


def _randomize(model, seed=1):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for layer in model.lora.layers().values():
            for mod in (layer.lora_A[ADAPTER], layer.lora_B[ADAPTER]):
                mod.weight.copy_(torch.randn(mod.weight.shape, generator=g))


def test_truncation_is_the_best_rank_r_approximation(make_model):
    model = make_model(WARM)
    _randomize(model)
    layer = model.lora.layers()["encoder.encoders.0.feed_forward.w_1"]
    before = delta_weight(layer, ADAPTER).double()
    u, s, vh = torch.linalg.svd(before, full_matrices=False)
    best = (u[:, :2] * s[:2]) @ vh[:2]
    truncate_layer(layer, ADAPTER, 2, lora_alpha=4.0)
    after = delta_weight(layer, ADAPTER).double()
    assert layer.r[ADAPTER] == 2 and layer.scaling[ADAPTER] == 2.0
    assert layer.lora_A[ADAPTER].weight.shape == (2, 16)
    assert layer.lora_B[ADAPTER].weight.shape == (32, 2)
    assert torch.allclose(after, best, atol=1e-4)
    # Eckart-Young: the error is the norm of the dropped singular values
    err = torch.linalg.norm(before - after)
    assert torch.isclose(err, torch.linalg.norm(s[2:]), rtol=1e-4)
    # sqrt(S) on each side: the factors are balanced
    a, b = layer.lora_A[ADAPTER].weight, layer.lora_B[ADAPTER].weight
    assert torch.allclose(a.norm(dim=1), b.norm(dim=0), rtol=1e-4)


def test_warmup_rank_drops_at_the_step_and_training_continues(make_model, train):
    model = make_model(WARM)
    assert set(model.lora.ranks().values()) == {6}
    opt = train(model, 3)
    assert set(model.lora.ranks().values()) == {6}
    opt = train(model, 1)  # 4th optimizer step: truncation
    assert model.lora.truncated
    assert set(model.lora.ranks().values()) == {2}
    current = {id(p) for p in model.parameters() if p.requires_grad}
    # the test's optimizer of the last call was re-pointed at the new factors
    in_opt = {id(p) for g in opt.param_groups for p in g["params"]}
    assert current == in_opt
    train(model, 3)  # backward works with the new shapes
    assert model.lora.finish() == {n: 2 for n in model.lora.layers()}


def test_warmup_never_truncated_is_an_error(make_model, train):
    model = make_model(WARM)
    train(model, 2)
    try:
        model.lora.finish()
    except RuntimeError as e:
        assert "never truncated" in str(e)
    else:
        raise AssertionError("finish() accepted an untruncated warm-up")


def test_truncated_checkpoint_reloads_into_a_fresh_model(make_model, train):
    model = make_model(WARM)
    train(model, 5)
    state = model.state_dict()
    fresh = make_model(WARM)  # same base LM; adapter only comes from the file
    fresh.load_state_dict(state)
    assert set(fresh.lora.ranks().values()) == {2} and fresh.lora.truncated
    assert fresh.lora.global_step == 5
    x = torch.randint(2, 19, (2, 5))
    model.eval(), fresh.eval()
    assert torch.allclose(model.lm(x, None)[0], fresh.lm(x, None)[0], atol=1e-6)


def test_resize_layer_sets_shapes(make_model):
    model = make_model(WARM)
    layer = next(iter(model.lora.layers().values()))
    swaps = resize_layer(layer, ADAPTER, 3, lora_alpha=6.0)
    assert [new.shape for _, new in swaps] == [(3, 16), (16, 3)]
    assert layer.scaling[ADAPTER] == 2.0


def test_truncate_state_dict_matches_layer_truncation(make_model):
    from espnet_lowrank.lora.warmup import truncate_state_dict

    model = make_model(WARM)
    _randomize(model)
    state = {k: v.clone() for k, v in model.state_dict().items()}
    c = model.lora.conf
    n = truncate_state_dict(state, ADAPTER, c.r, c.alpha_high / c.r_high, c.lora_alpha / c.r)
    assert n == 12
    model.lora.truncate()
    for k, v in model.state_dict().items():
        if "lora_" in k and k != "lora_progress":
            assert torch.allclose(state[k], v, atol=1e-6), k
    assert truncate_state_dict(state, ADAPTER, c.r, 1.0, 1.0) == 0  # already rank r
