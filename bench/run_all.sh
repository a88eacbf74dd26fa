#!/usr/bin/env bash
# Run every benchmark at full size and collect Markdown + JSON in one folder.
#   bench/run_all.sh [OUT_DIR] [extra args for every benchmark, e.g. --quick]
# Environment: PYTHON (default: python), THREADS (default: 2).
set -euo pipefail
out=${1:-bench_results}
shift || true
py=${PYTHON:-python}
threads=${THREADS:-2}
mkdir -p "$out"
uptime | tee "$out/uptime.txt"
for cmd in layer train decode lm profile; do
    echo "== $cmd" >&2
    "$py" -m espnet_lowrank.bin.bench "$cmd" --threads "$threads" --repeats 5 \
        --json "$out/$cmd.json" "$@" | tee "$out/$cmd.md"
done
uptime | tee -a "$out/uptime.txt"
