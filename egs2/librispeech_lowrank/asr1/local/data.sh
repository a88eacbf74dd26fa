#!/usr/bin/env bash
# LibriSpeech data preparation for librispeech_lowrank/asr1.
#   stage 1: download + extract the parts missing under ${LIBRISPEECH} (db.sh),
#            and the LM corpus librispeech-lm-norm.txt.gz (--lm_text true)
#   stage 2: data/<part> (wav.scp -> .flac), data/${train_set}, data/dev,
#            data/local/other_text/text
# The logic lives in python -m espnet_lowrank.bin.librispeech_data.
set -euo pipefail

log() {
    local fname=${BASH_SOURCE[1]##*/}
    echo -e "$(date '+%Y-%m-%dT%H:%M:%S') (${fname}:${BASH_LINENO[0]}:${FUNCNAME[1]}) $*" >&2
}
SECONDS=0

stage=1
stop_stage=100
train_set=train_960       # train_960 or train_clean_100
parts=""                  # default: dev/test parts + the parts of ${train_set}
data_dir=data
url_base=https://www.openslr.org/resources/12
lm_url_base=https://www.openslr.org/resources/11
md5_file=""               # md5sum-format file replacing built-in md5s (mirrors)
lm_text=true              # download + prepare the LM corpus (OpenSLR 11, 1.4 GB)
remove_archives=false     # delete each .tar.gz after extraction
python=${python:-python3}

help_message="Usage: $0 [options]
  --stage N / --stop_stage N   stages to run (1: download, 2: data dirs)
  --train_set NAME             train_960 | train_clean_100 (default: ${train_set})
  --parts \"P1 P2 ...\"          LibriSpeech parts, e.g. \"dev-clean test-clean\"
  --data_dir DIR               output folder (default: ${data_dir})
  --url_base URL               audio archive base URL (default: ${url_base})
  --lm_url_base URL            LM text base URL (default: ${lm_url_base})
  --md5_file FILE              md5sum-format checksums to use instead of the built-in ones
  --lm_text true|false         fetch and prepare the LM text (default: ${lm_text})
  --remove_archives true|false delete archives after extraction (default: ${remove_archives})
  --python CMD                 Python interpreter (default: \${python:-python3})
LIBRISPEECH comes from db.sh (environment variable first)."

while [ $# -gt 0 ]; do
    case "$1" in
        -h|--help) echo "${help_message}"; exit 0 ;;
        --*)
            name=${1#--}
            name=${name//-/_}
            case "${name}" in
                stage|stop_stage|train_set|parts|data_dir|url_base|lm_url_base|md5_file|lm_text|remove_archives|python) ;;
                *) log "Error: unknown option $1"; echo "${help_message}" >&2; exit 2 ;;
            esac
            if [ $# -lt 2 ]; then
                log "Error: option $1 needs a value"; exit 2
            fi
            printf -v "${name}" '%s' "$2"
            shift 2
            ;;
        *) log "Error: unexpected argument '$1'"; echo "${help_message}" >&2; exit 2 ;;
    esac
done

for flag in lm_text remove_archives; do
    case "${!flag}" in
        true|false) ;;
        *) log "Error: --${flag} must be true or false, not '${!flag}'"; exit 2 ;;
    esac
done

recipe_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=../db.sh
. "${recipe_dir}/db.sh"
if [ -z "${LIBRISPEECH}" ]; then
    log "Error: LIBRISPEECH is empty; set it in ${recipe_dir}/db.sh"
    exit 1
fi

part_args=(--train_set "${train_set}")
if [ -n "${parts}" ]; then
    # shellcheck disable=SC2206
    part_args+=(--parts ${parts})
fi
lm_dir=${data_dir}/local/other_text
lm_gz=${lm_dir}/librispeech-lm-norm.txt.gz

log "$0 $*"
log "LIBRISPEECH=${LIBRISPEECH} train_set=${train_set} parts=${parts:-default}"

if [ "${stage}" -le 1 ] && [ "${stop_stage}" -ge 1 ]; then
    log "stage 1: download the missing parts into ${LIBRISPEECH}"
    dl_args=(--url_base "${url_base}" --lm_url_base "${lm_url_base}")
    if [ -n "${md5_file}" ]; then
        dl_args+=(--md5_file "${md5_file}")
    fi
    if "${lm_text}"; then
        dl_args+=(--lm_text_dir "${lm_dir}")
    fi
    if "${remove_archives}"; then
        dl_args+=(--remove_archives)
    fi
    ${python} -m espnet_lowrank.bin.librispeech_data download \
        --root "${LIBRISPEECH}" "${part_args[@]}" "${dl_args[@]}"
fi

if [ "${stage}" -le 2 ] && [ "${stop_stage}" -ge 2 ]; then
    log "stage 2: data directories in ${data_dir}"
    prep_args=()
    if "${lm_text}"; then
        if [ -f "${lm_gz}" ]; then
            prep_args+=(--lm_text_gz "${lm_gz}")
        else
            log "Error: ${lm_gz} not found; run stage 1 or pass --lm_text false"
            exit 1
        fi
    fi
    ${python} -m espnet_lowrank.bin.librispeech_data prepare \
        --root "${LIBRISPEECH}" --data_dir "${data_dir}" "${part_args[@]}" "${prep_args[@]}"
fi

log "Successfully finished. [elapsed=${SECONDS}s]"
