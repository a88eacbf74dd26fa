#!/usr/bin/env bash
# Prepare data/{trainval,train,dev,test} from LRS3 for audio-only ASR: the audio-visual
# recipe's data preparation with --video none (16 kHz WAVs, transcripts, speaker tables;
# no mouth crops). Options: see ../avsr1/local/data.sh --help (--video is fixed here).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
for a in "$@"; do
    if [ "${a}" = --video ]; then echo "$0: --video is fixed to none (audio-only recipe)" >&2; exit 2; fi
done
exec bash "${here}/../../avsr1/local/data.sh" --video none "$@"
