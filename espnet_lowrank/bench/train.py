"""``train``: one ASR training step, LR-SMS (``rank_map: lr_sms``) vs full rank (``dense``).

Same config except the rank map, same batch, interleaved timing. Also reported:
parameter ratio (dense / low-rank) and peak-memory ratio (dense / low-rank; see
:mod:`espnet_lowrank.bench.memory` for the method). :func:`run_configs` does the same
for two recipe training configs (``bench train --asr_configs FULL LOW``), e.g. the
mini recipe's, whose rank maps need not be the ``lr_sms`` preset.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

import yaml

from espnet_lowrank.bench import memory, models, steps
from espnet_lowrank.bench.compare import VARIANTS, compare_steps

TARGET_SPEEDUP = 1.3  # LibriSpeech size (the LR-SMS paper's ASR headline)


def run(
    sizes: Sequence[str],
    repeats: int = 5,
    warmup: int = 1,
    device: str = "cpu",
    measure_memory: bool = True,
    threads: int | None = None,
    batch: Optional[int] = None,
    seconds: Optional[float] = None,
    log=print,
) -> List[Dict[str, Any]]:
    records = []
    for name in sizes:
        size = models.asr_size(name, batch, seconds)
        data = models.asr_batch(size, device)
        built = {rm: models.build_asr(size, rm, device) for rm in VARIANTS}

        def peak_memory(rm, name=name):
            return memory.measure_in_subprocess(
                "asr", name, rm, threads=threads, device=device, batch=batch, seconds=seconds
            )

        rec = _compare_train_steps(
            name, size.describe(), device, built, data, repeats, warmup,
            peak_memory if measure_memory else None, log,
        )  # fmt: skip
        del built
        rec["target"] = (
            f">= {TARGET_SPEEDUP}x step, >= 2x fewer params, lower peak memory"
            if name == "librispeech"
            else None
        )
        if name == "librispeech":
            rec["meets_target"] = bool(
                rec["speedup"] >= TARGET_SPEEDUP
                and rec["param_ratio"] >= 2.0
                and rec["memory_ratio"] is not None
                and rec["memory_ratio"] > 1.0
            )
        else:
            rec["meets_target"] = None
        records.append(rec)
    return records


def _compare_train_steps(
    name, description, device, built, data, repeats, warmup, peak_memory, log, adam_conf=None
) -> Dict[str, Any]:
    """:func:`compare_steps` of one training step per variant on ``data``, logged.

    ``adam_conf``: variant -> Adam keyword arguments (default ``lr=1e-4`` for all)."""
    adam_conf = adam_conf or {}
    rec = compare_steps(
        "train",
        name,
        description,
        device,
        built,
        {rm: steps.asr_train_step(m, data, adam_conf.get(rm)) for rm, m in built.items()},
        repeats,
        warmup,
        peak_memory,
        log,
    )
    log(
        f"train {name}: step {rec['speedup']:.2f}x, params {rec['param_ratio']:.2f}x, "
        f"memory {rec['memory_ratio']}x"
    )
    return rec


def config_adam_conf(config: Path | str) -> Dict[str, Any]:
    """The ``optim_conf`` of a training config whose ``optim`` is ``adam`` (the default).

    Each model is stepped with its own config's Adam options (``fused``, ``foreach``,
    weight decay), as training would. Raises ``ValueError`` naming the config for another
    optimizer or a non-mapping ``optim_conf``.
    """
    with Path(config).open(encoding="utf-8") as f:
        cfg = yaml.safe_load(f) or {}
    optim = cfg.get("optim", "adam")
    if optim != "adam":
        raise ValueError(f"{config}: optim {optim!r}; bench train --asr_configs times Adam only")
    conf = cfg.get("optim_conf") or {}
    if not isinstance(conf, dict):
        raise ValueError(f"{config}: optim_conf must be a mapping, got {conf!r}")
    return dict(conf)


def run_configs(
    full_config: Path | str,
    lowrank_config: Path | str,
    token_list: Optional[Path | str] = None,
    repeats: int = 5,
    warmup: int = 1,
    device: str = "cpu",
    measure_memory: bool = True,
    threads: int | None = None,
    batch: Optional[int] = None,
    seconds: Optional[float] = None,
    log=print,
) -> List[Dict[str, Any]]:
    """One record: the training step of ``lowrank_config``'s model vs ``full_config``'s.

    Both models are built as training builds them from the YAML files (see
    :func:`espnet_lowrank.bench.models.build_asr_from_config`) and stepped on the same
    random batch (``batch`` x ``seconds`` of audio; default
    :data:`~espnet_lowrank.bench.memory.CONFIG_BATCH` x ``CONFIG_SECONDS``).
    Raises ``ValueError`` if the two configs have different vocabularies.
    """
    batch = batch or memory.CONFIG_BATCH
    seconds = seconds or memory.CONFIG_SECONDS
    configs = {"dense": Path(full_config), "lr_sms": Path(lowrank_config)}
    built, vocab = {}, {}
    for variant, path in configs.items():
        built[variant], vocab[variant] = models.build_asr_from_config(path, token_list, device)
    if vocab["dense"] != vocab["lr_sms"]:
        raise ValueError(
            f"the configs' token lists differ in size: {configs['dense']} {vocab['dense']}, "
            f"{configs['lr_sms']} {vocab['lr_sms']}"
        )
    data = models.random_asr_batch(batch, seconds, vocab["dense"], device=device)
    adam_conf = {variant: config_adam_conf(path) for variant, path in configs.items()}

    def peak_memory(variant):
        return memory.measure_in_subprocess(
            "asr", "", "", threads=threads, device=device, batch=batch, seconds=seconds,
            config=str(configs[variant]),
            token_list=None if token_list is None else str(token_list),
        )  # fmt: skip

    name = f"{configs['dense'].name} vs {configs['lr_sms'].name}"
    description = (
        f"{name}: the recipe configs' models (vocab {vocab['dense']}); "
        f"batch {batch} x {seconds:g} s raw audio"
    )
    rec = _compare_train_steps(
        name, description, device, built, data, repeats, warmup,
        peak_memory if measure_memory else None, log, adam_conf,
    )  # fmt: skip
    rec["configs"] = {k: str(v) for k, v in configs.items()}
    rec["adam_conf"] = adam_conf
    rec["target"] = None
    rec["meets_target"] = None
    return [rec]


COLUMNS = [
    ("size", "size"),
    ("dense_min_ms", "dense step ms"),
    ("lowrank_min_ms", "LR-SMS step ms"),
    ("speedup", "speed-up (min)"),
    ("speedup_median", "(median)"),
    ("dense_params", "dense params"),
    ("lowrank_params", "LR-SMS params"),
    ("param_ratio", "param ratio"),
    ("dense_peak_mb", "dense peak MB"),
    ("lowrank_peak_mb", "LR-SMS peak MB"),
    ("memory_ratio", "memory ratio"),
    ("meets_target", "target met"),
]
