"""Reading ``.pth`` weight files: a missing, truncated or corrupt file is an error naming it.

``torch.load`` on a torn file ends in ``PytorchStreamReader failed reading zip
archive`` or an unpickling error that names no file; every loader of this package
(converters, LoRA and rescoring loaders, the hub folder check, the inference entry
points) reads weights through :func:`load_state_dict_file` instead.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any, Dict, Union

from espnet_lowrank.errors import InputError, require_file


class CheckpointError(InputError):
    """A weights file that does not exist, cannot be read or holds no state dict."""


class WeightsMismatchError(CheckpointError, RuntimeError):
    """Weights that do not fit the model built from their config (a ``RuntimeError``,
    as ``load_state_dict``'s own error, for callers that catch that)."""


def load_state_dict_file(
    path: Union[str, Path],
    what: str = "model file",
    weights_only: bool = True,
    mmap: bool = False,
) -> Dict[str, Any]:
    """The state dict saved in ``path`` (on CPU); ``what`` names the file in errors.

    Args:
        path: a ``.pth`` written by ``torch.save`` (ESPnet's ``valid.*.pth``, ...).
        what: how errors call it, e.g. ``--asr_model_file``.
        weights_only: passed to ``torch.load`` (plain state dicts need no pickles).
        mmap: map the tensors instead of reading them (zip-format files only), for
            checks that look at the keys.
    """
    import torch

    p = require_file(path, what, CheckpointError)
    try:
        state = torch.load(
            p,
            map_location="cpu",
            weights_only=weights_only,
            mmap=mmap and zipfile.is_zipfile(p),
        )
    except Exception as e:  # torn zip, bad pickle, not a torch file: name the file
        reason = (str(e).strip().splitlines() or [type(e).__name__])[0].split(". ")[0]
        raise CheckpointError(
            f"{what} {str(path)!r} cannot be read as PyTorch weights (truncated or "
            f"corrupt?): {reason[:300]}"
        ) from e
    if not isinstance(state, dict):
        raise CheckpointError(
            f"{what} {str(path)!r} holds a {type(state).__name__}, not a state dict"
        )
    return state


FACTOR_NAMES = ("U", "V")


def check_factors_fit_config(
    state: Dict[str, Any], config: Dict[str, Any], model_file: str, config_file: str
) -> None:
    """Refuse a low-rank checkpoint whose config builds a dense ESPnet class there.

    ``encoder: conformer`` (the user edited the class back) with weights that hold
    ``encoder.*.U`` / ``.V`` factors would load through ESPnet's ``strict=False``
    with random weights in every factorized layer and no word. For each top-level
    part of the checkpoint that holds factors, the config's class for that part
    (``encoder``, ``decoder``, ``lm``) must be one of this package's low-rank
    classes. ESPnet's task modules must be imported (the entry points have).
    """
    import sys

    from espnet_lowrank.catalogue import TASK_MODULES
    from espnet_lowrank.mixin import LowRankPartMixin

    factors: Dict[str, str] = {}
    for key in state:
        part, _, rest = key.partition(".")
        if rest.rsplit(".", 1)[-1] in FACTOR_NAMES:
            factors.setdefault(part, key)
    for part, example in sorted(factors.items()):
        name = config.get(part)
        if not isinstance(name, str):
            continue
        for task in TASK_MODULES:
            choices = getattr(sys.modules.get(task), f"{part}_choices", None)
            cls = None if choices is None else choices.classes.get(name.lower())
            if cls is not None and not issubclass(cls, LowRankPartMixin):
                raise CheckpointError(
                    f"{model_file} holds low-rank factors in the {part} (e.g. {example}) but "
                    f"{config_file} builds '{part}: {name}', a dense ESPnet class: its layers "
                    "would keep random weights. Use the config the model was trained with "
                    "(a low-rank class and its saved rank_map), or convert the model: "
                    "python -m espnet_lowrank.bin.convert to_dense --help"
                )
