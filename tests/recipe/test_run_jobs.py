"""scripts/run_jobs.sh: local and slurm (fake sbatch) backends, per-job logs."""

import os
from pathlib import Path

import pytest

from ..hang_guard import guarded_run
from .conftest import TEMPLATE
from .fakes import calls, install

RUN_JOBS = TEMPLATE / "scripts" / "run_jobs.sh"


def _run(args, cwd: Path, env=None):
    return guarded_run(
        ["bash", str(RUN_JOBS), *args], cwd=cwd, env=dict(os.environ, **(env or {})),
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip


def test_local_jobs_substitute_job_index(tmp_path: Path) -> None:
    r = _run(["JOB=1:3", "log/x.JOB.log", "echo", "job JOB", "a b"], tmp_path)
    assert r.returncode == 0, r.stderr
    for j in (1, 2, 3):
        lines = (tmp_path / f"log/x.{j}.log").read_text().splitlines()
        assert f"job {j} a b" in lines
        assert lines[-1].startswith("# Ended (code 0)")


def test_local_failure_names_the_log(tmp_path: Path) -> None:
    r = _run(["JOB=1:2", "log/y.JOB.log", "bash", "-c", "exit $((JOB - 1))"], tmp_path)
    assert r.returncode == 1
    assert "log/y.2.log" in r.stderr and "log/y.1.log" not in r.stderr
    assert "# Ended (code 1)" in (tmp_path / "log/y.2.log").read_text()


def test_bad_options(tmp_path: Path) -> None:
    assert "must contain JOB" in _run(["JOB=1:2", "log/z.log", "true"], tmp_path).stderr
    r = _run(["--num_nodes", "2", "log/z.log", "true"], tmp_path)
    assert r.returncode == 2 and "needs --backend slurm" in r.stderr
    assert "unknown option --bogus" in _run(["--bogus", "1", "l", "true"], tmp_path).stderr


def test_slurm_backend_command_lines(tmp_path: Path) -> None:
    env = install(tmp_path / "bin", tmp_path / "fake")
    r = _run(["--backend", "slurm", "--partition", "cpu", "--time", "1:00:00", "--cpus", "2",
              "--mem", "4G", "--gpu", "1", "JOB=1:2", "log/s.JOB.log", "echo", "hi JOB"],
             tmp_path, env)  # fmt: skip
    assert r.returncode == 0, r.stderr
    sb = sorted(calls(tmp_path / "fake", "sbatch"), key=lambda a: a[-1])
    assert len(sb) == 2
    for j, args in enumerate(sb, 1):
        opts = dict(zip(args[1:-1:2], args[2:-1:2]))
        assert args[0] == "--wait"
        assert opts["--output"] == f"log/s.{j}.log" and opts["--partition"] == "cpu"
        assert opts["--time"] == "1:00:00" and opts["--cpus-per-task"] == "2"
        assert opts["--mem"] == "4G" and opts["--gres"] == "gpu:1"
        assert "--nodes" not in opts
        assert args[-1] == f"log/q/s.{j}.sh"
        assert f"hi {j}" in (tmp_path / f"log/s.{j}.log").read_text()
    assert calls(tmp_path / "fake", "srun") == []


def test_slurm_multi_node_uses_srun(tmp_path: Path) -> None:
    env = install(tmp_path / "bin", tmp_path / "fake")
    r = _run(["--backend", "slurm", "--num_nodes", "2", "--gpu", "4", "log/t.log",
              "bash", "-c", "echo procid=$SLURM_PROCID"], tmp_path, env)  # fmt: skip
    assert r.returncode == 0, r.stderr
    (args,) = calls(tmp_path / "fake", "sbatch")
    opts = dict(zip(args[1:-1:2], args[2:-1:2]))
    assert opts["--nodes"] == "2" and opts["--ntasks-per-node"] == "1"
    assert opts["--gres"] == "gpu:4"
    (srun,) = calls(tmp_path / "fake", "srun")
    assert srun[:4] == ["--nodes", "2", "--ntasks-per-node", "1"]
    assert "procid=0" in (tmp_path / "log/t.log").read_text()


@pytest.mark.parametrize("backend", ["local", "slurm"])
def test_failed_job_fails(tmp_path: Path, backend: str) -> None:
    env = install(tmp_path / "bin", tmp_path / "fake")
    r = _run(["--backend", backend, "log/f.log", "false"], tmp_path, env)
    assert r.returncode == 1 and "log/f.log" in r.stderr
