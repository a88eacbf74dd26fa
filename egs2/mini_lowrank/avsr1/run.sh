#!/usr/bin/env bash
# mini_lowrank/avsr1: audio-visual ASR on a corpus made on this machine (GRID-style six-word
# commands spoken by espeak-ng at low SNR + synthetic mouth videos that follow its phonemes),
# CPU-sized, with word tokens (51 words). Trains through the shared driver (asr.sh --task
# avsr) and compares in RESULTS.md (with the plot of WER against SNR, wer_vs_snr.png):
#   audio-only, video-only (full rank, one front-end: model_conf.streams), then AV full rank
#   and AV LR-SMS, both started from the two single-stream models (ESPnet's init_param; the
#   low-rank one through their truncated SVD: convert svd_transfer), one run per seed.
#   ./run.sh                   the corpus and all models (about 3 h on 2 CPU cores, README.md)
#   ./run.sh --models "av_full_uniinit" --seeds "1 2"   only these (two runs side by side)
#   ./run.sh --smoke true      CI: every stage on a tiny corpus with tiny models
# Other options go to asr.sh (e.g. --stage 8 --ngpu 1 --python .venv/bin/python); finished
# stages are skipped, so later models reuse the data, tokens, statistics and models.
set -euo pipefail

smoke=false
only=""      # e.g. "av_audio_only av_video_only": train only these models
seeds=""     # training seeds of the two AV models (seed 0 keeps the plain tag); default
             # "0 1 2" (the runs of RESULTS.md), "0" with --smoke true
while [ $# -ge 2 ]; do
    case "$1" in
        --smoke) smoke=$2; shift 2 ;;
        --models) only=$2; shift 2 ;;
        --seeds) seeds=$2; shift 2 ;;
        *) break ;;
    esac
done
all_tags="av_audio_only av_video_only av_full_uniinit av_lr_sms_uniinit av_full av_lr_sms"
for tag in ${only}; do
    [[ " ${all_tags} " == *" ${tag} "* ]] || {
        echo "$0: --models takes ${all_tags}, not '${tag}'" >&2; exit 2; }
done
for seed in ${seeds}; do
    [[ "${seed}" =~ ^[0-9]+$ ]] || { echo "$0: --seeds takes integers, not '${seed}'" >&2; exit 2; }
done
case "${smoke}" in
    true | false) ;;
    *) echo "$0: --smoke must be true or false, not '${smoke}'" >&2; exit 2 ;;
esac
[ -n "${seeds}" ] || seeds=$(${smoke} && echo 0 || echo "0 1 2")
python=python3
stop_stage=100
prev=""
for a in "$@"; do
    [ "${prev}" = --python ] && python=${a}
    [ "${prev}" = --stop_stage ] && stop_stage=${a}
    prev=${a}
done

train_set=train
valid_set=dev
token_type=word  # a closed 51-word grammar: one token per word
token_list=data/token_list/${token_type}/tokens.txt
inference_config=conf/decode_asr.yaml
# the two single-stream models the AV models start from, and their weights on LR-SMS' ranks
inits="exp/asr_av_audio_only/valid.acc.ave.pth exp/asr_av_video_only/valid.acc.ave.pth"

if ${smoke}; then
    # CI: one tiny (low-rank) config for all models; the AV ones start from the single-stream
    # models' weights put onto that config by svd_transfer (here a copy: same ranks)
    full=conf/train_avsr_smoke.yaml
    lr_sms=conf/train_avsr_smoke.yaml
    full_uniinit=conf/train_avsr_smoke.yaml
    lr_sms_uniinit=conf/train_avsr_smoke.yaml
    uniinit_args="--init_param exp/asr_av_audio_only/lr_sms_init/model.pth"
    uniinit_args+=" exp/asr_av_video_only/lr_sms_init/model.pth:video_frontend:video_frontend"
    test_sets="test test_unseen test_snr_clean test_snr_m5"
    local_data_opts="--smoke true"
    nj=1     # tiny sets: one job per stage is faster than two
else
    full=conf/train_avsr_full.yaml
    lr_sms=conf/train_avsr_lr_sms.yaml
    full_uniinit=conf/train_avsr_full_uniinit.yaml      # init_param: the single-stream models
    lr_sms_uniinit=conf/train_avsr_lr_sms_uniinit.yaml  # init_param: their lr_sms_init
    uniinit_args=""
    test_sets="test test_unseen test_snr_clean test_snr_10 test_snr_5 test_snr_0 test_snr_m5"
    local_data_opts=""
    nj=2
