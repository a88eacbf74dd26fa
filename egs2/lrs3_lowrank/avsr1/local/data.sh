#!/usr/bin/env bash
# Prepare data/{trainval,train,dev,test} (and data/pretrain with --use_pretrain true)
# from LRS3: 16 kHz WAVs (wav.scp) and, for audio-visual ASR, grayscale 88x88 mouth
# crops at 25 fps stored as (T, 88, 88) uint8 .npy files (video.scp; read them in
# training with the ESPnet data type "video_npy", see espnet_lowrank/video).
# Shared by both LRS3 recipes: ../../asr1/local/data.sh runs it with --video none.
# Clips that cannot be used are listed in data/local/skipped.txt.
set -euo pipefail

log() {
    local fname=${BASH_SOURCE[1]##*/}
    echo -e "$(date '+%Y-%m-%dT%H:%M:%S') (${fname}:${BASH_LINENO[0]}:${FUNCNAME[1]}) $*"
}

usage() {
    cat <<USAGE
Usage: $0 [options]
  --video landmarks|precropped|none  face videos + landmark files, videos that are
                                already mouth crops, or audio only (default: ${video})
  --landmarks_dir DIR        landmark root mirroring LRS3 (default: LRS3_LANDMARKS of db.sh,
                             or next to each mp4 when empty)
  --use_pretrain true|false  also prepare data/pretrain and add it to train (default: ${use_pretrain})
  --dev_ratio R              share of trainval speakers held out as dev (default: ${dev_ratio})
  --dev_speakers FILE        dev speaker ids, one per line (overrides --dev_ratio)
  --media_dir DIR            where extracted wav and npy files go (default: ${media_dir})
  --nj N                     parallel worker processes (default: ${nj})
USAGE
}

. ./db.sh

video=landmarks
landmarks_dir=${LRS3_LANDMARKS:-}
use_pretrain=false
dev_ratio=0.08
dev_speakers=
media_dir=data/lrs3_media
nj=4
python=${python:-python3}

while [ $# -gt 0 ]; do
    case "$1" in
        --video|--landmarks_dir|--use_pretrain|--dev_ratio|--dev_speakers|--media_dir|--nj)
            if [ $# -lt 2 ]; then log "Error: $1 needs a value"; exit 2; fi
            printf -v "${1#--}" '%s' "$2"
            shift 2 ;;
        -h|--help) usage; exit 0 ;;
        *) log "Error: unknown option $1"; usage; exit 2 ;;
    esac
done

if [ -f ./path.sh ]; then . ./path.sh; fi

if [ -z "${LRS3}" ]; then
    log "Error: set LRS3 in db.sh (or export LRS3=/path/to/LRS3)"
    exit 1
fi

opts=()
if [ -n "${dev_speakers}" ]; then opts+=(--dev_speakers "${dev_speakers}"); fi
if [ "${video}" = landmarks ] && [ -n "${landmarks_dir}" ]; then
    opts+=(--landmarks_dir "${landmarks_dir}")
fi

log "Preparing LRS3 from ${LRS3} (audio + ${video} video)"
${python} -m espnet_lowrank.bin.lrs3_data \
    --lrs3 "${LRS3}" \
    --data_dir data \
    --media_dir "${media_dir}" \
    --video "${video}" \
    --use_pretrain "${use_pretrain}" \
    --dev_ratio "${dev_ratio}" \
    --nj "${nj}" \
    ${opts[@]+"${opts[@]}"}
if [ "${video}" = none ]; then
    log "Done: data/{trainval,train,dev,test} with wav.scp (audio only)"
else
    log "Done: data/{trainval,train,dev,test} with wav.scp and video.scp"
fi
