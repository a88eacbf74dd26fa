#!/usr/bin/env bash
# The default mini run with the two models trained and decoded at the same time, one thread
# each: on 2 cores this is faster than one after the other (PyTorch gains little from a second
# thread at this model size), and both models see the same machine load, so their epoch times
# compare fairly. This is how the figures in RESULTS.md were made.
#   local/side_by_side.sh [--corpus v1|v2] [run.sh options, e.g. --python .venv/bin/python]
#   local/side_by_side.sh --ablations true --seeds "0 1 2"   the ablation grid, two at a time
# Logs: side_by_side.lane0.log (full rank first) and side_by_side.lane1.log (LR-SMS first).
set -euo pipefail
corpus_opts=()
if [ "${1:-}" = --corpus ]; then
    [ $# -ge 2 ] || { echo "$0: --corpus needs a value (v1 or v2)" >&2; exit 2; }
    corpus_opts=(--corpus "$2"); shift 2
fi
for a in "$@"; do
    case "${a}" in
        --smoke | --lane)
            echo "$0: ${a} is a run.sh option this script cannot take (it runs two lanes of full-corpus trainings; use ./run.sh ${a} ...)" >&2
            exit 2 ;;
    esac
done
python=python3
args=("$@")
for ((i = 0; i + 1 < ${#args[@]}; i++)); do [ "${args[i]}" = --python ] && python=${args[i + 1]}; done
ablations=false
for ((i = 0; i + 1 < ${#args[@]}; i++)); do [ "${args[i]}" = --ablations ] && ablations=${args[i + 1]}; done
started=$(date +%s)
if [ "${ablations}" != true ] && [ -f conf/demo_timing.yaml ]; then
    # a few training steps of the full-rank model, scaled by the reference run's phases
    echo "$0: timing a short training step to estimate the run's length ..." >&2
    OMP_NUM_THREADS=1 ${python} -m espnet_lowrank.bin.recipe_tools demo-estimate \
        --config conf/train_asr_full.yaml --timing conf/demo_timing.yaml \
        --exps asr_train_asr_full_raw_en_bpe300 asr_train_asr_lr_sms_raw_en_bpe300 >&2
fi
./run.sh "${corpus_opts[@]}" --stop_stage 7 "$@"  # data, tokens, LM, statistics (shared)
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
pids=()
# two lanes: run.sh's trainings (the two default models, or with --ablations true the
# grid's missing ones) alternate between them
for k in 0 1; do
    ./run.sh "${corpus_opts[@]}" --lane "${k}/2" --stage 8 --inference_nj 1 "$@" \
        >"side_by_side.lane${k}.log" 2>&1 &
    pids+=($!)
done
# progress every ${progress_every} s while the lanes run (their logs have the details)
progress_every=${PROGRESS_EVERY:-120}
ticks=0
while kill -0 "${pids[0]}" 2>/dev/null || kill -0 "${pids[1]}" 2>/dev/null; do
    sleep 5
    ticks=$((ticks + 5))
    if [ "${ticks}" -ge "${progress_every}" ]; then
        ticks=0
        ${python} -m espnet_lowrank.bin.recipe_tools progress --started "${started}" \
            --lane_logs side_by_side.lane0.log side_by_side.lane1.log >&2 || true
    fi
done
rc=0
for pid in "${pids[@]}"; do wait "${pid}" || rc=1; done
echo "$0: done in $(( ($(date +%s) - started) / 60 )) min" >&2
[ "${rc}" -eq 0 ] || { echo "$0: a training failed; see side_by_side.lane{0,1}.log" >&2; exit 1; }