fi

train() {  # label config asr_tag asr_args: one model through the driver, unless --models skips it
    local tag=$3
    [ -z "${only}" ] || [[ " ${only} " == *" ${tag%_seed*} "* ]] || return 0
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
        --asr_config "$2" \
        --asr_tag "${tag}" \
        --asr_args "$4" \
        --inference_config "${inference_config}" \
        --stop_stage 11 \
        "${@:5}"
}

# label|config|asr_tag|asr_args (the same label again: another seed of that model)
single=(
    "audio-only|${full}|av_audio_only|--model_conf streams=audio"
    "video-only|${full}|av_video_only|--model_conf streams=video"
)
av=()
for seed in ${seeds}; do
    suffix=$([ "${seed}" = 0 ] && echo "" || echo "_seed${seed}")
    av+=("AV full rank|${full_uniinit}|av_full_uniinit${suffix}|--seed ${seed} ${uniinit_args}")
    av+=("AV LR-SMS|${lr_sms_uniinit}|av_lr_sms_uniinit${suffix}|--seed ${seed} ${uniinit_args}")
done
scratch=(  # AV trained from scratch (README.md: fusion loses then); only with --models
    "AV full rank, from scratch|${full}|av_full|"
    "AV LR-SMS, from scratch|${lr_sms}|av_lr_sms|"
)

for spec in "${single[@]}"; do
    IFS='|' read -r label config tag args <<<"${spec}"
    train "${label}" "${config}" "${tag}" "${args}" "$@"
done
if [ -n "${only}" ]; then
    for spec in "${scratch[@]}"; do
        IFS='|' read -r label config tag args <<<"${spec}"
        train "${label}" "${config}" "${tag}" "${args}" "$@"
    done
fi

if [ "${stop_stage}" -ge 8 ]; then
    needs_init=false  # an AV model will be trained: it needs the single-stream models
    needs_svd=false   # ... and their weights on LR-SMS' ranks (the smoke run: both AV models)
    for tag in av_full_uniinit av_lr_sms_uniinit; do
        if [ -z "${only}" ] || [[ " ${only} " == *" ${tag} "* ]]; then
            needs_init=true
            { [ "${tag}" = av_lr_sms_uniinit ] || ${smoke}; } && needs_svd=true
        fi
    done
    if ${needs_init}; then
        for init in ${inits}; do
            if [ ! -f "${init}" ]; then
                echo "$0: the AV models start from ${init}, which does not exist:" \
                    "train it first (./run.sh --models \"av_audio_only av_video_only\")" >&2
                exit 2
            fi
            out=$(dirname "${init}")/lr_sms_init
            if ${needs_svd} && { [ ! -f "${out}/model.pth" ] || [ "${init}" -nt "${out}/model.pth" ]; }; then
                # the full-rank weights on the LR-SMS model's ranks (truncated SVD)
                "${python}" -m espnet_lowrank.bin.convert svd_transfer --task asr \
                    --config "${lr_sms_uniinit}" --token_list "${token_list}" \
                    --model "${init}" --out_dir "${out}"
            fi
        done
    fi
    for spec in "${av[@]}"; do
        IFS='|' read -r label config tag args <<<"${spec}"
        train "${label}" "${config}" "${tag}" "${args}" "$@"
    done
fi

compare_opts=()
all_decoded=true
for spec in "${single[@]}" "${av[@]}"; do
    IFS='|' read -r label config tag args <<<"${spec}"
    compare_opts+=(--model "${label}=exp/asr_${tag}")
    for dset in ${test_sets}; do
        [ -f "exp/asr_${tag}/decode_asr_asr_model_valid.acc.ave/${dset}/score_wer/result.txt" ] \
            || all_decoded=false
    done
done
if ${all_decoded}; then  # every model and seed scored on every test set
    "${python}" -m espnet_lowrank.bin.avsr_data compare "${compare_opts[@]}" \
        --inference_tag decode_asr_asr_model_valid.acc.ave --test_sets ${test_sets} \
        --reference "AV full rank" --plot wer_vs_snr.png --out RESULTS.md \
        --pair "AV full rank:audio-only" --pair "AV full rank:video-only" \
        --pair "AV LR-SMS:AV full rank" \
        --title "Audio-visual mini corpus (GRID-style grammar, word tokens)"
fi
