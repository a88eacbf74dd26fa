#!/usr/bin/env bash
# mini_lowrank: a small spoken corpus made on this machine; CPU-sized low-rank ASR.
#   ./run.sh                 full mini recipe: the full-rank baseline, then LR-SMS
#   ./run.sh --smoke true    CI: every stage on a tiny corpus with tiny models
# Other options go to asr.sh (e.g. --stage 8 --ngpu 1 --python .venv/bin/python);
# finished stages are skipped, so the second model reuses data, tokens, LM and stats.
set -euo pipefail

smoke=false
if [ $# -ge 2 ] && [ "$1" = --smoke ]; then smoke=$2; shift 2; fi

train_set=train
valid_set=dev
test_sets="test test_unseen"

case "${smoke}" in
    true)
        asr_configs="conf/train_asr_smoke.yaml"
        lm_config=conf/train_lm_smoke.yaml
        local_data_opts="--smoke true"
        token_type=char
        nbpe=30  # unused with char tokens
        nj=2
        inference_nj=2
        ;;
    false)
        asr_configs="conf/train_asr_full.yaml conf/train_asr_lr_sms.yaml"
        lm_config=conf/train_lm.yaml
        local_data_opts=""
        token_type=bpe
        nbpe=300
        nj=4
        inference_nj=2
        ;;
    *) echo "$0: --smoke must be true or false, not '${smoke}'" >&2; exit 2 ;;
esac
inference_config=conf/decode_asr.yaml

for asr_config in ${asr_configs}; do
    ../../TEMPLATE/asr1/asr.sh \
        --lang en \
        --train_set "${train_set}" \
        --valid_set "${valid_set}" \
        --test_sets "${test_sets}" \
        --local_data_opts "${local_data_opts}" \
        --token_type "${token_type}" \
        --nbpe "${nbpe}" \
        --nj "${nj}" \
        --inference_nj "${inference_nj}" \
        --asr_config "${asr_config}" \
        --lm_config "${lm_config}" \
        --lm_train_text "data/lm_indomain/text dump/raw/${train_set}/text" \
        --inference_config "${inference_config}" \
        --use_lm true \
        --nbest 4 \
        --skip_upload true \
        "$@"
done
