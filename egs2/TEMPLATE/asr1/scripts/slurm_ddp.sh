#!/usr/bin/env bash
# Run one multi-node DDP task under srun: appends --dist_master_addr / --dist_master_port.
#   srun ... slurm_ddp.sh python -m espnet_lowrank.bin.asr_train ... --dist_launcher slurm
# The address is the first host of the job (scontrol), not ESPnet's naive parse of
# SLURM_STEP_NODELIST; the port comes from the job id so every node agrees on it.
set -euo pipefail
: "${SLURM_JOB_ID:?slurm_ddp.sh must run inside a Slurm job (SLURM_JOB_ID unset)}"
: "${SLURM_JOB_NODELIST:?SLURM_JOB_NODELIST unset}"
addr=$(scontrol show hostnames "${SLURM_JOB_NODELIST}" | sed -n 1p)
[ -n "${addr}" ] || { echo "slurm_ddp.sh: no host in ${SLURM_JOB_NODELIST}" >&2; exit 1; }
port=${DDP_MASTER_PORT:-$((20000 + SLURM_JOB_ID % 20000))}
exec "$@" --dist_master_addr "${addr}" --dist_master_port "${port}"
