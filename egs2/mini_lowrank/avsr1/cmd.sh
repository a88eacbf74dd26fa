# shellcheck shell=bash
# Job backend of this recipe: see egs2/TEMPLATE/asr1/cmd.sh (cmd_backend=local|slurm).
# shellcheck disable=SC1091
. ../../TEMPLATE/asr1/cmd.sh
