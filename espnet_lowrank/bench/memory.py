"""Peak memory of training steps, one fresh process per variant (CPU).

``tracemalloc`` does not see torch's allocator, so on CPU the peak resident set size
(``VmHWM`` in ``/proc/self/status``) is read in a new Python process per
variant: the current RSS after imports and batch creation is the baseline, the peak
RSS after building the model and running ``steps`` training steps is the peak; the
difference is the training footprint (weights, gradients, Adam state, activations,
allocator slack). The number is only meaningful when the training peak exceeds the
import-time peak (``resolved``); for tiny models it does not and the ratio is left out. On CUDA,
``torch.cuda.max_memory_allocated`` is used instead (untested here).

Run as ``python -m espnet_lowrank.bench.memory --kind asr --size mini --rank_map lr_sms``;
prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from typing import Any, Dict, Optional

# the batch of config benchmarks (bench train --asr_configs) unless --batch/--seconds say
CONFIG_BATCH = 8
CONFIG_SECONDS = 4.0


def _status_mb(field: str) -> float:
    """``VmHWM`` (peak) or ``VmRSS`` (current) of this process, from ``/proc/self/status``.

    Not ``ru_maxrss``: Linux carries the parent's peak over ``fork``/``exec`` into it,
    so a child started by a big process would report the parent's peak.
    """
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024.0  # kB
    raise RuntimeError(f"/proc/self/status has no {field} line (Linux only)")


def _peak_rss_mb() -> float:
    return _status_mb("VmHWM")


def _rss_mb() -> float:
    return _status_mb("VmRSS")


def measure_in_subprocess(
    kind: str,
    size: str,
    rank_map: str,
    steps: int = 2,
    threads: Optional[int] = None,
    device: str = "cpu",
    batch: Optional[int] = None,
    seconds: Optional[float] = None,
    config: Optional[str] = None,
    token_list: Optional[str] = None,
) -> Dict[str, Any]:
    """Run :func:`main` in a fresh interpreter and return its JSON result.

    With ``config`` (an ASR training YAML; ``size`` and ``rank_map`` are then unused)
    the model is the one that config builds (see
    :func:`espnet_lowrank.bench.models.build_asr_from_config`).
    """
    cmd = [sys.executable, "-m", "espnet_lowrank.bench.memory", "--kind", kind]
    if config is not None:
        cmd += ["--config", str(config)]
        if token_list is not None:
            cmd += ["--token_list", str(token_list)]
    else:
        cmd += ["--size", size, "--rank_map", rank_map]
    cmd += ["--steps", str(steps), "--device", device]
    if threads is not None:
        cmd += ["--threads", str(threads)]
    if batch is not None:
        cmd += ["--batch", str(batch)]
    if seconds is not None:
        cmd += ["--seconds", str(seconds)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"memory probe failed ({' '.join(cmd)}):\n{proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    from espnet_lowrank.bench import models

    p.add_argument("--kind", choices=("asr", "lm"), required=True)
    p.add_argument("--size", choices=sorted(set(models.ASR_SIZES) | set(models.LM_SIZES)))
    p.add_argument("--rank_map", help="with --size")
    p.add_argument("--config", help="asr: a training config instead of --size/--rank_map")
    p.add_argument("--token_list", help="with --config: instead of the config's token_list")
    p.add_argument("--steps", type=int, default=2)
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--device", default="cpu")
    p.add_argument("--batch", type=int, default=None, help="asr: batch size override")
    p.add_argument("--seconds", type=float, default=None, help="asr: utterance seconds override")
    a = p.parse_args(argv)
    if a.config is not None and a.kind != "asr":
        p.error("--config is for --kind asr")
    if a.config is None and (a.size is None or a.rank_map is None):
        p.error("need --size and --rank_map, or --config")

    import torch

    from espnet_lowrank.bench import steps
    from espnet_lowrank.bench.timing import pin_threads

    pin_threads(a.threads)
    if a.kind == "asr":
        from espnet_lowrank.tasks.asr import LowRankASRTask  # noqa: F401  (imports first)

        if a.config is not None:
            base, import_peak = _rss_mb(), _peak_rss_mb()
            model, vocab = models.build_asr_from_config(a.config, a.token_list, a.device)
            batch = models.random_asr_batch(
                a.batch or CONFIG_BATCH, a.seconds or CONFIG_SECONDS, vocab, device=a.device
            )
        else:
            size = models.asr_size(a.size, a.batch, a.seconds)
            batch = models.asr_batch(size, a.device)
            base, import_peak = _rss_mb(), _peak_rss_mb()
            model = models.build_asr(size, a.rank_map, a.device)
        step = steps.asr_train_step(model, batch)
    else:
        size = models.LM_SIZES[a.size]
        inputs, targets = models.lm_batch(size, a.device)
        base, import_peak = _rss_mb(), _peak_rss_mb()
        model = models.build_lm(size, a.rank_map, a.device)
        step = steps.lm_train_step(model, inputs, targets)
    if a.device == "cuda":
        torch.cuda.reset_peak_memory_stats()
    for _ in range(a.steps):
        step()
    peak = _peak_rss_mb()
    out = {
        "method": "peak_rss_delta",
        "baseline_rss_mb": base,
        "import_peak_rss_mb": import_peak,
        "peak_rss_mb": peak,
        "peak_mb": peak - base,
        "resolved": peak > import_peak,
    }
    if a.device == "cuda":
        out["method"] = "cuda_max_memory_allocated"
        out["peak_mb"] = torch.cuda.max_memory_allocated() / 2**20
        out["resolved"] = True
    print(json.dumps(out))


if __name__ == "__main__":
    main()
