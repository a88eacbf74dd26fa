# shellcheck shell=bash
# Job backends for asr.sh (sourced). Pick one with cmd_backend, here or in the
# environment: local (jobs in parallel on this machine) or slurm (sbatch --wait).
#   train_cmd: CPU jobs (stats, CPU training)   decode_cmd: decoding jobs
#   cuda_cmd:  GPU jobs; asr.sh adds --gpu G (and --num_nodes N for multi-node DDP)
# Per-job logs: LOG with JOB replaced by the job index (see scripts/run_jobs.sh).
cmd_backend=${cmd_backend:-local}

# Slurm settings (ignored by the local backend); override in the environment.
slurm_partition=${slurm_partition:-}
slurm_gpu_partition=${slurm_gpu_partition:-${slurm_partition}}
slurm_time=${slurm_time:-24:00:00}
slurm_cpus=${slurm_cpus:-4}
slurm_mem=${slurm_mem:-16G}
slurm_account=${slurm_account:-}

case "${cmd_backend}" in
    local)
        train_cmd="run_jobs.sh --backend local"
        decode_cmd="run_jobs.sh --backend local"
        cuda_cmd="run_jobs.sh --backend local"
        ;;
    slurm)
        _slurm="run_jobs.sh --backend slurm --time ${slurm_time} --cpus ${slurm_cpus} --mem ${slurm_mem}"
        [ -n "${slurm_account}" ] && _slurm+=" --account ${slurm_account}"
        train_cmd="${_slurm}"
        decode_cmd="${_slurm}"
        cuda_cmd="${_slurm}"
        if [ -n "${slurm_partition}" ]; then
            train_cmd+=" --partition ${slurm_partition}"
            decode_cmd+=" --partition ${slurm_partition}"
        fi
        [ -n "${slurm_gpu_partition}" ] && cuda_cmd+=" --partition ${slurm_gpu_partition}"
        unset _slurm
        ;;
    *)
        echo "cmd.sh: cmd_backend must be local or slurm, not '${cmd_backend}'" >&2
        # shellcheck disable=SC2317  # exit only if run instead of sourced
        return 2 2>/dev/null || exit 2
        ;;
esac
