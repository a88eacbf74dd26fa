"""End-to-end: LoRA LM training through ESPnet's trainer, resume, merge, rescoring."""

import hashlib

import pytest
import torch
import yaml

from espnet_lowrank.bin import lm_adapt_train, lora_merge, rescore
from espnet_lowrank.rescoring.lm_scorer import LMScorer, load_lm

from ..hang_guard import guarded_run

pytestmark = pytest.mark.slow


def _args(lm, out, lora_conf, max_epoch=1, extra=()):
    conf = out.parent / f"{out.name}.yaml"
    conf.write_text(yaml.safe_dump({"lora_conf": lora_conf}), encoding="utf-8")
    return [
        "--base_lm_config",
        str(lm["config"]),
        "--base_lm_file",
        str(lm["model"]),
        "--config",
        str(conf),
        "--token_list",
        str(lm["tokens"]),
        "--token_type",
        "word",
        "--train_data_path_and_name_and_type",
        f"{lm['train']},text,text",
        "--valid_data_path_and_name_and_type",
        f"{lm['train']},text,text",
        "--train_shape_file",
        str(lm["shape"]),
        "--valid_shape_file",
        str(lm["shape"]),
        "--fold_length",
        "150",
        "--batch_type",
        "folded",
        "--batch_size",
        "4",
        "--max_epoch",
        str(max_epoch),
        "--num_workers",
        "0",
        "--use_matplotlib",
        "false",
        "--use_tensorboard",
        "false",
        "--optim",
        "adam",
        "--optim_conf",
        "lr=0.02",
        "--output_dir",
        str(out),
        *extra,
    ]


def _write_nbest(root, hyps_by_utt):
    for n in range(max(len(v) for v in hyps_by_utt.values())):
        d = root / f"{n + 1}best_recog"
        d.mkdir(parents=True)
        rows = {u: h[n] for u, h in hyps_by_utt.items() if len(h) > n}
        (d / "text").write_text("".join(f"{u} {t}\n" for u, (t, _) in rows.items()))
        (d / "score").write_text("".join(f"{u} tensor({s})\n" for u, (_, s) in rows.items()))


def test_train_vanilla_merge_and_rescore(base_lm, tmp_path):
    digest = hashlib.sha256(base_lm["model"].read_bytes()).hexdigest()
    out = tmp_path / "exp_vanilla"
    lm_adapt_train.main(_args(base_lm, out, {"strategy": "vanilla", "r": 2}))
    ckpt = torch.load(out / "valid.loss.ave.pth", weights_only=False)
    assert ckpt and all("lora_" in k for k in ckpt)
    ranks = yaml.safe_load((out / "lora_ranks.yaml").read_text())
    assert set(ranks["ranks"].values()) == {2}
    assert ranks["params"]["trainable"] == ranks["vanilla_budget"]

    # ESPnet's plain LMTask refuses the adapter config instead of building a random LM
    from espnet2.tasks.lm import LMTask

    with pytest.raises(ValueError, match="lora:transformer"):
        LMTask.build_model_from_file(out / "config.yaml", out / "valid.loss.ave.pth")

    # the base LM file is untouched and the loaded base weights are bit-identical
    assert hashlib.sha256(base_lm["model"].read_bytes()).hexdigest() == digest
    model, _ = load_lm(out / "config.yaml", out / "valid.loss.ave.pth")
    base = torch.load(base_lm["model"], weights_only=False)
    for k, v in model.lm.state_dict().items():
        if "lora_" in k:
            continue
        assert torch.equal(v, base["lm." + k.replace(".base_layer", "")]), k
    trained = [v for k, v in model.lm.state_dict().items() if "lora_B" in k]
    assert any(v.abs().sum() > 0 for v in trained)  # adapter was updated (B starts at 0)

    # merged LM scores equal the adapter LM's
    merged_dir = lora_merge.main(
        [
            "--lm_train_config",
            str(out / "config.yaml"),
            "--lm_file",
            str(out / "valid.loss.ave.pth"),
            "--out_dir",
            str(tmp_path / "merged"),
        ]
    )
    texts = ["the cat sat on a mat", "dog ran to the big red house", ""]
    a, _ = LMScorer.from_files(out / "config.yaml", out / "valid.loss.ave.pth").score(texts)
    b, _ = LMScorer.from_files(merged_dir / "config.yaml", merged_dir / "model.pth").score(texts)
    assert a == pytest.approx(b, abs=1e-4)

    # rescoring with the adapted LM through the CLI
    dec = tmp_path / "decode"
    _write_nbest(
        dec,
        {
            "u1": [("the cat sat on mat", -2.0), ("the cat sat on a mat", -2.1)],
            "u2": [("dog ran to big house", -3.0), ("dog ran to the big red house", -3.2)],
        },
    )
    ref = tmp_path / "ref"
    ref.write_text("u1 the cat sat on a mat\nu2 dog ran to the big red house\n")
    res = rescore.main(
        [
            "--lm_train_config",
            str(out / "config.yaml"),
            "--lm_file",
            str(out / "valid.loss.ave.pth"),
            "--nbest_dir",
            str(dec),
            "--ref",
            str(ref),
            "--lm_weight",
            "0",
            "--length_bonus",
            "1",
            "--out_dir",
            str(tmp_path / "rescored"),
        ]
    )
    text = (tmp_path / "rescored" / "1best_recog" / "text").read_text().splitlines()
    assert text == ["u1 the cat sat on a mat", "u2 dog ran to the big red house"]
    assert res["wer_rescored"] == 0.0 and res["wer_oracle"] == 0.0
    assert res["wer_1best"] == pytest.approx(3 / 13)


