#!/usr/bin/env bash
# librispeech_lowrank: LR-SMS (low-rank Conformer trained from scratch) on LibriSpeech.
#   ./run.sh                                   full-rank baseline (conf/train_asr_conformer.yaml)
#   ./run.sh --asr_config conf/train_asr_conformer_lr_sms.yaml     LR-SMS
#   ./run.sh --train_set train_clean_100 ...   cheaper runs on 100 h
#   ./run.sh --lm_corpus false ...             LM on the training transcripts only (no 1.4 GB
#                                              LM corpus download)
#   ./run.sh --asr_config conf/train_asr_conformer_lr_sms.yaml --lora_rescoring true
#                                              also stages 14-19: a base LM on the LM corpus,
#                                              adapted to the transcripts by the four LoRA
#                                              strategies of conf/lora/ and by full fine-tuning,
#                                              10-best rescoring and NPRR (needs --lm_corpus true)
# Edit db.sh to point at the corpus (or a download folder). Every other option goes to
# asr.sh (the last value given wins, e.g. --ngpu 1 --nbpe 500 --speed_perturb_factors "");
# see README.md for many GPUs and Slurm.
set -euo pipefail

train_set=train_960       # train_960 | train_clean_100
lm_corpus=true            # LM text: the LibriSpeech LM corpus + train transcripts (false: transcripts)
lora_rescoring=false      # stages 14-19 (LoRA LM rescoring of the N-best lists, NPRR)
asr_opts=()
while [ $# -gt 0 ]; do
    case "$1" in
        --train_set|--lm_corpus|--lora_rescoring)
            [ $# -ge 2 ] || { echo "$0: option $1 needs a value" >&2; exit 2; }
            printf -v "${1#--}" '%s' "$2"; shift 2 ;;
        --*)  # an asr.sh option and its value
            if [ $# -ge 2 ]; then asr_opts+=("$1" "$2"); shift 2; else asr_opts+=("$1"); shift; fi ;;
        *) asr_opts+=("$1"); shift ;;
    esac
done
case "${train_set}" in train_960|train_clean_100) ;; *)
    echo "$0: --train_set must be train_960 or train_clean_100, not '${train_set}'" >&2; exit 2 ;; esac
for flag in lm_corpus lora_rescoring; do
    case "${!flag}" in true|false) ;; *)
        echo "$0: --${flag} must be true or false, not '${!flag}'" >&2; exit 2 ;; esac
done
if ${lora_rescoring} && ! ${lm_corpus}; then
    echo "$0: --lora_rescoring true needs --lm_corpus true (the base LM's general-domain text)" >&2
    exit 2
fi

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

lora_opts=()
if ${lora_rescoring}; then
    # general domain: the LM corpus (books); in-domain: the training transcripts
    lora_opts=(--lora_rescoring true --rescore_nbest 10
        --lm_general_config conf/train_lm_general.yaml
        --lm_general_text data/local/other_text/text --lm_indomain_text "data/${train_set}/text"
        --lora_config_dir conf/lora --lm_full_finetune true
        --nprr_seeds "0 1 2" --nprr_common_lm_weight 0.2)
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
    "${lora_opts[@]}" \
    "${asr_opts[@]}"
