#!/usr/bin/env bash
# mini_lowrank/avsr1: audio-visual ASR on a corpus made on this machine (GRID-style six-word
# commands spoken by espeak-ng at low SNR + synthetic mouth videos that follow its phonemes),
# CPU-sized, with word tokens (51 words). Trains four models through
# the shared driver (asr.sh --task avsr) and compares them in RESULTS.md:
#   audio-only, video-only (full rank, one front-end: model_conf.streams), AV full rank, AV LR-SMS.
#   ./run.sh                   the four models (about 45 min on 2 CPU cores, see README.md)
#   ./run.sh --smoke true      CI: every stage on a tiny corpus with tiny models
# Other options go to asr.sh (e.g. --stage 8 --ngpu 1 --python .venv/bin/python); finished
# stages are skipped, so later models reuse the data, tokens and statistics.
set -euo pipefail

smoke=false
only=""  # e.g. "av_full av_audio_only": train only these models (two such runs side by side)
while [ $# -ge 2 ]; do
    case "$1" in
        --smoke) smoke=$2; shift 2 ;;
        --models) only=$2; shift 2 ;;
        *) break ;;
    esac
done
for tag in ${only}; do
    case "${tag}" in
        av_audio_only | av_video_only | av_full | av_lr_sms) ;;
        *) echo "$0: --models takes av_audio_only av_video_only av_full av_lr_sms, not '${tag}'" >&2; exit 2 ;;
    esac
done
case "${smoke}" in
    true | false) ;;
    *) echo "$0: --smoke must be true or false, not '${smoke}'" >&2; exit 2 ;;
esac
python=python3
prev=""
for a in "$@"; do [ "${prev}" = --python ] && python=${a}; prev=${a}; done

train_set=train
valid_set=dev
test_sets="test"

if ${smoke}; then
    full=conf/train_avsr_smoke.yaml
    lr_sms=conf/train_avsr_smoke.yaml  # CI: one tiny (low-rank) config for all four models
    local_data_opts="--smoke true"
    nj=1     # tiny sets: one job per stage is faster than two
else
    full=conf/train_avsr_full.yaml
    lr_sms=conf/train_avsr_lr_sms.yaml
    local_data_opts=""
    nj=2
fi
token_type=word  # a closed 51-word grammar: one token per word
inference_config=conf/decode_asr.yaml

# label|config|asr_tag|asr_args
models=(
    "audio-only|${full}|av_audio_only|--model_conf streams=audio"
    "video-only|${full}|av_video_only|--model_conf streams=video"
    "AV full rank|${full}|av_full|"
    "AV LR-SMS|${lr_sms}|av_lr_sms|"
)
compare_opts=()
for spec in "${models[@]}"; do
    IFS='|' read -r label config tag args <<<"${spec}"
    compare_opts+=(--model "${label}=exp/asr_${tag}")
    [ -z "${only}" ] || [[ " ${only} " == *" ${tag} "* ]] || continue
    ../../TEMPLATE/asr1/asr.sh \
        --task avsr \
        --lang en \
        --train_set "${train_set}" \
        --valid_set "${valid_set}" \
        --test_sets "${test_sets}" \
        --local_data_opts "${local_data_opts}" \
        --token_type "${token_type}" \
        --nj "${nj}" \
        --inference_nj "${nj}" \
        --use_lm false \
        --asr_config "${config}" \
        --asr_tag "${tag}" \
        --asr_args "${args}" \
        --inference_config "${inference_config}" \
        --stop_stage 11 \
        "$@"
done

all_decoded=true
for tag in av_audio_only av_video_only av_full av_lr_sms; do
    [ -n "$(ls exp/asr_${tag}/decode_*/*/score_wer/result.txt 2>/dev/null)" ] || all_decoded=false
done
if ${all_decoded}; then  # the four models scored (not with --stop_stage before decoding)
    "${python}" -m espnet_lowrank.bin.avsr_data compare "${compare_opts[@]}" \
        --inference_tag decode_asr_asr_model_valid.acc.ave --test_sets ${test_sets} \
        --reference "AV full rank" --title "Audio-visual mini corpus (GRID-style grammar, word tokens)" --out RESULTS.md
fi
