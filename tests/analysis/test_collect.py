"""Walking a model: merged weights of factorized layers, strict loading, clear errors."""

import re

import pytest
import torch
import yaml
from torch import nn

from espnet_lowrank.analysis.collect import (
    AnalysisError,
    analyse_model,
    epoch_checkpoints,
    load_model,
    read_state_dict,
)
from espnet_lowrank.analysis.measures import effective_ranks
from espnet_lowrank.asr.lowrank_conformer_encoder import ENCODER_SCHEMA
from espnet_lowrank.layers import LowRankLayer
from espnet_lowrank.rank_map import find_slots

ALL = ["stable", "energy90", "energy95", "energy99", "entropy"]


def test_lowrank_model_is_measured_through_its_merged_weights(lowrank_asr):
    model = load_model(lowrank_asr["config"], lowrank_asr["model"], "asr")
    saved = torch.load(lowrank_asr["model"])
    for k, v in model.state_dict().items():
        torch.testing.assert_close(v, saved[k], rtol=0, atol=0)
    analysis = analyse_model(model, "asr", ALL)
    assert set(analysis.parts) == {"encoder", "decoder"}
    factorized = 0
    for part, la in analysis.layers():
        sub = getattr(model, part).get_submodule(la.slot.name)
        if isinstance(sub, LowRankLayer):
            factorized += 1
            assert la.rank == sub.rank
            direct = torch.linalg.svdvals(sub.U.detach().double() @ sub.V.detach().double())
            torch.testing.assert_close(
                torch.tensor(la.singular_values, dtype=torch.float64), direct
            )
            want = effective_ranks(direct, ALL)
            assert la.values == pytest.approx(want, rel=1e-9)
            assert la.values["energy99"] <= sub.rank  # U V has rank <= r
            assert max(la.singular_values[sub.rank :], default=0.0) < 1e-5
        else:
            assert la.rank is None
        for m in ALL:
            assert la.ratio(m) == pytest.approx(la.values[m] / min(sub_shape(la)))
    assert factorized > 0
    assert any(la.rank is None for _, la in analysis.layers())  # output_layer stays dense


def f64(values):
    return torch.tensor(values, dtype=torch.float64)


def sub_shape(la):
    return (la.slot.in_features, la.slot.out_features)


def test_dense_model_covers_every_schema_layer_including_pointwise_convs(dense_asr):
    model = load_model(dense_asr["config"], dense_asr["model"], "asr")
    analysis = analyse_model(model, "asr", ["energy95"])
    enc = analysis.parts["encoder"]
    assert enc.num_blocks == 3
    assert [la.slot.name for la in enc.layers] == [
        s.name for s in find_slots(model.encoder, ENCODER_SCHEMA)
    ]
    assert all(la.rank is None for la in enc.layers)
    conv = next(la for la in enc.layers if la.slot.group == "conv_pw1")
    w = model.encoder.get_submodule(conv.slot.name).weight[:, :, 0].double()
    torch.testing.assert_close(
        torch.tensor(conv.singular_values, dtype=torch.float64), torch.linalg.svdvals(w)
    )
    assert [la.slot.block for la in enc.group_layers("attn_q")] == [0, 1, 2]


def test_config_that_does_not_match_the_checkpoint_names_the_keys(dense_asr, lowrank_asr):
    with pytest.raises(AnalysisError) as e:
        load_model(lowrank_asr["config"], dense_asr["model"], "asr")
    msg = str(e.value)
    assert str(dense_asr["model"]) in msg and str(lowrank_asr["config"]) in msg
    assert "missing from the checkpoint" in msg and "unexpected key(s)" in msg
    assert re.search(r"missing from the checkpoint: [^;]*decoder\.decoders\.0\.\S*\.U\b", msg)
    assert re.search(r"unexpected key\(s\) in the checkpoint: [^;]*\.weight\b", msg)
    assert "factorized (U, V) in the config's model but dense in the checkpoint" in msg
    with pytest.raises(AnalysisError, match="factorized in the checkpoint but dense"):
        load_model(dense_asr["config"], lowrank_asr["model"], "asr")


def test_shape_mismatch_names_the_key(dense_asr, tmp_path):
    state = torch.load(dense_asr["model"])
    state["encoder.encoders.1.feed_forward.w_1.weight"] = torch.zeros(3, 3)
    bad = tmp_path / "bad.pth"
    torch.save(state, bad)
    with pytest.raises(AnalysisError, match=r"shape mismatch.*encoders\.1\.feed_forward\.w_1"):
        load_model(dense_asr["config"], bad, "asr")


