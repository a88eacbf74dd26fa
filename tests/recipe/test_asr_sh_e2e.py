"""asr.sh end to end on a tiny generated corpus (real ESPnet training and decoding).

One module-scoped run of stages 2-13 (the upload stage as a dry run) is shared by the
tests: skipping on a second invocation, CPU DDP with 2 processes, resuming after a kill.
"""

import os
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from espnet_lowrank.kaldi_dir import read_table

from ..hang_guard import guarded_run, limit
from .conftest import ASR_SH, MINI, recipe_dir, run_asr

pytestmark = pytest.mark.slow

ASR_EXP = Path("exp/asr_train_asr_smoke_raw_noinfo_char")
DECODE = ASR_EXP / "decode_asr_lm_train_lm_smoke_noinfo_char_valid.loss.ave_asr_model_valid.acc.ave"


def _cli_present(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


@pytest.fixture(scope="module")
def e2e(tmp_path_factory):
    """Run stages 2-13 once (10-13 only if their CLIs exist); return (dir, output)."""
    d = recipe_dir(tmp_path_factory.mktemp("e2e"))
    last = 13
    for stage, module in ((10, "score"), (11, "make_results"), (13, "upload")):
        if not _cli_present(f"espnet_lowrank.bin.{module}"):
            last = min(last, stage - 1)
    r = run_asr(d, ["--stage", "2", "--stop_stage", str(last), "--nbest", "2",
                    "--use_lm", "true", "--skip_upload", "false"])  # fmt: skip
    assert r.returncode == 0, r.stdout[-4000:]
    return d, r.stdout, last


def test_stages_produce_outputs(e2e) -> None:
    d, _, last = e2e
    for s in ("train", "dev", "test"):
        assert (d / f"dump/raw/{s}/utt2num_samples").is_file()
    tokens = (d / "data/token_list/char/tokens.txt").read_text().split()
    assert tokens[:2] == ["<blank>", "<unk>"] and tokens[-1] == "<sos/eos>"
    assert "<space>" in tokens
    assert float((d / "exp/lm_train_lm_smoke_noinfo_char/perplexity_test/ppl").read_text()) > 1
    assert (d / "exp/asr_stats_raw_noinfo_char/train/feats_stats.npz").is_file()
    shape = read_table(d / "exp/asr_stats_raw_noinfo_char/train/text_shape.char")
    assert len(shape) == 12 and all(v.endswith(f",{len(tokens)}") for v in shape.values())
    assert (d / ASR_EXP / "valid.acc.ave.pth").exists()  # averaged by ESPnet's trainer
    test_keys = set(read_table(d / "dump/raw/test/wav.scp"))
    for n in (1, 2):
        assert set(read_table(d / DECODE / f"test/{n}best_recog/token")) == test_keys
    assert set(read_table(d / DECODE / "test/text")) == test_keys
    logs = sorted((d / DECODE / "test/logdir").glob("asr_inference.*.log"))
    assert [p.name for p in logs] == ["asr_inference.1.log", "asr_inference.2.log"]
    if last >= 10:
        for metric in ("wer", "cer"):
            assert "Sum/Avg" in (d / DECODE / f"test/score_{metric}/result.txt").read_text()
    if last >= 11:
        assert "|dataset|Snt|Wrd|" in (d / ASR_EXP / "RESULTS.md").read_text().replace(" ", "")
        assert (d / "RESULTS.md").is_file()
    if last >= 12:
        (zp,) = (d / ASR_EXP).glob("*.zip")
        names = zipfile.ZipFile(zp).namelist()
        assert "meta.yaml" in names and any(n.endswith("feats_stats.npz") for n in names)
        assert any(n.endswith("RESULTS.md") for n in names)
    if last >= 13:
        assert (d / ASR_EXP / "hf_upload_dry_run/.done").is_file()


def test_second_run_skips_finished_stages(e2e) -> None:
    d, _, last = e2e
    ckpt = d / ASR_EXP / "checkpoint.pth"
    before = ckpt.stat().st_mtime_ns
    r = run_asr(d, ["--stage", "2", "--stop_stage", str(last), "--nbest", "2",
                    "--use_lm", "true", "--skip_upload", "false"])  # fmt: skip
    assert r.returncode == 0, r.stdout[-3000:]
    for stage in range(2, last + 1):
        assert f"Stage {stage}: skipped" in r.stdout, f"stage {stage} ran again"
    assert "Stage 8: ASR training" not in r.stdout
    assert ckpt.stat().st_mtime_ns == before


def test_cpu_ddp_two_processes(e2e) -> None:
    d, _, _ = e2e
    r = run_asr(d, ["--stage", "8", "--stop_stage", "8", "--dist_procs", "2",
                    "--asr_tag", "ddp"])  # fmt: skip
    assert r.returncode == 0, r.stdout[-3000:]
    log = (d / "exp/asr_ddp/train.log").read_text()
    assert "torch.distributed.run --standalone --nproc_per_node 2" in log
    assert ":0/2]" in log  # ESPnet's log prefix [host:rank/world_size]
    assert "1epoch results" in log
    assert (d / "exp/asr_ddp/valid.acc.ave.pth").exists()


def test_killed_training_resumes(e2e) -> None:
    d, _, _ = e2e
    epochs = 20
    args = ["--stage", "8", "--stop_stage", "8", "--asr_tag", "resume",
            "--asr_args", f"--max_epoch {epochs} --batch_bins 4000"]  # fmt: skip
    exp = d / "exp/asr_resume"
    cmd = ["bash", str(ASR_SH), "--python", sys.executable, "--train_set", "train",
           "--valid_set", "dev", "--test_sets", "test", "--token_type", "char",
           "--asr_config", "conf/train_asr_smoke.yaml", *args]  # fmt: skip
    env = dict(os.environ, OMP_NUM_THREADS="1")
    proc = subprocess.Popen(cmd, cwd=d, env=env, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    wait = limit(1800)
    deadline = time.monotonic() + (wait if wait is not None else float("inf"))
    try:  # 1epoch.pth is written after checkpoint.pth: the checkpoint is complete then
        while not (exp / "1epoch.pth").exists():
            assert proc.poll() is None, "training ended before writing a checkpoint"
            assert time.monotonic() < deadline, f"hang guard: no 1epoch.pth after {wait:.0f} s"
            time.sleep(0.02)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    assert not (exp / ".done").exists()
    assert f"{epochs}epoch results" not in (exp / "train.log").read_text()

    r = run_asr(d, args)
    assert r.returncode == 0, r.stdout[-2000:] + (exp / "train.log").read_text()[-3000:]
    assert "resuming from exp/asr_resume/checkpoint.pth (" in r.stdout
    log = (exp / "train.log").read_text()
    assert "The training was resumed using exp/asr_resume/checkpoint.pth" in log
    assert " 1epoch results" not in log  # epoch 1 was finished before the kill
    assert f" {epochs}epoch results" in log
    assert (exp / ".done").is_file()


def _mini_copy(tmp: Path) -> Path:
    """The mini recipe's scripts and configs (no data) under ``tmp``, beside a TEMPLATE copy,
    so a run.sh test never depends on what the developer's recipe folder holds."""
    recipe = tmp / "egs2" / "mini_lowrank" / "asr1"
    shutil.copytree(MINI.parents[1] / "TEMPLATE", tmp / "egs2" / "TEMPLATE")
    recipe.mkdir(parents=True)
    for name in ("run.sh", "path.sh", "cmd.sh", "conf", "local"):
        src = MINI / name
        (shutil.copytree if src.is_dir() else shutil.copy)(src, recipe / name)
    return recipe


def test_run_sh_smoke_flag_selects_smoke_configs(tmp_path: Path) -> None:
    """``run.sh --smoke true`` wires the smoke configs and tiny data options (no stage run)."""
    recipe = _mini_copy(tmp_path)
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}:{os.environ['PATH']}")
    r = guarded_run(["bash", "run.sh", "--smoke", "true", "--stage", "14",
                     "--python", sys.executable],
                    cwd=recipe, env=env, capture_output=True, text=True, timeout=600)  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert "--asr_config conf/train_asr_smoke.yaml" in r.stderr
    assert "--local_data_opts --smoke\\ true" in r.stderr
    assert "asr_exp=exp/asr_train_asr_smoke_raw_en_char" in r.stderr
    bad = guarded_run(["bash", "run.sh", "--smoke", "maybe"], cwd=recipe,
                         capture_output=True, text=True, timeout=600)  # fmt: skip
    assert bad.returncode == 2 and "--smoke must be true or false" in bad.stderr


def test_run_sh_corpus_flag_reaches_data_sh(tmp_path: Path) -> None:
    """``run.sh`` hands ``--corpus v1`` (the default) or ``--corpus v2`` to local/data.sh; other
    values are refused."""
    recipe = _mini_copy(tmp_path)
    r = subprocess.run(["bash", "run.sh", "--smoke", "true", "--corpus", "v1", "--stage", "14",
                        "--python", sys.executable],
                       cwd=recipe, capture_output=True, text=True, timeout=60)  # fmt: skip
    assert r.returncode == 0 and "--local_data_opts --smoke\\ true\\ --corpus\\ v1" in r.stderr
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}:{os.environ['PATH']}")
    r = subprocess.run(["bash", "run.sh", "--smoke", "true", "--corpus", "v2", "--stage", "14",
                        "--python", sys.executable],
                       cwd=recipe, env=env, capture_output=True, text=True, timeout=60)  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert "--local_data_opts --smoke\\ true\\ --corpus\\ v2" in r.stderr
    bad = subprocess.run(["bash", "run.sh", "--corpus", "v3"], cwd=recipe,
                         capture_output=True, text=True, timeout=60)  # fmt: skip
    assert bad.returncode == 2 and "--corpus must be v1 or v2, not 'v3'" in bad.stderr


