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

from espnet_lowrank.errors import InputError


class CheckpointError(InputError):
    """A weights file that does not exist, cannot be read or holds no state dict."""


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

    p = Path(path)
    if not p.exists():
        raise CheckpointError(f"{what} {str(path)!r} does not exist")
    if not p.is_file():
        raise CheckpointError(f"{what} {str(path)!r} is not a file")
    try:
        state = torch.load(
            p,
            map_location="cpu",
            weights_only=weights_only,
            mmap=mmap and zipfile.is_zipfile(p),
        )
    except Exception as e:  # torn zip, bad pickle, not a torch file: name the file
        reason = (str(e).strip().splitlines() or [type(e).__name__])[0]
        raise CheckpointError(
            f"{what} {str(path)!r} cannot be read as PyTorch weights (truncated or "
            f"corrupt?): {reason[:300]}"
        ) from e
    if not isinstance(state, dict):
        raise CheckpointError(
            f"{what} {str(path)!r} holds a {type(state).__name__}, not a state dict"
        )
    return state
