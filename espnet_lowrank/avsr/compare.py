"""RESULTS.md table comparing trained AV models (audio-only, video-only, AV, AV low-rank).

For each ``label = exp/<asr_tag>`` it reads the saved ``config.yaml`` (parameters
counted by rebuilding the model on the ``meta`` device, as ESPnet's
``build_model_from_file`` reads the config: no parser, so any saved config
works), ``train.log`` (mean seconds per training epoch) and the sclite report
``<inference_tag>/<test set>/score_wer/result.txt`` (WER). A missing file is an
error naming it.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Sequence, Tuple

from espnet_lowrank.recipe.measure import epoch_seconds
from espnet_lowrank.scoring.sclite import parse_result
from espnet_lowrank.strict_yaml import load_yaml


@dataclass
class ModelRow:
    label: str
    exp_dir: Path
    streams: str
    params: int
    epoch_seconds: float
    epochs: int
    wer: Dict[str, float]


def count_parameters(config: Path | str) -> Tuple[int, str]:
    """Parameters of the model a saved AVSR ``config.yaml`` builds, and its ``streams``."""
    from espnet_lowrank.tasks.build import model_from_config

    path = Path(config)
    if not path.is_file():
        raise FileNotFoundError(f"training config not found: {path}")
    cfg = load_yaml(path, "training config")
    if not isinstance(cfg, dict) or cfg.get("model") != "avsr":
        raise ValueError(f"{path}: not an AVSR training config (model: avsr)")
    model, _ = model_from_config(cfg, "asr", device="meta")
    return sum(p.numel() for p in model.parameters()), model.streams


def collect(
    models: Sequence[Tuple[str, Path]], inference_tag: str, test_sets: Sequence[str]
) -> List[ModelRow]:
    rows = []
    for label, exp in models:
        exp = Path(exp)
        params, streams = count_parameters(exp / "config.yaml")
        epochs = epoch_seconds(exp / "train.log")
        wer = {}
        for test in test_sets:
            result = exp / inference_tag / test / "score_wer" / "result.txt"
            if not result.is_file():
                raise FileNotFoundError(f"WER report not found: {result}")
            wer[test] = parse_result(result).err
        rows.append(ModelRow(label, exp, streams, params, statistics.mean(epochs.values()),
                             len(epochs), wer))  # fmt: skip
    return rows


def render(rows: Sequence[ModelRow], test_sets: Sequence[str], reference: str = "") -> str:
    """Markdown table; ``reference``: the label parameters and epoch time are relative to."""
    ref = next((r for r in rows if r.label == reference), rows[0])
    head = f"|model|streams|params|params vs {ref.label}|s/epoch|speed-up vs {ref.label}|epochs|"
    head += "".join(f"WER {t}|" for t in test_sets)
    lines = [head, "|" + "---|" * (7 + len(test_sets))]
    for r in rows:
        cells = [r.label, r.streams, f"{r.params:,}", f"{r.params / ref.params:.2f}x",
                 f"{r.epoch_seconds:.1f}", f"{ref.epoch_seconds / r.epoch_seconds:.2f}x",
                 str(r.epochs)] + [f"{r.wer[t]:.1f}" for t in test_sets]  # fmt: skip
        lines.append("|" + "|".join(cells) + "|")
    return "\n".join(lines) + "\n"
