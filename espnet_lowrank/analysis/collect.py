"""Walk a trained model and measure the effective rank of every factorizable layer.

The layers are those the rank-map schemas list (``ENCODER_SCHEMA``,
``DECODER_SCHEMA``, ``LM_SCHEMA``), found with :func:`espnet_lowrank.rank_map.find_slots`
in stock ESPnet parts (dense ``nn.Linear`` / pointwise ``nn.Conv1d``) and in the
low-rank classes (factorized layers are measured through their merged weight ``U V``).

Models are rebuilt from an ESPnet ``config.yaml`` and loaded from a ``.pth`` state
dict *strictly*: ESPnet's own ``build_model_from_file`` loads with ``strict=False``
and would analyse random weights if the config did not fit the checkpoint; here a
mismatch is an error naming the keys.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

import torch
from torch import nn

from espnet_lowrank import catalogue
from espnet_lowrank.analysis.measures import effective_ranks, singular_values
from espnet_lowrank.checkpoint import WeightsMismatchError
from espnet_lowrank.errors import InputError
from espnet_lowrank.rank_map import LayerSlot, RankSchema, find_slots
from espnet_lowrank.strict_yaml import load_yaml
from espnet_lowrank.tasks.build import load_strictly, model_from_config
from espnet_lowrank.tasks.build import read_state_dict as read_model_state

TASK_PARTS: Dict[str, Tuple[str, ...]] = {t: catalogue.part_names(t) for t in catalogue.TASKS}
_EPOCH_FILE = re.compile(r"(\d+)epoch\.pth")


class AnalysisError(ValueError):
    """Input that cannot be analysed; the message names the file, key or value."""


# ------------------------------------------------------------------ results
@dataclass
class LayerAnalysis:
    """Measurements of one factorizable layer.

    Attributes:
        slot: the layer (name relative to its part, group, block, shape).
        rank: the rank it is factorized at, ``None`` for a dense layer.
        singular_values: of the (merged) weight ``(out, in)``, descending, length ``max_rank``.
        values: measure name -> effective rank.
    """

    slot: LayerSlot
    rank: Optional[int]
    singular_values: List[float]
    values: Dict[str, float]

    def ratio(self, measure: str) -> float:
        """The measure as a ratio of ``min(in, out)``."""
        return self.values[measure] / self.slot.max_rank


@dataclass
class PartAnalysis:
    """The analysed layers of one model part (``encoder``, ``decoder`` or ``lm``)."""

    part: str
    schema: RankSchema
    num_blocks: int
    layers: List[LayerAnalysis] = field(default_factory=list)

    @property
    def slots(self) -> List[LayerSlot]:
        return [la.slot for la in self.layers]

    def groups(self) -> List[str]:
        """Groups present, in schema order."""
        present = {la.slot.group for la in self.layers}
        return [g for g in self.schema.groups if g in present]

    def group_layers(self, group: str) -> List[LayerAnalysis]:
        """Layers of ``group`` sorted by block."""
        out = [la for la in self.layers if la.slot.group == group]
        return sorted(out, key=lambda la: -1 if la.slot.block is None else la.slot.block)

    def is_block_group(self, group: str) -> bool:
        return any(la.slot.block is not None for la in self.group_layers(group))


@dataclass
class ModelAnalysis:
    """Effective ranks of every factorizable layer of a model, per part."""

    task: str
    measures: List[str]
    parts: Dict[str, PartAnalysis]

    def layers(self) -> List[Tuple[str, LayerAnalysis]]:
        return [(p, la) for p, pa in self.parts.items() for la in pa.layers]


# ----------------------------------------------------------------- analysis
def default_schema(part: str) -> RankSchema:
    """The rank-map schema of a part (used for stock ESPnet parts too)."""
    return catalogue.default_schema(part)


def layer_weight(module: nn.Module) -> torch.Tensor:
    """The dense weight ``(out, in)`` of a linear, a convolution (its kernel matrix) or a
    factorized layer.

    A factorized layer's merged weight ``U V`` is computed in float64: in float32
    the product has rounding-noise singular values (~1e-7 relative) beyond rank
    ``r``, which would inflate the entropy rank.
    """
    from espnet_lowrank.layers import LowRankLayer

    if isinstance(module, LowRankLayer):
        return copy.deepcopy(module).to(torch.float64).merged_weight()
    if isinstance(module, (nn.Conv1d, nn.Conv2d)):
        return module.weight.flatten(1)  # the kernel matrix (out, in k...)
    if isinstance(module, nn.Linear):
        return module.weight
    raise TypeError(f"cannot take the weight of {type(module).__name__}")


@torch.no_grad()
def analyse_part(module: nn.Module, schema: RankSchema, measures: Sequence[str]) -> PartAnalysis:
    """Measure every layer of ``module`` that ``schema`` lists."""
    from espnet_lowrank.layers import LowRankLayer

    slots = find_slots(module, schema)
    blocks = [s.block for s in slots if s.block is not None]
    plan = getattr(module, "rank_plan", None)  # a low-rank class: the blocks it was built with
    num_blocks = (plan.num_blocks if plan else 0) or (max(blocks) + 1 if blocks else 0)
    pa = PartAnalysis(schema.part, schema, int(num_blocks))
    for slot in slots:
        sub = module.get_submodule(slot.name)
        try:
            s = singular_values(layer_weight(sub))
        except ValueError as e:
            raise AnalysisError(f"{schema.part}.{slot.name}: {e}") from e
        rank = sub.rank if isinstance(sub, LowRankLayer) else None
        pa.layers.append(LayerAnalysis(slot, rank, s.tolist(), effective_ranks(s, measures)))
    return pa


def analyse_model(model: nn.Module, task: str, measures: Sequence[str]) -> ModelAnalysis:
    """Measure the factorizable layers of an ESPnet ASR (``encoder``, ``decoder``) or LM model.

    Raises:
        AnalysisError: if no part of the model has a layer the schemas list.
    """
    if task not in TASK_PARTS:
        raise AnalysisError(f"task must be one of {sorted(TASK_PARTS)}, got {task!r}")
    parts: Dict[str, PartAnalysis] = {}
    for part in TASK_PARTS[task]:
        module = getattr(model, part, None)
        if module is None:
            continue
        schema = getattr(type(module), "RANK_SCHEMA", None) or default_schema(part)
        pa = analyse_part(module, schema, measures)
        if pa.layers:
            parts[part] = pa
    if not parts:
        raise AnalysisError(
            f"the {task} model ({type(model).__name__}) has no layer the rank-map schemas "
            f"list in its parts {list(TASK_PARTS[task])}: only Conformer/Transformer "
            "encoders, Transformer decoders and Transformer LMs (dense or low-rank) are analysed"
        )
    return ModelAnalysis(task, list(measures), parts)


# ------------------------------------------------------------------ loading
def read_config(config: Path | str, task: str) -> Dict[str, Any]:
    """Read an ESPnet ``config.yaml`` and check that it is a ``task`` config."""
    path = Path(config)
    if not path.is_file():
        raise AnalysisError(f"config file {str(path)!r} does not exist")
    try:
        cfg = load_yaml(path, "config file")
    except InputError as e:
        raise AnalysisError(str(e)) from e
    if not isinstance(cfg, dict):
        raise AnalysisError(f"{path}: not an ESPnet config (expected a mapping)")
    key = "lm" if task == "lm" else "encoder"
    if key not in cfg:
        other = "asr" if task == "lm" else "lm"
        raise AnalysisError(
            f"{path}: no {key!r} key, so it is not an {task.upper()} config "
            f"(an {other.upper()} config? then pass --task {other})"
        )
    return cfg


def build_model(config: Path | str, task: str) -> nn.Module:
    """Build the (untrained) model of an ESPnet config, as ESPnet's inference does."""
    read_config(config, task)
    try:
        model, _ = model_from_config(config, task)
    except ValueError as e:  # a task the catalogue does not know
        raise AnalysisError(str(e)) from e
    return model.eval()


