"""Load a local Hugging Face-style ESPnet model folder, as espnet_model_zoo would.

espnet_model_zoo resolves a Hub repo by downloading it and replacing, in every
config listed in ``meta.yaml``, each string equal to the relative path of a file in
the repo by that file's local path. It cannot open a local *folder* (only zips and
Hub ids), and it rewrites the configs in place. :func:`resolve_zoo_folder` does the
same resolution for a local folder without touching it: the resolved configs are
written to ``work_dir``. :func:`load_speech2text` then builds ``Speech2Text`` and,
unlike ESPnet (which loads weights with ``strict=False``), checks that the model
built from the config has exactly the parameter names of the checkpoint.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any, Dict, Optional

import yaml

from espnet_lowrank.checkpoint import WeightsMismatchError, load_state_dict_file
from espnet_lowrank.strict_yaml import load_yaml_mapping

META = "meta.yaml"


def _absolutize(obj: Any, rel_to_abs: Dict[str, str]) -> Any:
    if isinstance(obj, dict):
        return {k: _absolutize(v, rel_to_abs) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_absolutize(v, rel_to_abs) for v in obj]
    if isinstance(obj, str) and obj in rel_to_abs:
        return rel_to_abs[obj]
    return obj


def resolve_zoo_folder(folder: Path | str, work_dir: Path | str) -> Dict[str, str]:
    """``Speech2Text`` keyword arguments (``asr_train_config``, ``asr_model_file``...).

    Configs are rewritten into ``work_dir`` with paths of the folder's files made
    absolute; the folder itself is left as it is.
    """
    root = Path(folder).resolve()
    meta_path = root / META
    if not meta_path.is_file():
        raise FileNotFoundError(f"{meta_path} not found: not an ESPnet model folder")
    meta = load_yaml_mapping(meta_path, "model folder's meta.yaml")
    yaml_files, files = meta.get("yaml_files"), meta.get("files")
    if not isinstance(yaml_files, dict) or not isinstance(files, dict):
        raise ValueError(f"{meta_path}: needs mappings 'yaml_files' and 'files'")
    rel_to_abs = {str(p.relative_to(root)): str(p) for p in root.rglob("*") if p.is_file()}
    out: Dict[str, str] = {}
    for key, rel in files.items():
        if rel not in rel_to_abs:
            raise FileNotFoundError(f"{meta_path}: {key} = {rel!r} is not in {root}")
        out[key] = rel_to_abs[rel]
    work = Path(work_dir)
    for key, rel in yaml_files.items():
        if rel not in rel_to_abs:
            raise FileNotFoundError(f"{meta_path}: {key} = {rel!r} is not in {root}")
        config = load_yaml_mapping(root / rel, f"{key} of {meta_path}")
        target = work / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(yaml.safe_dump(_absolutize(config, rel_to_abs)), encoding="utf-8")
        out[key] = str(target)
    return out


def check_weights_match(model: Any, model_file: Path | str) -> None:
    """Raise if ``model``'s parameter names differ from the checkpoint's.

    Guards against ESPnet's ``strict=False`` load, which leaves a model built
    from the wrong class with random weights and says nothing.
    """
    state = load_state_dict_file(model_file, "asr_model_file")
    expected, found = set(model.state_dict()), set(state)
    missing, unexpected = sorted(expected - found), sorted(found - expected)
    if missing or unexpected:
        raise WeightsMismatchError(
            f"{model_file} does not fit the model built from its config: "
            f"{len(missing)} parameter(s) missing (e.g. {missing[:5]}), "
            f"{len(unexpected)} unexpected (e.g. {unexpected[:5]}); was espnet_lowrank "
            "imported and is the config the one the model was trained with?"
        )


def load_speech2text(folder: Path | str, work_dir: Optional[Path | str] = None, **kwargs: Any):
    """``Speech2Text`` for a local model folder; ``kwargs`` go to ``Speech2Text``.

    ``work_dir`` holds the resolved configs (a temporary dir if ``None``; they are
    only read while the model is built).
    """
    import espnet_lowrank  # noqa: F401  (registers the low-rank classes)
    from espnet_lowrank._espnet_import import import_quietly

    (asr_inference,) = import_quietly("espnet2.bin.asr_inference")
    with tempfile.TemporaryDirectory() as tmp:
        paths = resolve_zoo_folder(folder, work_dir if work_dir is not None else tmp)
        speech2text = asr_inference.Speech2Text(**paths, **kwargs)
    check_weights_match(speech2text.asr_model, paths["asr_model_file"])
    return speech2text
