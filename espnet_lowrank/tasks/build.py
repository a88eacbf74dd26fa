"""One way from an ESPnet config (and optional weights) to a model.

:func:`model_from_config` is what every tool of this package uses to rebuild a
model: converters, counters, the rank analysis, the recipe measurements, the AV
comparison, the benchmarks, the LoRA and rescoring LM loaders, the hub loader.

- *saved* configs (``exp/<tag>/config.yaml``, written by ESPnet's trainer) hold
  every option: they are read as ESPnet's ``build_model_from_file`` reads them
  (``argparse.Namespace(**config)``, no parser);
- *training* configs (``conf/train_*.yaml``) hold a few options: they go through
  the task's parser, which adds ESPnet's defaults (``extra_args`` are further
  command-line options, e.g. ``--token_list``); a saved config read this way loses
  the values it records that are not options (``required``, ``distributed``...).

The task class comes from the catalogue (``model: avsr`` builds with the AVSR
task, an LM config with ``lora_conf`` with the LoRA LM task). ``device="meta"``
builds without memory (counts, shapes). Weights are loaded strictly: ESPnet's
own loaders use ``strict=False``, which leaves random weights without a word; a
mismatch here is a :class:`~espnet_lowrank.checkpoint.WeightsMismatchError`
naming the missing, unexpected and misshapen keys.
"""

from __future__ import annotations

import argparse
import copy
import tempfile
from pathlib import Path
from typing import Any, Callable, Dict, Mapping, Optional, Sequence, Tuple, Union

import torch
import yaml
from torch import nn

from espnet_lowrank import catalogue
from espnet_lowrank.checkpoint import WeightsMismatchError, load_state_dict_file
from espnet_lowrank.strict_yaml import load_yaml_mapping

ConfigLike = Union[str, Path, Mapping[str, Any]]


def task_class(task: str, config: Optional[Mapping[str, Any]] = None) -> type:
    """The task class that builds ``config`` (see :func:`catalogue.task_class_path`)."""
    return catalogue.load_object(catalogue.task_class_path(task, config))


def read_config(config: ConfigLike, what: str = "config") -> Dict[str, Any]:
    """A config as a dict (a deep copy of a mapping, or the YAML file it names)."""
    if isinstance(config, Mapping):
        return copy.deepcopy(dict(config))
    return load_yaml_mapping(config, what)


def read_state_dict(model_file: Union[str, Path], what: str = "model file") -> Dict[str, Any]:
    """The state dict of a ``.pth``; of a training ``checkpoint.pth``, its ``model`` entry."""
    state = load_state_dict_file(model_file, what, weights_only=False)
    if "model" in state and "optimizers" in state:
        state = state["model"]
    if not isinstance(state, Mapping) or not all(
        isinstance(v, torch.Tensor) for v in state.values()
    ):
        raise WeightsMismatchError(f"{model_file}: not a model state dict (name -> tensor)")
    return dict(state)


def _listing(keys: Sequence[str], limit: int = 8) -> str:
    shown = ", ".join(keys[:limit])
    return shown + (f", ... ({len(keys) - limit} more)" if len(keys) > limit else "")


def state_mismatch(model: nn.Module, state: Mapping[str, torch.Tensor]) -> str:
    """What keeps ``state`` from loading strictly into ``model`` ('' if nothing)."""
    own = model.state_dict()
    missing = sorted(set(own) - set(state))
    unexpected = sorted(set(state) - set(own))
    shapes = [
        f"{k} (checkpoint {tuple(state[k].shape)}, model {tuple(own[k].shape)})"
        for k in own
        if k in state and state[k].shape != own[k].shape
    ]
    problems = []
    if missing:
        problems.append(f"{len(missing)} key(s) missing from the checkpoint: {_listing(missing)}")
    if unexpected:
        problems.append(
            f"{len(unexpected)} unexpected key(s) in the checkpoint: {_listing(unexpected)}"
        )
    if shapes:
        problems.append(f"{len(shapes)} shape mismatch(es): {_listing(shapes)}")
    low_in_model = {k[:-2] for k in missing if k.endswith(".U")} & {
        k[:-7] for k in unexpected if k.endswith(".weight")
    }
    low_in_ckpt = {k[:-2] for k in unexpected if k.endswith(".U")} & {
        k[:-7] for k in missing if k.endswith(".weight")
    }
    if low_in_model:
        problems.append(
            f"{len(low_in_model)} layer(s) are factorized (U, V) in the config's model but "
            f"dense in the checkpoint, e.g. {min(low_in_model)}"
        )
    if low_in_ckpt:
        problems.append(
            f"{len(low_in_ckpt)} layer(s) are factorized in the checkpoint but dense in the "
            f"config's model, e.g. {min(low_in_ckpt)}"
        )
    return "; ".join(problems)


