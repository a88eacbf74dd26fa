"""``bench train --asr_configs FULL LOWRANK``: the step of two recipe configs' models."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from espnet_lowrank.bench import memory, models, train
from espnet_lowrank.bin import bench
from espnet_lowrank.count_params import count_config

REPO = Path(__file__).resolve().parents[2]
MINI_CONF = REPO / "egs2/mini_lowrank/asr1/conf"


def _tokens(path: Path, vocab: int) -> Path:
    path.write_text("\n".join(models.token_list(vocab)) + "\n", encoding="utf-8")
    return path


def test_mini_recipe_configs_are_timed_as_training_builds_them(tmp_path):
    tokens = _tokens(tmp_path / "tokens.txt", 300)
    out = tmp_path / "out.json"
    argv = ["train", "--asr_configs", str(MINI_CONF / "train_asr_full.yaml"),
            str(MINI_CONF / "train_asr_lr_sms.yaml"), "--token_list", str(tokens),
            "--no_memory", "--batch", "1", "--seconds", "0.5", "--repeats", "1",
            "--warmup", "0", "--allow_few_repeats", "--threads", "1",
            "--json", str(out)]  # fmt: skip
    (rec,) = bench.main(argv)
    assert json.loads(out.read_text())[0]["speedup"] == rec["speedup"]
    # the parameter counts are those of the configs, counted independently (meta device)
    for key, name in (("dense", "train_asr_full.yaml"), ("lowrank", "train_asr_lr_sms.yaml")):
        counts = count_config(MINI_CONF / name, extra_args=["--token_list", str(tokens)])
        assert rec[f"{key}_params"] == counts["total"]["lowrank"]
    assert rec["param_ratio"] >= 2.0  # the mini LR-SMS config states >= 2x fewer
    assert rec["configs"] == {
        "dense": str(MINI_CONF / "train_asr_full.yaml"),
        "lr_sms": str(MINI_CONF / "train_asr_lr_sms.yaml"),
    }
    assert "batch 1 x 0.5 s" in rec["model"]
    assert rec["adam_conf"]["dense"] == train.config_adam_conf(MINI_CONF / "train_asr_full.yaml")


def test_memory_probe_builds_each_config(monkeypatch, tmp_path):
    tokens = _tokens(tmp_path / "tokens.txt", 300)
    seen = []

    def fake_probe(kind, size, rank_map, **kw):
        seen.append((kind, Path(kw["config"]).name, kw["token_list"], kw["batch"]))
        peak = 300.0 if "full" in kw["config"] else 200.0
        return {"method": "fake", "peak_mb": peak, "resolved": True}

    monkeypatch.setattr(memory, "measure_in_subprocess", fake_probe)
    (rec,) = train.run_configs(
        MINI_CONF / "train_asr_full.yaml", MINI_CONF / "train_asr_lr_sms.yaml", tokens,
        repeats=1, warmup=0, batch=1, seconds=0.25, log=lambda m: None,
    )  # fmt: skip
    assert seen == [
        ("asr", "train_asr_full.yaml", str(tokens), 1),
        ("asr", "train_asr_lr_sms.yaml", str(tokens), 1),
    ]
    assert rec["memory_ratio"] == pytest.approx(1.5)


def test_memory_probe_main_accepts_a_config(tmp_path, capsys):
    # in this process (the subprocess plumbing is tested in test_memory.py): the config
    # branch builds the config's model and steps it
    tokens = _tokens(tmp_path / "tokens.txt", 30)
    memory.main(["--kind", "asr", "--config", str(MINI_CONF / "train_asr_smoke.yaml"),
                 "--token_list", str(tokens), "--steps", "1", "--threads", "1",
                 "--batch", "1", "--seconds", "0.25"])  # fmt: skip
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert out["method"] == "peak_rss_delta" and out["peak_rss_mb"] >= out["baseline_rss_mb"]
    with pytest.raises(SystemExit):
        memory.main(["--kind", "asr", "--size", "tiny"])  # no --rank_map
    assert "need --size and --rank_map, or --config" in capsys.readouterr().err


def test_missing_token_list_is_named(tmp_path, monkeypatch):
    cfg = yaml.safe_load((MINI_CONF / "train_asr_full.yaml").read_text())
    cfg["token_list"] = "data/token_list/bpe_unigram300/tokens.txt"
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(cfg))
    monkeypatch.chdir(tmp_path)
    with pytest.raises(
        FileNotFoundError, match=r"bpe_unigram300/tokens.txt .*c.yaml.*--token_list"
    ):
        models.build_asr_from_config(path)
    with pytest.raises(FileNotFoundError, match="ASR config not found: nope.yaml"):
        models.build_asr_from_config("nope.yaml")
    tokens = _tokens(tmp_path / "tokens.txt", 300)
    cfg.update(normalize="global_mvn", normalize_conf={"stats_file": "exp/stats/feats.npz"})
    path.write_text(yaml.safe_dump(cfg))
    with pytest.raises(FileNotFoundError, match=r"c.yaml: normalize global_mvn .*feats.npz"):
        models.build_asr_from_config(path, tokens)


def test_vocabulary_mismatch_is_an_error(tmp_path):
    cfgs = []
    for vocab in (30, 40):
        cfg = yaml.safe_load((MINI_CONF / "train_asr_smoke.yaml").read_text())
        cfg["token_list"] = str(_tokens(tmp_path / f"t{vocab}.txt", vocab))
        cfgs.append(tmp_path / f"c{vocab}.yaml")
        cfgs[-1].write_text(yaml.safe_dump(cfg))
    with pytest.raises(ValueError, match="token lists differ in size.*c30.yaml 30.*c40.yaml 40"):
        train.run_configs(*cfgs, repeats=1, warmup=0, measure_memory=False, log=lambda m: None)


@pytest.mark.parametrize(
    "argv, message",
    [
        (["lm", "--asr_configs", "a.yaml", "b.yaml"], "options of bench train"),
        (["train", "--token_list", "t.txt"], "goes with --asr_configs"),
        (["train", "--asr_configs", "a.yaml", "b.yaml", "--sizes", "tiny"], "not both"),
    ],
)
def test_bad_option_combinations(tmp_path, argv, message):
    with pytest.raises(SystemExit, match=message):
        bench.main(argv + ["--json", str(tmp_path / "x.json")])


def test_each_model_steps_with_its_configs_adam_options(tmp_path):
    cfg = yaml.safe_load((MINI_CONF / "train_asr_full.yaml").read_text())
    assert train.config_adam_conf(MINI_CONF / "train_asr_full.yaml") == cfg["optim_conf"]
    cfg["optim_conf"] = {"lr": 0.002, "foreach": True}
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(cfg))
    assert train.config_adam_conf(path) == {"lr": 0.002, "foreach": True}
    cfg["optim"] = "sgd"
    path.write_text(yaml.safe_dump(cfg))
    with pytest.raises(ValueError, match=r"c.yaml: optim 'sgd'; bench train --asr_configs"):
        train.config_adam_conf(path)
    import torch

    from espnet_lowrank.bench import profile, steps

    step = steps.asr_train_step(torch.nn.Linear(2, 2), {}, {"lr": 0.1, "foreach": True})
    opt = profile._find_optimizer(step)
    assert opt.defaults["lr"] == 0.1 and opt.defaults["foreach"] is True
