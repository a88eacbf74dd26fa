"""Test doubles for the cluster: fake ``sbatch``/``srun``/``scontrol`` and a recording
``python``. They log their arguments (one ``printf %q`` line per call) to ``$FAKE_LOG``
and run the payload on this machine."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Dict, List

SBATCH = r"""#!/usr/bin/env bash
echo "$(printf '%q ' "$@")" >>"${FAKE_LOG}/sbatch.log"
out=""; nodes=1; script=""
while [ $# -gt 0 ]; do
    case "$1" in
        --output) out=$2; shift 2 ;;
        --nodes) nodes=$2; shift 2 ;;
        --wait) shift ;;
        --*) shift 2 ;;
        *) script=$1; shift ;;
    esac
done
export SLURM_JOB_ID=1234 SLURM_JOB_NODELIST="node[01-0${nodes}]" SLURM_NNODES=${nodes}
bash "${script}" >"${out}" 2>&1
"""

SRUN = r"""#!/usr/bin/env bash
echo "$(printf '%q ' "$@")" >>"${FAKE_LOG}/srun.log"
while [ $# -gt 0 ]; do
    case "$1" in --*) shift 2 ;; *) break ;; esac
done
SLURM_PROCID=0 SLURM_NTASKS=${SLURM_NNODES} "$@"
"""

SCONTROL = r"""#!/usr/bin/env bash
[ "$1 $2" = "show hostnames" ] || { echo "fake scontrol: unsupported $*" >&2; exit 1; }
n=${SLURM_NNODES:-1}
for ((i = 1; i <= n; i++)); do printf 'node%02d\n' "${i}"; done
"""

# Records its argv; for a training run it leaves the model file asr.sh checks for.
PYTHON = r"""#!/usr/bin/env bash
echo "$(printf '%q ' "$@")" >>"${FAKE_LOG}/python.log"
prev=""
for a in "$@"; do
    if [ "${prev}" = --output_dir ]; then mkdir -p "${a}"; touch "${a}/valid.acc.ave.pth"; fi
    prev=${a}
done
"""


def install(bin_dir: Path, log_dir: Path) -> Dict[str, str]:
    """Write the fakes into ``bin_dir``; return env updates (PATH first, FAKE_LOG)."""
    import os

    bin_dir.mkdir(parents=True, exist_ok=True)
    log_dir.mkdir(parents=True, exist_ok=True)
    for name, text in {"sbatch": SBATCH, "srun": SRUN, "scontrol": SCONTROL,
                       "python": PYTHON}.items():  # fmt: skip
        p = bin_dir / name
        p.write_text(text)
        p.chmod(0o755)
    return {"PATH": f"{bin_dir}:{os.environ['PATH']}", "FAKE_LOG": str(log_dir)}


def calls(log_dir: Path, tool: str) -> List[List[str]]:
    """The recorded argument lists of ``tool`` (empty if never called)."""
    p = log_dir / f"{tool}.log"
    if not p.exists():
        return []
    return [shlex.split(line) for line in p.read_text().splitlines()]
