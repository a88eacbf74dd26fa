#!/usr/bin/env bash
# lrs3_lowrank/asr1: audio-only ASR on LRS3 with full-rank and LR-SMS (low-rank) Conformers.
#   ./run.sh                                                     full rank (255.2 M parameters)
#   ./run.sh --asr_config conf/train_asr_conformer_lr_sms.yaml   LR-SMS (123.4 M)
#   ./run.sh --local_data_opts "--use_pretrain true"            also train on pretrain/
# Set LRS3 in db.sh. Options go to ../../TEMPLATE/asr1/asr.sh; see README.md.
set -euo pipefail

train_set=train
valid_set=dev
test_sets="test"

asr_config=conf/train_asr_conformer.yaml
inference_config=conf/decode_asr.yaml

../../TEMPLATE/asr1/asr.sh \
    --lang en \
    --ngpu 4 \
    --nj 16 \
    --inference_nj 16 \
    --train_set "${train_set}" \
    --valid_set "${valid_set}" \
    --test_sets "${test_sets}" \
    --token_type bpe \
    --nbpe 5000 \
    --max_wav_duration 30 \
    --use_lm false \
    --asr_config "${asr_config}" \
    --inference_config "${inference_config}" \
    "$@"
