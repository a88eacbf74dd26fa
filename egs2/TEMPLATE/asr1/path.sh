# shellcheck shell=bash
# Environment for asr.sh (sourced). Use the Python that has espnet_lowrank installed:
# activate its venv before running, or pass --python /path/to/venv/bin/python.
export PYTHONIOENCODING=UTF-8
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