def read_state_dict(model_file: Path | str) -> Dict[str, torch.Tensor]:
    """A model state dict from an ESPnet ``.pth`` (``{N}epoch.pth``, ``valid.*.pth``, ...).

    A training ``checkpoint.pth`` (model, optimizers, ...) is accepted too: its
    ``model`` entry is used.
    """
    path = Path(model_file)
    if not path.is_file():
        raise AnalysisError(f"model file {str(path)!r} does not exist")
    try:
        return read_model_state(path)
    except InputError as e:  # torn, not a torch file, not a state dict: the message names it
        raise AnalysisError(str(e)) from e


def load_weights(
    model: nn.Module, state: Mapping[str, torch.Tensor], config: Any, model_file: Any
) -> None:
    """Load ``state`` into ``model`` strictly; a mismatch names the keys."""
    try:
        load_strictly(model, state, config, model_file)
    except WeightsMismatchError as e:
        raise AnalysisError(str(e)) from e


def load_model(config: Path | str, model_file: Path | str, task: str) -> nn.Module:
    """Build the model of ``config`` and load ``model_file`` into it strictly."""
    state = read_state_dict(model_file)
    model = build_model(config, task)
    load_weights(model, state, config, model_file)
    return model


def epoch_checkpoints(exp_dir: Path | str) -> List[Tuple[int, Path]]:
    """``[(N, exp_dir/Nepoch.pth), ...]`` sorted by epoch (ESPnet's per-epoch snapshots)."""
    d = Path(exp_dir)
    if not d.is_dir():
        raise AnalysisError(f"checkpoint directory {str(d)!r} does not exist")
    found = []
    for p in d.iterdir():
        m = _EPOCH_FILE.fullmatch(p.name)
        if m and p.is_file():
            found.append((int(m.group(1)), p))
    if not found:
        raise AnalysisError(
            f"{d}: no <N>epoch.pth checkpoints (ESPnet keeps them only for the best "
            "--keep_nbest_models epochs; train with a larger value to keep every epoch)"
        )
    return sorted(found)