def test_bad_files_get_clear_errors(dense_asr, tmp_path):
    with pytest.raises(AnalysisError, match="model file .*nope.pth.* does not exist"):
        load_model(dense_asr["config"], tmp_path / "nope.pth", "asr")
    with pytest.raises(AnalysisError, match="config file .*nope.yaml.* does not exist"):
        load_model(tmp_path / "nope.yaml", dense_asr["model"], "asr")
    torch.save([1, 2], tmp_path / "list.pth")
    with pytest.raises(AnalysisError, match="list.pth. holds a list, not a state dict"):
        read_state_dict(tmp_path / "list.pth")
    (tmp_path / "junk.pth").write_text("not a pickle")
    with pytest.raises(AnalysisError, match="junk.pth. cannot be read as PyTorch weights"):
        read_state_dict(tmp_path / "junk.pth")
    lm_cfg = tmp_path / "lm.yaml"
    lm_cfg.write_text(yaml.safe_dump({"lm": "transformer", "lm_conf": {}}))
    with pytest.raises(AnalysisError, match="--task lm"):
        load_model(lm_cfg, dense_asr["model"], "asr")
    with pytest.raises(AnalysisError, match="--task asr"):
        load_model(dense_asr["config"], dense_asr["model"], "lm")


def test_training_checkpoint_uses_its_model_entry(dense_asr, tmp_path):
    state = torch.load(dense_asr["model"])
    torch.save({"model": state, "optimizers": [{}], "reporter": {}}, tmp_path / "checkpoint.pth")
    assert read_state_dict(tmp_path / "checkpoint.pth").keys() == state.keys()


def test_model_without_schema_layers_is_an_error():
    class Other(nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder = nn.Sequential(nn.Linear(4, 4))

    with pytest.raises(AnalysisError, match="no layer the rank-map schemas list"):
        analyse_model(Other(), "asr", ["stable"])


def test_non_finite_weight_names_the_layer(dense_asr):
    model = load_model(dense_asr["config"], dense_asr["model"], "asr")
    with torch.no_grad():
        model.encoder.encoders[2].feed_forward.w_2.weight[0, 0] = float("nan")
    with pytest.raises(AnalysisError, match=r"encoder\.encoders\.2\.feed_forward\.w_2.*non-finite"):
        analyse_model(model, "asr", ["stable"])


def test_epoch_checkpoints_sorted_numerically(tmp_path):
    for name in ("10epoch.pth", "2epoch.pth", "1epoch.pth", "checkpoint.pth", "valid.acc.best.pth"):
        (tmp_path / name).write_bytes(b"")
    assert [e for e, _ in epoch_checkpoints(tmp_path)] == [1, 2, 10]
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(AnalysisError, match="no <N>epoch.pth"):
        epoch_checkpoints(empty)
    with pytest.raises(AnalysisError, match="does not exist"):
        epoch_checkpoints(tmp_path / "missing")


def test_lm_parts_follow_the_lm_schema():
    from espnet_lowrank.lm.lowrank_transformer_lm import LowRankTransformerLM

    class LMModel(nn.Module):  # ESPnet's ESPnetLanguageModel keeps the LM as ``.lm``
        def __init__(self):
            super().__init__()
            self.lm = LowRankTransformerLM(
                vocab_size=12, pos_enc=None, embed_unit=8, att_unit=16, head=2, unit=32,
                layer=3, rank_map="lr_sms",
            )  # fmt: skip

    model = LMModel()
    analysis = analyse_model(model, "lm", ["energy99"])
    pa = analysis.parts["lm"]
    assert pa.num_blocks == 3
    assert set(pa.groups()) == {"attn_q", "attn_k", "attn_v", "attn_out", "ffn_w1", "ffn_w2",
                                "embed_proj", "output_layer"}  # fmt: skip
    ranks = {la.slot.name: la.rank for la in pa.layers}
    assert ranks["encoder.encoders.0.feed_forward.w_1"] is None  # lr_sms: first FFN dense
    assert ranks["encoder.encoders.1.feed_forward.w_1"] == 8
    assert all(la.values["energy99"] <= (la.rank or la.slot.max_rank) for la in pa.layers)
