#!/usr/bin/env bash
# Audio-visual mini corpus for mini_lowrank/avsr1: GRID-style six-word commands ("bin blue at
# f two now", 51 words) spoken by espeak-ng at -5..5 dB SNR, plus synthetic 88x88 mouth videos
# at 25 fps drawn from the phonemes and timings espeak-ng reports
# (python -m espnet_lowrank.bin.make_mini_av_corpus; ~2,700 utterances, 2-3 min with --nj 2).
# Writes data/{train,dev,test,test_unseen} with wav.scp and video.scp; media under downloads/.
# Options after "--" go to make_mini_av_corpus as they are (see its --help).
set -euo pipefail

log() {
    echo -e "$(date '+%Y-%m-%dT%H:%M:%S') (${BASH_SOURCE[0]##*/}) $*" >&2
}
SECONDS=0

data_dir=data
media_dir=downloads
seed=1
nj=2
smoke=false          # true: tiny corpus for CI (24 train, 8 per test set)
python=${python:-python3}

help_message="Usage: $0 [--data_dir DIR] [--media_dir DIR] [--seed N] [--nj N]
          [--smoke true|false] [--python CMD] [-- make_mini_av_corpus options]"

while [ $# -gt 0 ]; do
    case "$1" in
        -h|--help) echo "${help_message}"; exit 0 ;;
        --) shift; break ;;
        --data_dir|--media_dir|--seed|--nj|--smoke|--python)
            if [ $# -lt 2 ]; then log "Error: option $1 needs a value"; exit 2; fi
            printf -v "${1#--}" '%s' "$2"; shift 2 ;;
        *) log "Error: unknown option $1"; echo "${help_message}" >&2; exit 2 ;;
    esac
done

args=(--out_dir "${data_dir}" --wav_dir "${media_dir}/wav" --video_dir "${media_dir}/video"
      --seed "${seed}" --nj "${nj}")
case "${smoke}" in
    true) args+=(--smoke) ;;
    false) ;;
    *) log "Error: --smoke must be true or false, not '${smoke}'"; exit 2 ;;
esac

log "$0: making the audio-visual mini corpus in ${data_dir} (media: ${media_dir})"
${python} -m espnet_lowrank.bin.make_mini_av_corpus "${args[@]}" "$@"
log "Successfully finished. [elapsed=${SECONDS}s]"