def load_strictly(
    model: nn.Module, state: Mapping[str, torch.Tensor], config: Any, model_file: Any
) -> None:
    """Load ``state`` into ``model`` strictly; a mismatch names the keys."""
    problems = state_mismatch(model, state)
    if problems:
        raise WeightsMismatchError(
            f"checkpoint {model_file} does not match the model built from config {config}: "
            + problems
            + ". Pass the config.yaml the model was trained with (exp/<dir>/config.yaml)."
        )
    model.load_state_dict(state, strict=True)


def _training_args(
    task_cls: type, cfg: Dict[str, Any], extra_args: Sequence[str]
) -> argparse.Namespace:
    """``cfg`` through the task's parser (ESPnet's defaults). A config saved by ESPnet's
    trainer (it has ``required``) also records values that are not options, which
    ``--config`` would reject: those are dropped."""
    parser = task_cls.get_parser()
    if "required" in cfg:
        options = {a.dest for a in parser._actions}
        cfg = {k: v for k, v in cfg.items() if k in options}
    with tempfile.TemporaryDirectory(prefix="espnet_lowrank_config_") as tmp:
        path = Path(tmp) / "config.yaml"
        path.write_text(yaml.safe_dump(cfg), encoding="utf-8")
        return parser.parse_args(["--config", str(path), *extra_args])


def model_args(
    config: ConfigLike,
    task: str = "asr",
    *,
    saved: bool = True,
    extra_args: Sequence[str] = (),
    what: str = "config",
) -> Tuple[type, argparse.Namespace]:
    """The task class and the argument namespace a config builds with (see module doc)."""
    catalogue.check_task(task)
    cfg = read_config(config, what)
    task_cls = task_class(task, cfg)
    if saved:
        if extra_args:
            raise ValueError("extra_args are options for a training config (saved=False)")
        return task_cls, argparse.Namespace(**cfg)
    return task_cls, _training_args(task_cls, cfg, extra_args)


def model_from_config(
    config: ConfigLike,
    task: str = "asr",
    model_file: Optional[Union[str, Path]] = None,
    *,
    saved: bool = True,
    device: str = "cpu",
    strict: bool = True,
    extra_args: Sequence[str] = (),
    prepare: Optional[Callable[[argparse.Namespace], None]] = None,
    what: str = "config",
    model_what: str = "model file",
) -> Tuple[nn.Module, argparse.Namespace]:
    """Build the model of an ESPnet ``config``, optionally loading ``model_file``.

    Args:
        config: a ``config.yaml`` path or the mapping read from one.
        task: ``asr`` (also the AV model, ``model: avsr``) or ``lm`` (also LoRA LMs).
        model_file: weights to load (``.pth``, or a training ``checkpoint.pth``).
        saved: a config saved by training (``True``) or a training config whose
            missing options take ESPnet's defaults (``False``).
        device: where the model goes; ``meta`` builds it without memory (no weights).
        strict: load ``model_file`` strictly (a mismatch is an error naming the keys).
        extra_args: further options for a training config, e.g. ``["--token_list", f]``.
        prepare: called on the namespace before the build (e.g. to set rank maps dense).
        what, model_what: how errors name the config and the weights file.

    Returns:
        The model (mode unchanged: ``train``) and the namespace it was built from,
        with the resolved rank maps inlined as training saves them.
    """
    if device == "meta" and model_file is not None:
        raise ValueError("a model on the meta device holds no weights: pass no model_file")
    task_cls, args = model_args(config, task, saved=saved, extra_args=extra_args, what=what)
    if prepare is not None:
        prepare(args)
    if device == "meta":
        with torch.device("meta"):
            return task_cls.build_model(args), args
    model = task_cls.build_model(args)
    if getattr(args, "use_adapter", False):  # as ESPnet's build_model_from_file
        from espnet2.layers.create_adapter import create_adapter

        create_adapter(model, args.adapter, args.adapter_conf)
    if model_file is not None:
        state = read_state_dict(model_file, model_what)
        if strict:
            load_strictly(model, state, config if not isinstance(config, Mapping) else "(mapping)",
                          model_file)  # fmt: skip
        else:
            model.load_state_dict(state, strict=False)
    return model.to(device), args
