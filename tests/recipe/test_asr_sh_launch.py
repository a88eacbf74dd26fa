"""asr.sh training launch modes and option checks, with a recording fake ``python``."""

import os
from pathlib import Path
from typing import List

import pytest

from ..hang_guard import guarded_run
from .conftest import ASR_SH
from .fakes import calls, install

BASE = ["--train_set", "tr", "--valid_set", "dv", "--test_sets", "ts", "--token_type", "char",
        "--stage", "8", "--stop_stage", "8"]  # fmt: skip


def _asr(tmp_path: Path, args: List[str], backend: str = "local"):
    env = install(tmp_path / "bin", tmp_path / "fake")
    env["cmd_backend"] = backend
    r = guarded_run(
        ["bash", str(ASR_SH), "--python", str(tmp_path / "bin" / "python"), *BASE, *args],
        cwd=tmp_path, env=dict(os.environ, **env), capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    # the training launch only: after training the driver also runs bin.model_info
    py = [
        argv
        for argv in calls(tmp_path / "fake", "python")
        if "espnet_lowrank.bin.model_info" not in argv
    ]
    return r, py


def _opt(argv: List[str], name: str) -> str:
    return argv[argv.index(name) + 1]


def test_single_process_cpu(tmp_path: Path) -> None:
    r, py = _asr(tmp_path, [])
    assert r.returncode == 0, r.stderr
    (argv,) = py
    assert argv[:2] == ["-m", "espnet_lowrank.bin.asr_train"]
    assert _opt(argv, "--ngpu") == "0" and _opt(argv, "--resume") == "true"
    assert _opt(argv, "--output_dir") == "exp/asr_train_raw_noinfo_char"
    assert "--multiprocessing_distributed" not in argv
    assert (tmp_path / "exp/asr_train_raw_noinfo_char/.done").is_file()


def test_cpu_ddp_uses_torchrun_with_gloo(tmp_path: Path) -> None:
    r, py = _asr(tmp_path, ["--dist_procs", "2"])
    assert r.returncode == 0, r.stderr
    (argv,) = py
    assert argv[:2] == ["-m", "torch.distributed.run"]  # under env -u CUDA_VISIBLE_DEVICES
    assert _opt(argv, "--nproc_per_node") == "2"
    inner = argv[argv.index("espnet_lowrank.bin.asr_train") + 1 :]
    assert _opt(inner, "--ngpu") == "0" and _opt(inner, "--dist_backend") == "gloo"
    assert _opt(inner, "--multiprocessing_distributed") == "false"


def test_multi_gpu_one_node_spawns(tmp_path: Path) -> None:
    r, py = _asr(tmp_path, ["--ngpu", "4"])
    assert r.returncode == 0, r.stderr
    (argv,) = py
    assert argv[:2] == ["-m", "espnet_lowrank.bin.asr_train"]
    assert _opt(argv, "--ngpu") == "4" and _opt(argv, "--multiprocessing_distributed") == "true"


def test_multi_node_slurm(tmp_path: Path) -> None:
    r, py = _asr(tmp_path, ["--ngpu", "4", "--num_nodes", "2"], backend="slurm")
    assert r.returncode == 0, r.stderr
    (sb,) = calls(tmp_path / "fake", "sbatch")
    opts = dict(zip(sb[1:-1:2], sb[2:-1:2]))
    assert opts["--nodes"] == "2" and opts["--gres"] == "gpu:4"
    assert opts["--output"] == "exp/asr_train_raw_noinfo_char/train.log"
    (srun,) = calls(tmp_path / "fake", "srun")
    assert srun[:4] == ["--nodes", "2", "--ntasks-per-node", "1"]
    assert srun[4].endswith("slurm_ddp.sh")
    (argv,) = py
    assert _opt(argv, "--ngpu") == "4" and _opt(argv, "--multiprocessing_distributed") == "true"
    assert _opt(argv, "--dist_launcher") == "slurm"
    assert _opt(argv, "--dist_master_addr") == "node01"
    assert _opt(argv, "--dist_master_port") == str(20000 + 1234)


@pytest.mark.parametrize(
    "args,backend,message",
    [
        (["--num_nodes", "2"], "local", "needs cmd_backend=slurm"),
        (["--ngpu", "1", "--dist_procs", "2"], "local", "--dist_procs is for CPU"),
        (["--token_type", "phn"], "local", "--token_type must be"),
        (["--nj", "two"], "local", "--nj must be"),
        (["--bogus", "1"], "local", "unknown option --bogus"),
        ([], "pbs", "cmd_backend must be local or slurm"),
    ],
)
def test_bad_options(tmp_path: Path, args, backend, message) -> None:
    r, py = _asr(tmp_path, args, backend)
    assert r.returncode != 0 and message in r.stderr
    assert py == []
