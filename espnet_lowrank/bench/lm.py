"""``lm``: low-rank-FFN Transformer LM (preset ``lr_sms``: FFN rank d/2, first block's
FFN dense, attention and embeddings dense) vs the dense Transformer LM, training step;
or (``--lm_configs``) the LMs of several recipe configs, each against the first."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Sequence

import torch

from espnet_lowrank.bench import memory, models, steps
from espnet_lowrank.bench.compare import VARIANTS, compare_steps, pair_fields
from espnet_lowrank.bench.timing import time_interleaved
from espnet_lowrank.strict_yaml import load_yaml_mapping
from espnet_lowrank.tasks.build import model_from_config


def run(
    sizes: Sequence[str],
    repeats: int = 5,
    warmup: int = 1,
    device: str = "cpu",
    measure_memory: bool = True,
    threads: int | None = None,
    log=print,
) -> List[Dict[str, Any]]:
    records = []
    for name in sizes:
        size = models.LM_SIZES[name]
        inputs, targets = models.lm_batch(size, device)
        built = {rm: models.build_lm(size, rm, device) for rm in VARIANTS}

        def peak_memory(rm, name=name):
            return memory.measure_in_subprocess("lm", name, rm, threads=threads, device=device)

        rec = compare_steps(
            "lm",
            name,
            size.describe(),
            device,
            built,
            {rm: steps.lm_train_step(m, inputs, targets) for rm, m in built.items()},
            repeats,
            warmup,
            peak_memory if measure_memory else None,
            log,
        )
        records.append(rec)
        log(f"lm {name}: step {rec['speedup']:.2f}x, params {rec['param_ratio']:.2f}x")
    return records


COLUMNS = [
    ("size", "size"),
    ("dense_min_ms", "dense step ms"),
    ("lowrank_min_ms", "low-rank step ms"),
    ("speedup", "speed-up (min)"),
    ("speedup_median", "(median)"),
    ("dense_params", "dense params"),
    ("lowrank_params", "low-rank params"),
    ("param_ratio", "param ratio"),
    ("memory_ratio", "memory ratio"),
]


def build_lm_from_config(config: Path | str, token_list: Path | str) -> torch.nn.Module:
    """The LM a recipe's LM training config builds (ESPnet's LM task), in train mode."""
    config, token_list = Path(config), Path(token_list)
    for path, what in ((config, "LM config"), (token_list, "token list")):
        if not path.is_file():
            raise FileNotFoundError(f"{what} not found: {path}")
    cfg = load_yaml_mapping(config, "LM config")
    cfg.update(token_list=str(token_list), token_type=cfg.get("token_type", "bpe"), ngpu=0)
    torch.manual_seed(0)
    model, _ = model_from_config(cfg, "lm", saved=False)
    return model.lm.train()


def run_configs(
    configs: Sequence[Path | str],
    token_list: Path | str,
    batch: int = 16,
    length: int = 64,
    repeats: int = 5,
    warmup: int = 1,
    device: str = "cpu",
    log=print,
) -> List[Dict[str, Any]]:
    """One record per config after the first: its LM's training step against the first's,
    all interleaved in one loop on the same random ``batch`` x ``length`` tokens."""
    if len(configs) < 2:
        raise ValueError("--lm_configs needs at least two configs (the first is the reference)")
    lms = {str(c): build_lm_from_config(c, token_list).to(device) for c in configs}
    vocab = sum(1 for line in Path(token_list).read_text().splitlines() if line.strip())
    size = models.LmSize("config", 0, 0, 0, 0, 0, vocab, batch, length)
    inputs, targets = models.lm_batch(size, device)
    t = time_interleaved(
        {k: steps.lm_train_step(m, inputs, targets) for k, m in lms.items()},
        repeats, warmup, number=1, device=device,
    )  # fmt: skip
    ref = str(configs[0])
    records = []
    for name in list(lms)[1:]:
        rec: Dict[str, Any] = {
            "bench": "lm",
            "size": f"{Path(name).stem} vs {Path(ref).stem}",
            "model": f"{name} vs {ref}: batch {batch} x {length} tokens, vocab {vocab}",
            "device": device,
            "memory_method": None,
            "memory_ratio": None,
            **pair_fields(lms[ref], lms[name], t[ref], t[name]),
        }
        log(f"lm {rec['size']}: step {rec['speedup']:.2f}x, params {rec['param_ratio']:.2f}x")
        records.append(rec)
    return records
