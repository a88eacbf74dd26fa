#!/usr/bin/env bash
# The default mini run with the two models trained and decoded at the same time, one thread
# each: on 2 cores this is faster than one after the other (PyTorch gains little from a second
# thread at this model size), and both models see the same machine load, so their epoch times
# compare fairly. This is how the figures in RESULTS.md were made.
#   local/side_by_side.sh [--corpus v1|v2] [run.sh options, e.g. --python .venv/bin/python]
set -euo pipefail
corpus_opts=()
if [ "${1:-}" = --corpus ]; then
    [ $# -ge 2 ] || { echo "$0: --corpus needs a value (v1 or v2)" >&2; exit 2; }
    corpus_opts=(--corpus "$2"); shift 2
fi
for a in "$@"; do
    case "${a}" in
        --smoke | --ablations | --suggested | --asr_configs)
            echo "$0: ${a} is a run.sh option; this script trains the two default models (use ./run.sh ${a} ...)" >&2
            exit 2 ;;
    esac
done
./run.sh "${corpus_opts[@]}" --stop_stage 7 "$@"  # data, tokens, LM, statistics (shared)
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
pids=()
for config in conf/train_asr_full.yaml conf/train_asr_lr_sms.yaml; do
    ./run.sh "${corpus_opts[@]}" --asr_configs "${config}" --stage 8 --inference_nj 1 "$@" \
        >"side_by_side.$(basename "${config}" .yaml).log" 2>&1 &
    pids+=($!)
done
rc=0
for pid in "${pids[@]}"; do wait "${pid}" || rc=1; done
[ "${rc}" -eq 0 ] || { echo "$0: a model failed; see side_by_side.*.log" >&2; exit 1; }
