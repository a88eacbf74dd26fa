"""Rank emergence: effective rank per group over ESPnet's per-epoch checkpoints.

ESPnet saves ``exp/<dir>/<N>epoch.pth`` after each epoch (keeping only the best
``--keep_nbest_models``). The model is built once from ``config.yaml``; every
checkpoint is loaded into it strictly and measured. Per part and group, the value
per epoch is the mean over blocks of the measure's ratio of ``min(in, out)``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Sequence

from espnet_lowrank.analysis.collect import (
    analyse_model,
    build_model,
    epoch_checkpoints,
    load_weights,
    read_state_dict,
)

logger = logging.getLogger(__name__)


@dataclass
class Emergence:
    """Effective-rank ratios per epoch.

    Attributes:
        epochs: epoch numbers, ascending.
        checkpoints: the files, same order.
        measures: the measures taken.
        groups: part -> group -> measure -> mean ratio over blocks, one per epoch.
        layers: ``part.layer`` -> measure -> ratio, one per epoch.
    """

    task: str
    epochs: List[int]
    checkpoints: List[str]
    measures: List[str]
    groups: Dict[str, Dict[str, Dict[str, List[float]]]]
    layers: Dict[str, Dict[str, List[float]]]

    def to_json(self) -> Dict[str, Any]:
        return {
            "task": self.task,
            "epochs": self.epochs,
            "checkpoints": self.checkpoints,
            "measures": self.measures,
            "value": "effective rank / min(in, out); groups: mean over blocks",
            "groups": self.groups,
            "layers": self.layers,
        }


def rank_emergence(
    config: Path | str, exp_dir: Path | str, task: str, measures: Sequence[str]
) -> Emergence:
    """Measure every ``<N>epoch.pth`` of ``exp_dir`` with the model of ``config``."""
    found = epoch_checkpoints(exp_dir)
    epochs = [e for e, _ in found]
    gaps = sorted(set(range(1, epochs[-1] + 1)) - set(epochs))
    if gaps:
        logger.warning(
            "%s: no checkpoint for epoch(s) %s (ESPnet keeps only the best "
            "--keep_nbest_models epochs); the curve has epochs %s",
            exp_dir,
            gaps,
            epochs,
        )
    model = build_model(config, task)
    em = Emergence(task, [], [], list(measures), {}, {})
    for epoch, path in found:
        load_weights(model, read_state_dict(path), config, path)
        analysis = analyse_model(model, task, measures)
        logger.info("measured %s", path)
        em.epochs.append(epoch)
        em.checkpoints.append(str(path))
        for part, pa in analysis.parts.items():
            for group in pa.groups():
                layers = pa.group_layers(group)
                for m in measures:
                    mean = sum(la.ratio(m) for la in layers) / len(layers)
                    em.groups.setdefault(part, {}).setdefault(group, {}).setdefault(m, [])
                    em.groups[part][group][m].append(mean)
            for la in pa.layers:
                per = em.layers.setdefault(f"{part}.{la.slot.name}", {})
                for m in measures:
                    per.setdefault(m, []).append(la.ratio(m))
    return em
