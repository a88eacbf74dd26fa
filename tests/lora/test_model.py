import pytest
import torch

from espnet_lowrank.lora.adapter import ADAPTER

DYN = dict(strategy="dynamic", r=1, init_r=3, total_step=10, tfinal=2)


def test_state_dict_holds_only_the_adapter(make_model):
    model = make_model(dict(r=2))
    sd = model.state_dict()
    assert "lora_progress" in sd
    assert all("lora_" in k for k in sd)
    assert len(sd) == 1 + 2 * 12


def test_save_base_lm_keeps_everything(make_model):
    model = make_model(dict(r=2), save_base_lm=True)
    sd = model.state_dict()
    assert "lm.decoder.weight" in sd and "lm.embed.weight" in sd


def test_missing_adapter_keys_are_an_error(make_model, make_lm):
    model = make_model(dict(r=2))
    plain = {"lm." + k: v for k, v in make_lm().state_dict().items()}
    with pytest.raises(RuntimeError, match="lacks 24 LoRA adapter keys"):
        model.load_state_dict(plain, strict=False)


def test_unknown_keys_are_an_error(make_model):
    model = make_model(dict(r=2))
    sd = model.state_dict()
    sd["lm.something_else"] = torch.zeros(1)
    with pytest.raises(RuntimeError, match="something_else"):
        model.load_state_dict(sd, strict=False)


def test_rank_mismatch_is_named(make_model):
    sd = make_model(dict(r=2)).state_dict()
    with pytest.raises(RuntimeError, match="checkpoint rank 2 != model rank 4"):
        make_model(dict(r=4)).load_state_dict(sd)


def test_dynamic_with_rank_pruned_to_zero_reloads(make_model, train):
    model = make_model(DYN)
    model.lora.set_total_step(10)
    train(model, 10)
    ranks = model.lora.finish()
    layers = model.lora.layers()
    # force one layer to rank 0 as AdaLoRA may do
    name = next(iter(layers))
    with torch.no_grad():
        layers[name].lora_E[ADAPTER].zero_()
    ranks[name] = 0
    sd = model.state_dict()
    fresh = make_model(DYN)
    fresh.load_state_dict(sd)
    assert fresh.lora.ranks() == ranks  # rank pattern rebuilt from the zeros of E
    x = torch.randint(2, 19, (2, 6))
    model.eval(), fresh.eval()
    with torch.no_grad():
        assert torch.allclose(model.lm(x, None)[0], fresh.lm(x, None)[0], atol=1e-6)
    assert len(ranks) == 12


def test_forward_adds_orth_reg_only_for_dynamic(make_model):
    x = torch.randint(2, 19, (2, 5))
    lens = torch.tensor([5, 4])
    _, stats, _ = make_model(DYN)(x, lens)
    assert "orth_reg" in stats and stats["orth_reg"] > 0
    _, stats, _ = make_model(dict(r=2))(x, lens)
    assert "orth_reg" not in stats
