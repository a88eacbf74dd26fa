"""python -m espnet_lowrank.bin.rank_analysis: files out, suggestion that builds, clear errors."""

import argparse
import json
import sys

import pytest
import torch
import yaml

from espnet_lowrank.bin import rank_analysis
from espnet_lowrank.layers.lowrank_linear import svd_factors

from ..hang_guard import guarded_run

PNG = b"\x89PNG\r\n\x1a\n"


def run(argv):
    return rank_analysis.main([str(a) for a in argv])


def test_analysis_and_budgeted_suggestion_that_builds(dense_asr, tmp_path):
    out = tmp_path / "out"
    written = run(
        [dense_asr["model"], "--config", dense_asr["config"], "--out_dir", out,
         "--suggest", "energy95", "--param_ratio", 0.5, "--round_to", 2]
    )  # fmt: skip
    names = {p.name for p in written}
    assert {"rank_analysis.txt", "rank_analysis.json", "suggested_rank_map.yaml"} <= names
    for m in ("stable", "energy90", "energy95", "energy99", "entropy"):
        assert f"rank_by_depth_{m}.png" in names
    assert {"spectra_encoder.png", "spectra_decoder.png"} <= names
    for p in written:
        assert p.exists() and p.stat().st_size > 0
        if p.suffix == ".png":
            assert p.read_bytes()[:8] == PNG

    report = json.loads((out / "rank_analysis.json").read_text())
    layers = {(x["part"], x["name"]): x for x in report["layers"]}
    q = layers[("encoder", "encoders.2.self_attn.linear_q")]
    assert q["rank"] == "dense" and len(q["singular_values"]) == 16
    assert q["ratios"]["stable"] == pytest.approx(q["values"]["stable"] / 16)
    w = dense_asr["module"].encoder.encoders[2].self_attn.linear_q.weight.detach().double()
    s = torch.linalg.svdvals(w)
    assert q["values"]["stable"] == pytest.approx(float((s**2).sum() / s[0] ** 2))
    assert "encoder" in report["depth_trends"]
    sug = report["suggestion"]
    assert sug["achieved"] <= 0.5 and 0.5 - sug["achieved"] <= sug["step"] + 1e-12

    table = (out / "rank_analysis.txt").read_text()
    assert "encoders.2.self_attn.linear_q" in table and "Depth trend per group" in table
    text = (out / "suggested_rank_map.yaml").read_text()
    assert "# command: python -m espnet_lowrank.bin.rank_analysis" in text
    assert "--param_ratio 0.5" in text and f"ratio {sug['achieved']:.4f}" in text

    # the suggested map builds the low-rank ASR model with exactly the counted ranks
    from espnet_lowrank.tasks.asr import LowRankASRTask

    cfg = yaml.safe_load(dense_asr["config"].read_text())
    for part in ("encoder", "decoder"):
        cfg[f"{part}_conf"]["rank_map"] = str(out / "suggested_rank_map.yaml")
    model = LowRankASRTask.build_model(argparse.Namespace(**cfg))
    for part in ("encoder", "decoder"):
        built = getattr(model, part).rank_plan.ranks
        assert built == sug["ranks"][part]
    assert any(r is not None for r in model.encoder.rank_plan.ranks.values())


def test_energy_threshold_without_budget(dense_asr, tmp_path):
    run([dense_asr["model"], "--config", dense_asr["config"], "--out_dir", tmp_path,
         "--measure", "stable", "--energy", 0.9])  # fmt: skip
    report = json.loads((tmp_path / "rank_analysis.json").read_text())
    assert report["measures"] == ["stable", "energy90"]
    assert report["suggestion"]["measure"] == "energy90"
    assert report["suggestion"]["scale"] == 1.0 and report["suggestion"]["param_ratio"] is None


def test_checkpoints_give_the_emergence_curve(dense_asr, tmp_path, caplog):
    exp = tmp_path / "exp"
    exp.mkdir()
    (exp / "config.yaml").write_text(dense_asr["config"].read_text())
    state = torch.load(dense_asr["model"])
    torch.save(state, exp / "1epoch.pth")
    low = dict(state)
    for b in range(3):  # epoch 2: every encoder ffn_w1 truncated to rank 2
        key = f"encoder.encoders.{b}.feed_forward.w_1.weight"
        u, v = svd_factors(state[key], 2)
        low[key] = u @ v
    torch.save(low, exp / "2epoch.pth")
    torch.save(low, exp / "4epoch.pth")  # epoch 3 deleted, as --keep_nbest_models does
    out = tmp_path / "out"
    with caplog.at_level("WARNING"):
        written = run(["--checkpoints", exp, "--out_dir", out, "--measure", "energy99,entropy"])
    assert "no checkpoint for epoch(s) [3]" in caplog.text
    assert {p.name for p in written} == {
        "rank_emergence.json", "rank_emergence_energy99.png", "rank_emergence_entropy.png"
    }  # fmt: skip
    em = json.loads((out / "rank_emergence.json").read_text())
    assert em["epochs"] == [1, 2, 4]
    ffn = em["groups"]["encoder"]["ffn_w1"]["energy99"]
    assert ffn[0] > 2 / 16 and ffn[1] <= 2 / 16 and ffn[2] == ffn[1]
    assert em["groups"]["encoder"]["attn_q"]["energy99"][0] == pytest.approx(
        em["groups"]["encoder"]["attn_q"]["energy99"][1]
    )
    assert len(em["layers"]["encoder.encoders.0.feed_forward.w_1"]["entropy"]) == 3


