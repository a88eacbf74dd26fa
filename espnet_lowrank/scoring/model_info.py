"""``exp/<asr_tag>/model_info.json``: per-model measurements for RESULTS.md.

Stages that measure something write it here (train: parameter counts and epoch time;
inference: real-time factor); :mod:`espnet_lowrank.scoring.results_md` reads it.
All keys are optional; a key that is absent means "not measured" and shows as
``n/a``. Keys:

``params_total``, ``params_encoder``, ``params_decoder`` (int)
    trainable parameter counts of the whole model, encoder and decoder.
``epoch_seconds`` (float)
    mean wall-clock seconds per training epoch.
``rtf`` (float)
    real-time factor of decoding (decode seconds / audio seconds), mean over sets.
``rtf_sets`` (object: set name -> float)
    the real-time factor of each decoded set.
``rank_table`` (str)
    a Markdown table of per-layer ranks, printed under the model's section.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict

from espnet_lowrank.atomic import atomic_write_text

FILENAME = "model_info.json"
KEYS: Dict[str, tuple] = {
    "params_total": (int,),
    "params_encoder": (int,),
    "params_decoder": (int,),
    "epoch_seconds": (int, float),
    "rtf": (int, float),
    "rank_table": (str,),
    "rtf_sets": (dict,),
}


def validate_model_info(info: Any, where: str) -> Dict[str, Any]:
    """Check keys and value types; errors name ``where`` and the key."""
    if not isinstance(info, dict):
        raise ValueError(f"{where}: must hold a JSON object, got {type(info).__name__}")
    for key, value in info.items():
        if key not in KEYS:
            raise ValueError(f"{where}: unknown key {key!r}; known keys: {sorted(KEYS)}")
        types = KEYS[key]
        if isinstance(value, bool) or not isinstance(value, types):
            names = " or ".join(t.__name__ for t in types)
            raise ValueError(f"{where}: {key} must be {names}, got {value!r}")
        if key == "rtf_sets":
            for name, rtf in value.items():
                if isinstance(rtf, bool) or not isinstance(rtf, (int, float)) or rtf < 0:
                    raise ValueError(f"{where}: rtf_sets[{name!r}] must be >= 0, got {rtf!r}")
        elif key != "rank_table" and value < 0:
            raise ValueError(f"{where}: {key} must be >= 0, got {value!r}")
    return dict(info)


def read_model_info(model_dir: Path | str) -> Dict[str, Any]:
    """The validated ``model_info.json`` of ``model_dir``, ``{}`` if there is none."""
    p = Path(model_dir) / FILENAME
    if not p.is_file():
        return {}
    try:
        info = json.loads(p.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise ValueError(f"{p}: not valid JSON: {e}") from e
    return validate_model_info(info, str(p))


def update_model_info(model_dir: Path | str, **values: Any) -> Path:
    """Merge ``values`` into ``model_dir/model_info.json`` (created if missing)."""
    p = Path(model_dir) / FILENAME
    info = read_model_info(model_dir)
    info.update(validate_model_info(values, f"update of {p}"))
    p.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(p, json.dumps(info, indent=2, sort_keys=True) + "\n")
    return p