def test_run_sh_refuses_data_of_another_corpus(tmp_path: Path) -> None:
    """A recipe folder whose ``data/`` holds corpus v1 is never reused for ``--corpus v2``
    (nor the reverse): exit status 2, one message naming the file; nothing is removed."""
    recipe = _mini_copy(tmp_path)
    info = recipe / "data" / "local" / "corpus_info.json"
    info.parent.mkdir(parents=True)
    info.write_text('{"seed": 1}')  # corpus v1 wrote no "corpus" key
    r = subprocess.run(["bash", "run.sh", "--corpus", "v2", "--stage", "14"], cwd=recipe,
                       capture_output=True, text=True, timeout=60)  # fmt: skip
    assert r.returncode == 2, r.stderr
    want = "data/ holds mini corpus v1 (data/local/corpus_info.json), not --corpus v2"
    assert want in r.stderr
    info.write_text('{"corpus": "v2"}')
    for args in (["--corpus", "v1"], []):  # v1 is the default
        r = subprocess.run(["bash", "run.sh", *args, "--stage", "14"], cwd=recipe,
                           capture_output=True, text=True, timeout=60)  # fmt: skip
        assert r.returncode == 2 and "holds mini corpus v2" in r.stderr, r.stderr
        assert "not --corpus v1" in r.stderr
    assert info.read_text() == '{"corpus": "v2"}'


