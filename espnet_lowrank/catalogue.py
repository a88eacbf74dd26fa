"""The catalogue: every low-rank part of this package, in one table.

Each :class:`PartEntry` says, for one class: the ESPnet task it belongs to, the
option (``part``) it is chosen by, ESPnet's name of the dense class it replaces
and our name, the class, its rank-map schema, the rank map it uses when the
config gives none, and where its options live in a config. Registration
(:mod:`espnet_lowrank.registry`), the task classes, conversion, counting,
analysis, rank-map inlining, hub folders and model cards, and the benchmarks all
read this table; no other module lists parts.

Two kinds of entry:

- *registered* parts (``encoder``, ``decoder``, ``lm``, ``model``) are added to
  ESPnet's ``ClassChoices`` ``espnet2.tasks.<task>.<part>_choices`` under ``name``;
  their options are ``<part>_conf`` at the top of a config;
- *inner* parts (the AV front-ends and fusion) are built by the registered
  ``model: avsr``; their options are ``model_conf.<part>_conf``.

Adding a part is one entry here plus its class and tests. Everything is kept as
``module:attribute`` strings so that reading the table imports nothing (ESPnet's
task modules take seconds to import).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any, Dict, List, Mapping, Optional, Tuple

DEFAULT_RANK_MAP = "lr_sms"  # what a registered part factorizes with when its conf names none
AV_MODEL = "avsr"  # ``model: avsr``: the audio-visual model, with the inner AV parts


@dataclass(frozen=True)
class PartEntry:
    """One low-rank part.

    Attributes:
        task: ESPnet's task, ``asr`` or ``lm`` (module ``espnet2.tasks.<task>``).
        part: the option choosing it: ``encoder``/``decoder``/``lm``/``model``, or for
            an inner part its attribute in the AV model (``fusion``...).
        name: our name (the registered ``<part>: <name>``; for an inner part, the
            ``model`` it is built by).
        cls_path: ``module:Class`` of our class.
        espnet_name: ESPnet's name of the dense class ours subclasses (converted
            from and to by :mod:`espnet_lowrank.convert`), ``None`` if there is none.
        schema_path: ``module:ATTR`` of its rank-map schema (the class's ``RANK_SCHEMA``).
        default_map: the rank map used when the config gives none (``None``: dense).
        registered: whether ``name`` is added to ESPnet's ``<part>_choices``.
    """

    task: str
    part: str
    name: str
    cls_path: str
    espnet_name: Optional[str]
    schema_path: str
    default_map: Optional[str]
    registered: bool = True

    @property
    def task_module(self) -> str:
        """ESPnet's task module, e.g. ``espnet2.tasks.asr``."""
        return f"espnet2.tasks.{self.task}"

    @property
    def choices_attr(self) -> str:
        """The ``ClassChoices`` attribute of the task module, e.g. ``encoder_choices``."""
        return f"{self.part}_choices"

    @property
    def conf_key(self) -> str:
        """Where its options are in a config: ``encoder_conf``, ``model_conf.fusion_conf``."""
        return f"{self.part}_conf" if self.registered else f"model_conf.{self.part}_conf"

    def load_class(self) -> type:
        """Import and return the class."""
        return load_object(self.cls_path)

    def schema(self) -> Any:
        """Import and return its rank-map schema (a ``rank_map.RankSchema``)."""
        return load_object(self.schema_path)

    def conf(self, config: Mapping[str, Any]) -> Dict[str, Any]:
        """The part's options in ``config`` (a copy; ``{}`` when absent)."""
        outer: Any = config
        for key in self.conf_key.split("."):
            outer = (outer or {}).get(key) if isinstance(outer, Mapping) else None
        return dict(outer or {})


_ASR = "espnet_lowrank.asr."
_SCHEMAS = _ASR + "encoder_schemas:"
_AV = "espnet_lowrank.avsr."
PARTS: Tuple[PartEntry, ...] = (
    PartEntry("asr", "encoder", "lowrank_conformer",
              _ASR + "lowrank_conformer_encoder:LowRankConformerEncoder", "conformer",
              _SCHEMAS + "CONFORMER", DEFAULT_RANK_MAP),
    PartEntry("asr", "encoder", "lowrank_e_branchformer",
              _ASR + "lowrank_e_branchformer_encoder:LowRankEBranchformerEncoder",
              "e_branchformer", _SCHEMAS + "E_BRANCHFORMER", DEFAULT_RANK_MAP),
    PartEntry("asr", "encoder", "lowrank_branchformer",
              _ASR + "lowrank_branchformer_encoder:LowRankBranchformerEncoder", "branchformer",
              _SCHEMAS + "BRANCHFORMER", DEFAULT_RANK_MAP),
    PartEntry("asr", "encoder", "lowrank_transformer",
              _ASR + "lowrank_transformer_encoder:LowRankTransformerEncoder", "transformer",
              _SCHEMAS + "TRANSFORMER", DEFAULT_RANK_MAP),
    PartEntry("asr", "decoder", "lowrank_transformer",
              _ASR + "lowrank_transformer_decoder:LowRankTransformerDecoder", "transformer",
              _ASR + "lowrank_transformer_decoder:DECODER_SCHEMA", DEFAULT_RANK_MAP),
    PartEntry("asr", "model", AV_MODEL, _AV + "model:AVSRModel", None,
              "", None),
    PartEntry("asr", "audio_frontend", AV_MODEL, _AV + "frontends:ResNet1dAudioFrontend", None,
              _AV + "frontends:PROJECTION_SCHEMA_AUDIO", None, registered=False),
    PartEntry("asr", "video_frontend", AV_MODEL, _AV + "frontends:ResNet2dVideoFrontend", None,
              _AV + "frontends:PROJECTION_SCHEMA_VIDEO", None, registered=False),
    PartEntry("asr", "fusion", AV_MODEL, _AV + "fusion:MLPFusion", None,
              _AV + "fusion:FUSION_SCHEMA", None, registered=False),
    PartEntry("lm", "lm", "lowrank_transformer",
              "espnet_lowrank.lm.lowrank_transformer_lm:LowRankTransformerLM", "transformer",
              "espnet_lowrank.lm.lowrank_transformer_lm:LM_SCHEMA", DEFAULT_RANK_MAP),
)  # fmt: skip

# the base class ESPnet's ClassChoices of each registered option expects
CHOICE_BASES: Dict[str, str] = {
    "encoder": "espnet2.asr.encoder.abs_encoder:AbsEncoder",
    "decoder": "espnet2.asr.decoder.abs_decoder:AbsDecoder",
    "model": "espnet2.train.abs_espnet_model:AbsESPnetModel",
    "lm": "espnet2.lm.abs_model:AbsLM",
}
# our task class of each ESPnet task, and of models that need their own task
TASK_CLASSES: Dict[str, str] = {
    "asr": "espnet_lowrank.tasks.asr:LowRankASRTask",
    "lm": "espnet_lowrank.tasks.lm:LowRankLMTask",
}
MODEL_TASK_CLASSES: Dict[Tuple[str, str], str] = {
    ("asr", AV_MODEL): _AV + "task:AVSRTask",
}
LORA_LM_TASK = "espnet_lowrank.lora.task:LoRALMTask"  # an LM config with ``lora_conf``
TASKS: Tuple[str, ...] = tuple(TASK_CLASSES)
TASK_MODULES: Tuple[str, ...] = tuple(sorted({p.task_module for p in PARTS}))


def load_object(path: str) -> Any:
    """``module:attribute`` -> the object (ESPnet's import noise kept quiet)."""
    from espnet_lowrank._espnet_import import import_quietly

    module, _, attr = path.partition(":")
    if module in sys.modules:
        return getattr(sys.modules[module], attr)
    return getattr(import_quietly(module)[0], attr)


def check_task(task: str) -> str:
    """``task`` if it is ``asr`` or ``lm``, else a ``ValueError`` naming the choices."""
    if task not in TASKS:
        raise ValueError(f"task must be one of {sorted(TASKS)}, got {task!r}")
    return task


def registered(task: Optional[str] = None) -> List[PartEntry]:
    """The parts added to ESPnet's ``ClassChoices`` (of ``task``, or all)."""
    return [p for p in PARTS if p.registered and task in (None, p.task)]


def lowrank_parts(task: str) -> List[PartEntry]:
    """The registered parts of ``task`` chosen by a top-level option with a rank map
    (``encoder``/``decoder`` for ASR, ``lm`` for LM; not ``model``)."""
    return [p for p in registered(task) if p.schema_path]


def part_names(task: str) -> Tuple[str, ...]:
    """The top-level options of ``task`` that may name a low-rank class, in order."""
    return tuple(dict.fromkeys(p.part for p in lowrank_parts(task)))


def inner_parts(model: str = AV_MODEL) -> Tuple[str, ...]:
    """The inner parts (attributes) of ``model``, e.g. the AV front-ends and fusion."""
    return tuple(p.part for p in PARTS if not p.registered and p.name == model)


def rank_map_options() -> List[PartEntry]:
    """One entry per config option that holds a ``rank_map`` (``encoder_conf``,
    ``decoder_conf``, ``lm_conf``, ``model_conf.fusion_conf``...), in table order."""
    seen: Dict[str, PartEntry] = {}
    for p in PARTS:
        if p.schema_path:
            seen.setdefault(p.conf_key, p)
    return list(seen.values())


def conversions(task: str) -> Dict[str, Dict[str, str]]:
    """``{part: {ESPnet's name: our name}}`` of ``task`` (``asr`` or ``lm``)."""
    out: Dict[str, Dict[str, str]] = {}
    for p in lowrank_parts(task):
        if p.espnet_name is not None:
            out.setdefault(p.part, {})[p.espnet_name] = p.name
    return out


def lowrank_names(task: str) -> Dict[str, List[str]]:
    """``{part: [our names]}`` of ``task``, sorted."""
    out: Dict[str, List[str]] = {}
    for p in lowrank_parts(task):
        out.setdefault(p.part, []).append(p.name)
    return {part: sorted(names) for part, names in out.items()}


def default_schema(part: str) -> Any:
    """The schema a stock ESPnet ``part`` is analysed with: that of the part's first entry."""
    first = next((p for p in PARTS if p.part == part and p.schema_path), None)
    if first is None:
        raise ValueError(f"no rank-map schema for part {part!r}")
    return first.schema()


def task_class_path(task: str, config: Optional[Mapping[str, Any]] = None) -> str:
    """``module:Class`` of the task that builds ``config``: the AVSR task for
    ``model: avsr``, the LoRA LM task for an LM config with ``lora_conf``, else ours."""
    check_task(task)
    config = config or {}
    special = MODEL_TASK_CLASSES.get((task, config.get("model")))
    if special is not None:
        return special
    if task == "lm" and config.get("lora_conf") is not None:
        return LORA_LM_TASK
    return TASK_CLASSES[task]
