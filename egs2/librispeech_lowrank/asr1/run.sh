#!/usr/bin/env bash
# librispeech_lowrank: LR-SMS (low-rank Conformer trained from scratch) on LibriSpeech.
#   ./run.sh                                   full-rank baseline (conf/train_asr_conformer.yaml)
#   ./run.sh --asr_config conf/train_asr_conformer_lr_sms.yaml     LR-SMS
#   ./run.sh --train_set train_clean_100 ...   cheaper runs on 100 h
#   ./run.sh --lm_corpus false ...             LM on the training transcripts only (no 1.4 GB
#                                              LM corpus download)
# Edit db.sh to point at the corpus (or a download folder). Every other option goes to
# asr.sh (the last value given wins, e.g. --ngpu 1 --nbpe 500 --speed_perturb_factors "");
# see README.md for many GPUs and Slurm.
set -euo pipefail

train_set=train_960       # train_960 | train_clean_100
lm_corpus=true            # LM text: the LibriSpeech LM corpus + train transcripts (false: transcripts)
asr_opts=()
while [ $# -gt 0 ]; do
    case "$1" in
        --train_set|--lm_corpus)
            [ $# -ge 2 ] || { echo "$0: option $1 needs a value" >&2; exit 2; }
            printf -v "${1#--}" '%s' "$2"; shift 2 ;;
        --*)  # an asr.sh option and its value
            if [ $# -ge 2 ]; then asr_opts+=("$1" "$2"); shift 2; else asr_opts+=("$1"); shift; fi ;;
        *) asr_opts+=("$1"); shift ;;
    esac
done
case "${train_set}" in train_960|train_clean_100) ;; *)
    echo "$0: --train_set must be train_960 or train_clean_100, not '${train_set}'" >&2; exit 2 ;; esac
case "${lm_corpus}" in true|false) ;; *)
    echo "$0: --lm_corpus must be true or false, not '${lm_corpus}'" >&2; exit 2 ;; esac

valid_set=dev
test_sets="test_clean test_other dev_clean dev_other"

asr_config=conf/train_asr_conformer.yaml
lm_config=conf/train_lm_transformer.yaml
inference_config=conf/decode_asr.yaml

# As ESPnet's LibriSpeech recipe: the training set becomes data/${train_set}_sp (3x).
speed_perturb_factors="0.9 1.0 1.1"

if ${lm_corpus}; then
    local_data_opts="--train_set ${train_set}"
    lm_train_text="data/${train_set}/text data/local/other_text/text"
else
    local_data_opts="--train_set ${train_set} --lm_text false"
    lm_train_text="data/${train_set}/text"
fi

../../TEMPLATE/asr1/asr.sh \
    --lang en \
    --ngpu 4 \
    --nj 32 \
    --inference_nj 32 \
    --train_set "${train_set}" \
    --valid_set "${valid_set}" \
    --test_sets "${test_sets}" \
    --local_data_opts "${local_data_opts}" \
    --speed_perturb_factors "${speed_perturb_factors}" \
    --token_type bpe \
    --nbpe 5000 \
    --max_wav_duration 30 \
    --asr_config "${asr_config}" \
    --lm_config "${lm_config}" \
    --use_lm true \
    --lm_train_text "${lm_train_text}" \
    --bpe_train_text "data/${train_set}/text" \
    --inference_config "${inference_config}" \
    "${asr_opts[@]}"