def test_run_sh_seeds_and_lanes(tmp_path: Path) -> None:
    """``--seeds`` trains each model per seed (seed N > 0 named ``_seedN`` and given ``--seed N``);
    ``--lane K/N`` keeps every N-th training from the K-th; bad values exit with status 2."""
    recipe = _mini_copy(tmp_path)
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}:{os.environ['PATH']}")
    base = ["bash", "run.sh", "--smoke", "true", "--stage", "14", "--python", sys.executable]
    r = subprocess.run(base[:2] + ["--seeds", "0 1", "--lane", "1/2"] + base[2:], cwd=recipe,
                       env=env, capture_output=True, text=True, timeout=120)  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert "asr_exp=exp/asr_train_asr_smoke_seed1_raw_en_char" in r.stderr
    assert "--asr_args --seed\\ 1" in r.stderr
    assert "asr_exp=exp/asr_train_asr_smoke_raw_en_char " not in r.stderr
    for args, message in (
        (["--seeds", "0 x"], "--seeds/--ablation_seeds take integers >= 0, not 'x'"),
        (["--lane", "2/2"], "--lane must be K/N with 0 <= K < N, not '2/2'"),
        (["--ablations", "true"], "--ablations needs the full corpus, not --smoke true"),
    ):
        bad = subprocess.run(base[:2] + args + base[2:], cwd=recipe, env=env,
                             capture_output=True, text=True, timeout=60)  # fmt: skip
        assert bad.returncode == 2 and message in bad.stderr, bad.stderr
