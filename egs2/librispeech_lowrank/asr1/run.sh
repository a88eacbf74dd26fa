#!/usr/bin/env bash
# librispeech_lowrank: LR-SMS (low-rank Conformer trained from scratch) on LibriSpeech.
#   ./run.sh                                   full-rank baseline (conf/train_asr_conformer.yaml)
#   ./run.sh --asr_config conf/train_asr_conformer_lr_sms.yaml     LR-SMS
#   ./run.sh --train_set train_clean_100 ...   cheaper runs on 100 h
# Edit db.sh to point at the corpus (or a download folder). Options go to asr.sh;
# see README.md for many GPUs and Slurm.
set -euo pipefail

train_set=train_960
if [ $# -ge 2 ] && [ "$1" = --train_set ]; then train_set=$2; shift 2; fi
valid_set=dev
test_sets="test_clean test_other dev_clean dev_other"

asr_config=conf/train_asr_conformer.yaml
lm_config=conf/train_lm_transformer.yaml
inference_config=conf/decode_asr.yaml

../../TEMPLATE/asr1/asr.sh \
    --lang en \
    --ngpu 4 \
    --nj 32 \
    --inference_nj 32 \
    --train_set "${train_set}" \
    --valid_set "${valid_set}" \
    --test_sets "${test_sets}" \
    --local_data_opts "--train_set ${train_set}" \
    --token_type bpe \
    --nbpe 5000 \
    --max_wav_duration 30 \
    --asr_config "${asr_config}" \
    --lm_config "${lm_config}" \
    --use_lm true \
    --lm_train_text "data/${train_set}/text data/local/other_text/text" \
    --bpe_train_text "data/${train_set}/text" \
    --inference_config "${inference_config}" \
    "$@"
