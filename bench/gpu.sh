#!/usr/bin/env bash
# The layer, training-step and decoding benchmarks on one device in float32 and bfloat16
# (torch.autocast), Markdown tables (realised vs ideal speed-ups) to stdout, JSON to a folder.
#   bench/gpu.sh [--device cuda|cpu] [--out DIR] [--threads N]
# --device cuda (default): full layer grid, train and decode at the mini and LibriSpeech
#   sizes; about 10 minutes on one modern GPU (nothing here has run on one yet).
# --device cpu: a tiny dry run of the same commands (seconds of work; make test runs it).
# Environment: PYTHON (default: python).
set -euo pipefail
device=cuda
out=bench_gpu
threads=""
while [ $# -gt 0 ]; do
    case "$1" in
        --device) device=$2; shift 2 ;;
        --out) out=$2; shift 2 ;;
        --threads) threads=$2; shift 2 ;;
        *) echo "bench/gpu.sh: unknown option $1 (--device cuda|cpu, --out DIR, --threads N)" >&2; exit 2 ;;
    esac
done
py=${PYTHON:-python}
case "$device" in
    cuda)
        common=(--device cuda --repeats 5)
        layer=()
        train=(--sizes mini,librispeech)
        decode=(--sizes mini,librispeech)
        ;;
    cpu)
        common=(--device cpu --repeats 1 --allow_few_repeats --threads "${threads:-1}")
        layer=(--shapes 32x64 --ratios 0.25,0.9 --tokens 4)
        train=(--sizes tiny)
        decode=(--sizes tiny --utterances 1 --beam 2)
        ;;
    *) echo "bench/gpu.sh: --device must be cuda or cpu, got $device" >&2; exit 2 ;;
esac
if [ -n "$threads" ] && [ "$device" = cuda ]; then common+=(--threads "$threads"); fi
mkdir -p "$out"
"$py" -c "import torch; print('torch', torch.__version__, 'cuda', torch.cuda.is_available() and torch.cuda.get_device_name(0))" | tee "$out/device.txt"
for dtype in float32 bfloat16; do
    for cmd in layer train decode; do
        case $cmd in
            layer) args=("${layer[@]}") ;;
            train) args=("${train[@]}" --no_memory) ;;
            decode) args=("${decode[@]}") ;;
        esac
        if [ "$cmd" = train ] && [ "$dtype" = float32 ] && [ "$device" = cuda ]; then
            args=("${train[@]}")  # peak memory (CUDA allocator) in float32 only
        fi
        echo "== $cmd $dtype ($device)" | tee "$out/${cmd}_${dtype}.md"
        "$py" -m espnet_lowrank.bin.bench "$cmd" "${common[@]}" --dtype "$dtype" \
            "${args[@]}" --json "$out/${cmd}_${dtype}.json" | tee -a "$out/${cmd}_${dtype}.md"
    done
done
echo "JSON records: $out/{layer,train,decode}_{float32,bfloat16}.json" >&2
