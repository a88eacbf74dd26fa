#!/usr/bin/env bash
# lrs3_lowrank/avsr1: audio-visual ASR on LRS3 (raw audio + 88x88 mouth crops at 25 fps)
# with full-rank and LR-SMS (low-rank) Conformers; front-ends trained end to end.
#   ./run.sh                                                      full rank (261.6 M parameters)
#   ./run.sh --asr_config conf/train_avsr_conformer_lr_sms.yaml   LR-SMS (132.7 M)
#   ./run.sh --stage 9 --inference_args "--modality audio"        audio-only decoding of the AV model
#   ./run.sh --local_data_opts "--video precropped"               videos that are already mouth crops
# Set LRS3 (and LRS3_LANDMARKS) in db.sh. Options go to ../../TEMPLATE/asr1/asr.sh; see README.md.
set -euo pipefail

train_set=train
valid_set=dev
test_sets="test"

asr_config=conf/train_avsr_conformer.yaml
inference_config=conf/decode_asr.yaml

../../TEMPLATE/asr1/asr.sh \
    --task avsr \
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