def test_runtime_errors_exit_with_a_message(dense_asr, lowrank_asr, tmp_path):
    with pytest.raises(SystemExit) as e:
        run([tmp_path / "missing.pth", "--config", dense_asr["config"], "--out_dir", tmp_path])
    assert "rank_analysis: error:" in str(e.value.code) and "missing.pth" in str(e.value.code)
    with pytest.raises(SystemExit) as e:
        run([dense_asr["model"], "--config", lowrank_asr["config"], "--out_dir", tmp_path])
    assert "does not match the model built from config" in str(e.value.code)
    assert ".U" in str(e.value.code)
    with pytest.raises(SystemExit) as e:
        run(["--checkpoints", tmp_path / "nothing", "--out_dir", tmp_path])
    assert "nothing" in str(e.value.code)


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--suggest", "energy95", "--param_ratio", "1.5"], r"--param_ratio must be in \(0, 1\]"),
        (["--suggest", "energy95", "--param_ratio", "0"], r"--param_ratio must be in \(0, 1\]"),
        (["--param_ratio", "0.5"], "--param_ratio needs --suggest"),
        (["--energy", "0.9", "--suggest", "stable"], "means energy90"),
        (["--measure", "rankiness"], "unknown effective-rank measure 'rankiness'"),
        (["--energy", "0.9", "--param_ratio", "0.5"], "not allowed with argument"),
    ],
)
def test_bad_arguments(dense_asr, tmp_path, capsys, extra, message):
    with pytest.raises(SystemExit) as e:
        run([dense_asr["model"], "--config", dense_asr["config"], "--out_dir", tmp_path, *extra])
    assert e.value.code == 2
    import re

    assert re.search(message, capsys.readouterr().err)


def test_model_or_checkpoints_exactly_one(dense_asr, tmp_path, capsys):
    with pytest.raises(SystemExit):
        run(["--out_dir", tmp_path])
    assert "either MODEL" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        run([dense_asr["model"], "--out_dir", tmp_path])
    assert "MODEL needs --config" in capsys.readouterr().err


@pytest.mark.slow
def test_command_line_end_to_end(lowrank_asr, tmp_path):
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "espnet_lowrank.bin.rank_analysis", str(lowrank_asr["model"]),
           "--config", str(lowrank_asr["config"]), "--out_dir", str(out),
           "--suggest", "entropy", "--param_ratio", "0.4"]  # fmt: skip
    proc = guarded_run(cmd, capture_output=True, text=True, timeout=3600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    for name in ("rank_analysis.txt", "rank_analysis.json", "suggested_rank_map.yaml",
                 "rank_by_depth_entropy.png", "spectra_encoder.png"):  # fmt: skip
        assert (out / name).stat().st_size > 0
    assert f"wrote {out / 'rank_analysis.txt'}" in proc.stdout
    bad = guarded_run(cmd[:3] + [str(tmp_path / "nope.pth")] + cmd[4:],
                         capture_output=True, text=True, timeout=3600)  # fmt: skip
    assert bad.returncode == 2
    assert "rank_analysis: error: model file" in bad.stderr and "nope.pth" in bad.stderr


def test_lm_task(tmp_path):
    from espnet_lowrank.tasks.lm import LowRankLMTask

    (tmp_path / "tokens.txt").write_text("\n".join(["<blank>", "<unk>", "A", "B", "<sos/eos>"]))
    cfg = {
        "token_list": str(tmp_path / "tokens.txt"),
        "lm": "lowrank_transformer",
        "lm_conf": {"pos_enc": None, "embed_unit": 8, "att_unit": 16, "head": 2, "unit": 32,
                    "layer": 3, "rank_map": "lr_sms"},
    }  # fmt: skip
    (tmp_path / "train.yaml").write_text(yaml.safe_dump(cfg))
    args = LowRankLMTask.get_parser().parse_args(["--config", str(tmp_path / "train.yaml")])
    model = LowRankLMTask.build_model(args)
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(vars(args)))
    torch.save(model.state_dict(), tmp_path / "model.pth")
    out = tmp_path / "out"
    run([tmp_path / "model.pth", "--config", tmp_path / "config.yaml", "--task", "lm",
         "--out_dir", out, "--measure", "entropy", "--suggest", "entropy", "--param_ratio", 0.6,
         "--dense_groups", "embed_proj,output_layer"])  # fmt: skip
    assert (out / "spectra_lm.png").exists()
    suggested = yaml.safe_load((out / "suggested_rank_map.yaml").read_text())
    assert set(suggested) == {"lm"} and suggested["lm"]["init"] == "spectral"
    assert suggested["lm"]["groups"]["output_layer"] == "dense"
    report = json.loads((out / "rank_analysis.json").read_text())
    assert report["suggestion"]["achieved"] <= 0.6
    cfg2 = yaml.safe_load((tmp_path / "config.yaml").read_text())
    cfg2["lm_conf"]["rank_map"] = str(out / "suggested_rank_map.yaml")
    built = LowRankLMTask.build_model(argparse.Namespace(**cfg2))
    assert built.lm.rank_plan.ranks == report["suggestion"]["ranks"]["lm"]
    assert built.lm.rank_plan.spec.init == "spectral"
