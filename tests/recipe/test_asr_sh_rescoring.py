"""asr.sh LoRA rescoring stages 14-19 end to end on the tiny generated corpus.

One module-scoped run trains the smoke ASR model (stages 2-12, no shallow-fusion
LM, so stage 14 reuses stage 9's N-best lists for the test set and decodes dev),
then the general-domain base LM, the four LoRA adaptations, rescoring, NPRR and
the table (smoke configs of egs2/mini_lowrank/asr1/conf). Tests share that run.
"""

import shutil
from pathlib import Path

import pytest
import yaml

from espnet_lowrank.kaldi_dir import read_table

from .conftest import MINI, WORDS, recipe_dir, run_asr

ASR_EXP = Path("exp/asr_train_asr_smoke_raw_noinfo_char")
RESCORING = ASR_EXP / "rescoring"
STRATEGIES = ("vanilla", "dynamic", "warmup", "mixed")
LORA_EXP = "exp/lm_smoke_{}_on_train_lm_general_smoke_noinfo_char"
FULL_EXP = "exp/lm_full_finetune_on_train_lm_general_smoke_noinfo_char"
SYSTEMS = ("base",) + STRATEGIES + ("full",)
ARGS = [
    "--stage", "2", "--stop_stage", "19", "--nj", "1", "--inference_nj", "1",
    "--use_lm", "false", "--nbest", "3", "--skip_upload", "true",
    "--lora_rescoring", "true", "--rescore_nbest", "3",
    "--lm_general_config", "conf/train_lm_general_smoke.yaml",
    "--lm_general_text", "data/lm_general/text", "--lm_indomain_text", "data/lm_indomain/text",
    "--lora_config_dir", "conf/lora/smoke", "--nprr_p", "0.5", "--nprr_seeds", "0 1",
    "--nprr_common_lm_weight", "0.5",
    "--lm_full_finetune", "true", "--lm_full_finetune_args", "--max_epoch 1",
    "--rescore_args", "--lm_weight_grid 0,0.5 --length_bonus_grid 0,1",
]  # fmt: skip


def _lm_texts(d: Path) -> None:
    """General text (with homophones of the corpus words) and in-domain text (corpus words)."""
    general = WORDS + ["know", "to", "two", "too", "sew", "so"]
    n_gen, n_in = len(general), len(WORDS)
    lines = {
        "lm_general": [" ".join(general[(i + k) % n_gen] for k in range(3)) for i in range(30)],
        "lm_indomain": [" ".join(WORDS[(i * k) % n_in] for k in range(1, 4)) for i in range(30)],
    }
    for name, texts in lines.items():
        (d / "data" / name).mkdir(parents=True)
        (d / "data" / name / "text").write_text(
            "".join(f"{name}{i:03d} {t}\n" for i, t in enumerate(texts))
        )


def _recipe(tmp: Path) -> Path:
    d = recipe_dir(tmp)
    shutil.copy(MINI / "conf/train_lm_general_smoke.yaml", d / "conf")
    shutil.copytree(MINI / "conf/lora/smoke", d / "conf/lora/smoke")
    _lm_texts(d)
    return d


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    d = _recipe(tmp_path_factory.mktemp("rescoring"))
    r = run_asr(d, ARGS)
    assert r.returncode == 0, r.stdout[-5000:]
    return d, r.stdout


