# shellcheck shell=bash
# shellcheck disable=SC1091
. ../../TEMPLATE/asr1/path.sh
