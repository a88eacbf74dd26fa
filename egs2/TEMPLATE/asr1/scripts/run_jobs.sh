#!/usr/bin/env bash
# Run a command as N parallel jobs, locally or on Slurm, with one log per job
# (the role of Kaldi's run.pl / slurm.pl in ESPnet recipes; written for this package).
#
#   run_jobs.sh [options] [JOB=1:N] LOG CMD [ARGS...]
#
# Every "JOB" in LOG and in the arguments is replaced by the job index. A job's
# output goes to its LOG (first line: the command; last line: "# Ended (code C)").
# Exits 1 naming the failed logs if any job fails.
# Options:
#   --backend local|slurm   (default: $RUN_JOBS_BACKEND or local)
#   --gpu G                 slurm: --gres gpu:G  (local: ignored)
#   --num_nodes N           slurm: N nodes, one task per node, payload run by srun
#   --partition P --time T --cpus C --mem M --gres G --account A  (slurm)
#   --sbatch_opts "..."     slurm: further sbatch options
set -euo pipefail

backend=${RUN_JOBS_BACKEND:-local}
gpu=0
num_nodes=1
partition=""
time_limit=""
cpus=""
mem=""
gres=""
account=""
sbatch_opts=""

die() { echo "run_jobs.sh: error: $*" >&2; exit 2; }

while [ $# -gt 0 ]; do
    case "$1" in
        --backend|--gpu|--num_nodes|--partition|--cpus|--mem|--gres|--account|--sbatch_opts)
            [ $# -ge 2 ] || die "option $1 needs a value"
            printf -v "${1#--}" '%s' "$2"; shift 2 ;;
        --time) [ $# -ge 2 ] || die "option $1 needs a value"; time_limit=$2; shift 2 ;;
        --*) die "unknown option $1" ;;
        *) break ;;
    esac
done

first=1; last=1; array=false
if [[ $# -gt 0 && $1 =~ ^JOB=([0-9]+):([0-9]+)$ ]]; then
    first=${BASH_REMATCH[1]}; last=${BASH_REMATCH[2]}; array=true; shift
    [ "${first}" -le "${last}" ] || die "empty job range JOB=${first}:${last}"
fi
[ $# -ge 2 ] || die "usage: run_jobs.sh [options] [JOB=1:N] LOG CMD [ARGS...]"
log_pattern=$1; shift
case "${backend}" in local|slurm) ;; *) die "--backend must be local or slurm, not '${backend}'" ;; esac
[[ ${num_nodes} =~ ^[1-9][0-9]*$ ]] || die "--num_nodes must be a positive integer, not '${num_nodes}'"
if [ "${num_nodes}" -gt 1 ] && [ "${backend}" != slurm ]; then
    die "--num_nodes ${num_nodes} needs --backend slurm"
fi
if ${array} && [[ "${log_pattern}" != *JOB* ]]; then
    die "log name '${log_pattern}' must contain JOB when running JOB=${first}:${last}"
fi

# The command line of job $1, each argument shell-quoted after JOB substitution.
job_cmd() {
    local j=$1 a out=""
    shift
    for a in "$@"; do
        if ${array}; then a=${a//JOB/${j}}; fi
        out+="$(printf '%q' "${a}") "
    done
    echo "${out% }"
}

# The bash script one job runs (wraps the payload with srun for multi-node jobs).
job_script() {
    local cmd=$1
    echo "#!/usr/bin/env bash"
    echo "cd $(printf '%q' "${PWD}")"
    echo "echo \"# ${cmd//\"/\\\"}\""
    echo "echo \"# Started at \$(date)\""
    if [ "${backend}" = slurm ] && [ "${num_nodes}" -gt 1 ]; then
        echo "srun --nodes ${num_nodes} --ntasks-per-node 1 ${cmd}"
    else
        echo "${cmd}"
    fi
    echo "rc=\$?"
    echo "echo \"# Ended (code \${rc}) at \$(date)\""
    echo "exit \${rc}"
}

pids=()
logs=()
for ((j = first; j <= last; j++)); do
    log=${log_pattern//JOB/${j}}
    mkdir -p "$(dirname "${log}")"
    if [ "${backend}" = local ]; then
        bash -c "$(job_script "$(job_cmd "${j}" "$@")")" </dev/null >"${log}" 2>&1 &
    else
        qdir=$(dirname "${log}")/q  # the job scripts, kept next to the logs
        mkdir -p "${qdir}"
        script=${qdir}/$(basename "${log}" .log).sh
        job_script "$(job_cmd "${j}" "$@")" >"${script}"
        opts=(--wait --job-name "$(basename "${log}" .log)" --output "${log}" --open-mode truncate)
        [ -n "${partition}" ] && opts+=(--partition "${partition}")
        [ -n "${time_limit}" ] && opts+=(--time "${time_limit}")
        [ -n "${cpus}" ] && opts+=(--cpus-per-task "${cpus}")
        [ -n "${mem}" ] && opts+=(--mem "${mem}")
        [ -n "${account}" ] && opts+=(--account "${account}")
        if [ -n "${gres}" ]; then
            opts+=(--gres "${gres}")
        elif [ "${gpu}" -gt 0 ]; then
            opts+=(--gres "gpu:${gpu}")
        fi
        if [ "${num_nodes}" -gt 1 ]; then
            opts+=(--nodes "${num_nodes}" --ntasks-per-node 1)
        fi
        # shellcheck disable=SC2206
        [ -n "${sbatch_opts}" ] && opts+=(${sbatch_opts})
        sbatch "${opts[@]}" "${script}" >/dev/null &
    fi
    pids+=($!)
    logs+=("${log}")
done

failed=()
for i in "${!pids[@]}"; do
    if ! wait "${pids[$i]}"; then
        failed+=("${logs[$i]}")
    elif [[ "$(tail -n 1 "${logs[$i]}" 2>/dev/null)" != "# Ended (code 0)"* ]]; then
        failed+=("${logs[$i]}")
    fi
done
if [ ${#failed[@]} -gt 0 ]; then
    echo "run_jobs.sh: ${#failed[@]} of ${#pids[@]} job(s) failed; see ${failed[*]}" >&2
    exit 1
fi