@pytest.mark.slow
def test_stages_write_rescored_outputs_and_table(run) -> None:
    d, out = run
    nbest = d / RESCORING / "nbest3"
    assert (nbest / "test").is_symlink(), "stage 9's 3-best lists (no LM) are reused"
    assert "Stage 14: 3-best decoding of dev without LM" in out
    assert (nbest / "dev/1best_recog/score").is_file()
    for dset in ("dev", "test"):
        keys = set(read_table(d / f"dump/raw/{dset}/text"))
        for system in SYSTEMS:
            assert set(read_table(d / RESCORING / system / dset / "1best_recog/text")) == keys
            res = yaml.safe_load(
                (d / RESCORING / system / dset / "rescore_result.yaml").read_text()
            )
            assert (
                res["wer_oracle"] <= res["wer_1best"] and res["wer_oracle"] <= res["wer_rescored"]
            )
        for system in SYSTEMS:
            if dset == "test":
                nprr = yaml.safe_load((d / RESCORING / system / "test/nprr.yaml").read_text())
                assert set(nprr) >= {"1best", "nbest", "common"}
                assert nprr["common"]["lm_weight"] == 0.5 and nprr["seeds"] == [0, 1]
                assert len(nprr["common"]["1best"]["nprr_per_seed"]) == 2
    for s in STRATEGIES:
        ranks = yaml.safe_load((d / LORA_EXP.format(s) / "lora_ranks.yaml").read_text())
        assert ranks["strategy"] == s and ranks["vanilla_budget"] > 0
        assert "LoRA params: trainable" in (d / LORA_EXP.format(s) / "train.log").read_text()
    full_log = (d / FULL_EXP / "train.log").read_text()
    assert "init_param" in full_log and "1epoch results" in full_log
    dyn = yaml.safe_load((d / LORA_EXP.format("dynamic") / "lora_ranks.yaml").read_text())
    assert set(dyn["ranks"].values()) != {12}, "AdaLoRA moved ranks from init_r"
    table = (d / ASR_EXP / "rescoring_results.md").read_text()
    assert table.startswith("### LoRA LM rescoring (3-best)")
    rows = [line.split("|")[1:-1] for line in table.splitlines() if line.startswith("|")][2:]
    assert {(r[0], r[1]) for r in rows} == {
        (dset, s) for dset in ("dev", "test") for s in ("no rescoring",) + SYSTEMS
    }
    assert "@λ=0.5" in table
    assert "LoRA LM rescoring (3-best)" in (d / ASR_EXP / "RESULTS.md").read_text()


@pytest.mark.slow
def test_second_run_skips_every_rescoring_stage(run) -> None:
    d, _ = run
    ckpt = d / LORA_EXP.format("vanilla") / "valid.loss.ave.pth"
    table = d / ASR_EXP / "rescoring_results.md"
    before = ckpt.stat().st_mtime_ns, table.stat().st_mtime_ns
    assert ARGS[:2] == ["--stage", "2"]
    r = run_asr(d, ["--stage", "14", *ARGS[2:]])
    assert r.returncode == 0, r.stdout[-3000:]
    for stage in range(14, 20):
        assert f"Stage {stage}: skipped" in r.stdout, f"stage {stage} ran again"
    assert "LoRA adaptation" not in r.stdout and "rescoring dev" not in r.stdout
    assert (ckpt.stat().st_mtime_ns, table.stat().st_mtime_ns) == before


def test_options_are_checked_before_any_stage_runs(tmp_path) -> None:
    (tmp_path / "conf/lora").mkdir(parents=True)
    (tmp_path / "general.txt").write_text("g1 yes\n")
    (tmp_path / "conf/lora/vanilla.yaml").write_text("lora_conf: {}\n")
    base = ["--stage", "14", "--stop_stage", "14", "--lora_rescoring", "true"]
    cases = [
        (["--lora_rescoring", "maybe"], "--lora_rescoring must be true or false"),
        (base, "needs --lm_general_text"),
        (base + ["--lm_general_text", "general.txt", "--lm_indomain_text", "nope.txt"],
         "nope.txt (--lm_general_text/--lm_indomain_text/--lm_general_config) not found"),
        (base + ["--lm_general_text", "general.txt", "--lm_indomain_text", "general.txt",
                 "--lora_strategies", "vanilla fancy"], "unknown LoRA strategy 'fancy'"),
        (base + ["--lm_general_text", "general.txt", "--lm_indomain_text", "general.txt",
                 "--lora_strategies", "vanilla dynamic"], "conf/lora/dynamic.yaml not found"),
        (base + ["--lm_general_text", "general.txt", "--lm_indomain_text", "general.txt",
                 "--lora_strategies", "vanilla", "--rescore_nbest", "0"],
         "--rescore_nbest must be >= 1"),
    ]  # fmt: skip
    for args, message in cases:
        r = run_asr(tmp_path, args + ["--lm_config", "general.txt"], timeout=600)
        assert r.returncode == 2 and message in r.stdout, (args, r.stdout[-1500:])
    off = run_asr(tmp_path, ["--stage", "14", "--stop_stage", "19"], timeout=600)
    assert off.returncode == 0 and "Stages 14-19: skipped (--lora_rescoring false)" in off.stdout
