#!/usr/bin/env bash
# Mini corpus for mini_lowrank/asr1: fortunes sentences spoken by espeak-ng,
# made on this machine without network (python -m espnet_lowrank.bin.make_mini_corpus).
# Writes data/{train,dev,test,test_unseen}, data/{lm_general,lm_indomain}/text (LoRA
# rescoring: general = 20,000 WordNet usage examples, in-domain = the spoken fortune domain),
# data/local/corpus_info.json; WAVs under ${wav_dir}.
# Options after "--" go to make_mini_corpus as they are (see its --help).
set -euo pipefail

log() {
    echo -e "$(date '+%Y-%m-%dT%H:%M:%S') (${BASH_SOURCE[0]##*/}) $*" >&2
}
SECONDS=0

data_dir=data
wav_dir=downloads/wav
seed=1
nj=2
smoke=false          # true: tiny corpus for CI (60 train, 20 per test set)
corpus=v1            # v1: espeak-ng voices; v2: several engines, rooms, noise (held-out engine)
python=${python:-python3}

help_message="Usage: $0 [--data_dir DIR] [--wav_dir DIR] [--seed N] [--nj N]
          [--smoke true|false] [--corpus v1|v2] [--python CMD] [-- make_mini_corpus options]"

while [ $# -gt 0 ]; do
    case "$1" in
        -h|--help) echo "${help_message}"; exit 0 ;;
        --) shift; break ;;
        --data_dir|--wav_dir|--seed|--nj|--smoke|--corpus|--python)
            if [ $# -lt 2 ]; then log "Error: option $1 needs a value"; exit 2; fi
            printf -v "${1#--}" '%s' "$2"; shift 2 ;;
        *) log "Error: unknown option $1"; echo "${help_message}" >&2; exit 2 ;;
    esac
done

args=(--out_dir "${data_dir}" --wav_dir "${wav_dir}" --seed "${seed}" --nj "${nj}" --corpus "${corpus}")
case "${smoke}" in
    true) args+=(--smoke) ;;
    false) ;;
    *) log "Error: --smoke must be true or false, not '${smoke}'"; exit 2 ;;
esac

log "$0: making the mini corpus ${corpus} in ${data_dir} (wavs: ${wav_dir})"
${python} -m espnet_lowrank.bin.make_mini_corpus "${args[@]}" "$@"
log "Successfully finished. [elapsed=${SECONDS}s]"