def test_warmup_by_epoch_with_resume(base_lm, tmp_path):
    out = tmp_path / "exp_warm"
    conf = {"strategy": "warmup", "r": 2, "r_high": 6, "warmup_epochs": 1}
    lm_adapt_train.main(_args(base_lm, out, conf, max_epoch=1))
    ck = torch.load(out / "1epoch.pth", weights_only=False)
    a_keys = [k for k in ck if "lora_A" in k]
    assert a_keys and all(ck[k].shape[0] == 2 for k in a_keys)
    lm_adapt_train.main(_args(base_lm, out, conf, max_epoch=2, extra=["--resume", "true"]))
    ranks = yaml.safe_load((out / "lora_ranks.yaml").read_text())
    assert ranks["global_step"] == 6 and set(ranks["ranks"].values()) == {2}


def test_warmup_by_steps_then_nbest_averaging(base_lm, tmp_path):
    out = tmp_path / "exp_warm_steps"
    conf = {"strategy": "warmup", "r": 2, "r_high": 6, "warmup_steps": 4}
    # 3 optimizer steps per epoch: epoch 1 is saved at rank 6, truncation in epoch 2
    lm_adapt_train.main(_args(base_lm, out, conf, max_epoch=3, extra=["--keep_nbest_models", "3"]))
    avg = torch.load(out / "valid.loss.ave_3best.pth", weights_only=False)
    a_keys = [k for k in avg if "lora_A" in k]
    assert a_keys and all(avg[k].shape[0] == 2 for k in a_keys)
    for e in (1, 2, 3):
        snap = torch.load(out / f"{e}epoch.pth", weights_only=False)
        assert all(snap[k].shape[0] == 2 for k in a_keys)
    model, _ = load_lm(out / "config.yaml", out / "valid.loss.ave.pth")
    assert set(model.lora.ranks().values()) == {2}


def test_dynamic_through_trainer(base_lm, tmp_path):
    out = tmp_path / "exp_dyn"
    conf = {"strategy": "dynamic", "r": 1, "init_r": 3, "tfinal": 0.25}
    lm_adapt_train.main(_args(base_lm, out, conf, max_epoch=2))
    ranks = yaml.safe_load((out / "lora_ranks.yaml").read_text())
    assert ranks["global_step"] == 6
    assert set(ranks["ranks"].values()) != {3}
    assert sum(ranks["ranks"].values()) == len(ranks["ranks"])  # target_r = 1 on average


def test_print_config_shows_lora_options(capfd, monkeypatch):
    # ESPnet's print_config re-reads sys.argv (for --optim and the like)
    monkeypatch.setattr("sys.argv", ["lm_adapt_train", "--print_config"])
    with pytest.raises(SystemExit) as e:
        lm_adapt_train.main(["--print_config"])
    assert e.value.code in (0, None)
    cfg = yaml.safe_load(capfd.readouterr().out)
    assert cfg["lora_conf"]["strategy"] == "vanilla"
    assert "base_lm_config" in cfg and "save_base_lm" in cfg


def test_ddp_two_processes_gloo(base_lm, tmp_path):
    """ESPnet's own DDP path: torchrun, CPU, gloo; AdaLoRA stepped on each rank."""
    import os
    import sys
    from pathlib import Path

    out = tmp_path / "exp_ddp"
    args = _args(base_lm, out, {"strategy": "dynamic", "r": 1, "init_r": 3, "tfinal": 0.25})
    torchrun = Path(sys.executable).with_name("torchrun")
    cmd = [
        str(torchrun),
        "--standalone",
        "--nproc_per_node",
        "2",
        "-m",
        "espnet_lowrank.bin.lm_adapt_train",
        "--ngpu",
        "0",
        "--dist_backend",
        "gloo",
        "--multiprocessing_distributed",
        "false",
        *args,
    ]
    env = dict(os.environ, OMP_NUM_THREADS="1")
    # ESPnet treats CUDA_VISIBLE_DEVICES="" (set by tests/conftest.py) as zero
    # devices and refuses LOCAL_RANK=1 even with --ngpu 0
    env.pop("CUDA_VISIBLE_DEVICES", None)
    proc = guarded_run(cmd, capture_output=True, text=True, env=env, timeout=1800)
    errors = [ln for ln in proc.stderr.splitlines() if "Error" in ln and "nltk" not in ln]
    assert proc.returncode == 0, "\n".join(errors[-10:]) or proc.stderr[-3000:]
    ranks = yaml.safe_load((out / "lora_ranks.yaml").read_text())
    assert set(ranks["ranks"].values()) != {3}
    saved = torch.load(out / "1epoch.pth", weights_only=False)
    assert saved and all("lora_" in k or ".ranknum." in k for k in saved)
