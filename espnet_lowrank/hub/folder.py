"""Turn an ESPnet-packed zip into the folder layout ESPnet models have on Hugging Face.

``python -m espnet2.bin.pack asr ...`` writes a zip with ``meta.yaml`` (which lists the
config and model files under ``yaml_files`` / ``files``) and the packed files under
their paths relative to the recipe dir, e.g. ``exp/asr_x/config.yaml``. A Hugging Face
ESPnet repo is that zip unpacked, plus ``README.md``. espnet_model_zoo loads it by
reading ``meta.yaml`` and replacing every string in the configs that equals the
relative path of a file in the repo by that file's local path. So configs must name
packed files by exactly their path in the folder.

:func:`make_hub_folder` unpacks the zip and makes that true:

- members packed from an absolute path (pack run outside the recipe dir) are moved
  to the part of their path that starts at ``exp/``, ``data/`` or ``dump/``;
- config strings that name a packed file by another spelling (absolute path, or a
  path the member's path ends with) are rewritten to the member's folder path;
- the files inference needs (``token_list`` when a path, ``bpemodel`` for BPE,
  ``normalize_conf.stats_file`` for ``global_mvn``, the ``rank_map`` of any low-rank
  part of the catalogue given as a file) must be in the zip: otherwise an error
  names the key, its value and the ``--option`` to add when packing.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, Dict, List, Mapping, Optional, Sequence

import yaml

from espnet_lowrank import catalogue
from espnet_lowrank.checkpoint import load_state_dict_file
from espnet_lowrank.errors import InputError
from espnet_lowrank.hub.load import load_speech2text
from espnet_lowrank.hub.model_card import parameter_report, render_card
from espnet_lowrank.rank_map import preset_names
from espnet_lowrank.strict_yaml import loads_yaml

RECIPE_TOPS = ("exp", "data", "dump")
META = "meta.yaml"


@dataclass(frozen=True)
class HubFolder:
    """A folder ready for upload; paths inside are relative to ``path``."""

    path: Path
    meta: Dict[str, Any]
    configs: Dict[str, Dict[str, Any]]  # meta key (e.g. asr_train_config) -> config

    def file(self, key: str) -> Path:
        """Absolute path of a ``meta.yaml`` entry, e.g. ``asr_model_file``."""
        rel = {**self.meta["yaml_files"], **self.meta["files"]}.get(key)
        if rel is None:
            raise KeyError(f"{self.path / META} has no entry {key!r}")
        return self.path / rel


def _relocate(name: str, absolute: bool) -> str:
    """Folder path of zip member ``name`` (``absolute``: packed by absolute path)."""
    parts = PurePosixPath(name).parts
    if not absolute:
        return name
    for i, part in enumerate(parts):
        if part in RECIPE_TOPS and i < len(parts) - 1:
            return str(PurePosixPath(*parts[i:]))
    return name


def _read_meta(z: zipfile.ZipFile, zip_path: Path) -> Dict[str, Any]:
    if META not in z.namelist():
        raise ValueError(
            f"{zip_path}: no {META} at the top of the zip; make it with "
            "`python -m espnet2.bin.pack asr ...`"
        )
    meta = loads_yaml(z.read(META), f"{zip_path}:{META}")
    for key in ("yaml_files", "files"):
        if not isinstance(meta, dict) or not isinstance(meta.get(key), dict):
            raise ValueError(f"{zip_path}: {META} must have a mapping {key!r}")
    return meta


def _stored_name(value: str) -> str:
    """The zip member name ``Archiver.add`` gives a path (absolute loses its ``/``)."""
    return str(PurePosixPath(value)).lstrip("/")


class _Rewriter:
    """Map strings naming packed files (any spelling) to their folder paths."""

    def __init__(self, renames: Mapping[str, str]):
        self.renames = dict(renames)

    def target(self, value: str, where: str) -> Optional[str]:
        if not value or "\n" in value or len(value) > 4096:
            return None
        v = PurePosixPath(value)
        stored = _stored_name(value)
        hits = set()
        for old, new in self.renames.items():
            if stored == old or (not v.is_absolute() and old.endswith("/" + str(v))):
                hits.add(new)
        if len(hits) > 1:
            raise ValueError(f"{where} = {value!r} matches several packed files: {sorted(hits)}")
        return hits.pop() if hits else None

    def rewrite(self, obj: Any, where: str) -> Any:
        if isinstance(obj, dict):
            return {
                # a token list names tokens, not files: leave its entries alone
                k: v
                if k == "token_list" and isinstance(v, list)
                else self.rewrite(v, f"{where}.{k}")
                for k, v in obj.items()
            }
        if isinstance(obj, list):
            return [self.rewrite(v, f"{where}[{i}]") for i, v in enumerate(obj)]
        if isinstance(obj, str):
            new = self.target(obj, where)
            return obj if new is None else new
        return obj


def names_rank_map_file(value: Any) -> bool:
    """Whether a ``rank_map`` value is read from a file, by the rule of
    :func:`espnet_lowrank.rank_map.load_rank_map`: a ``.yaml``/``.yml`` name is a file;
    another string is a preset if a preset has that name, else a file (which must
    exist where the config is loaded, so it must be packed)."""
    if not isinstance(value, str):
        return False
    return value.endswith((".yaml", ".yml")) or value not in preset_names()


def _required_files(config: Mapping[str, Any]) -> List[tuple]:
    """(key, value) of config entries that inference reads from disk."""
    out = []
    if isinstance(config.get("token_list"), str):
        out.append(("token_list", config["token_list"]))
    if config.get("token_type") == "bpe" and config.get("bpemodel"):
        out.append(("bpemodel", config["bpemodel"]))
    for entry in catalogue.rank_map_options():
        rank_map = entry.conf(config).get("rank_map")
        if names_rank_map_file(rank_map):
            out.append((f"{entry.conf_key}.rank_map", rank_map))
    normalize_conf = config.get("normalize_conf") or {}
    if config.get("normalize") == "global_mvn" and "stats_file" in normalize_conf:
        out.append(("normalize_conf.stats_file", normalize_conf["stats_file"]))
    return out


def make_hub_folder(
    packed_zip: Path | str, out_dir: Path | str, readme: Optional[str] = None
) -> HubFolder:
    """Unpack ``packed_zip`` into ``out_dir`` as a Hugging Face ESPnet model folder.

    ``out_dir`` must not exist or be empty. ``readme`` (the model card) is written
    to ``README.md`` when given. Returns the folder with its rewritten configs.
    """
    zip_path = Path(packed_zip)
    if not zip_path.is_file():
        raise FileNotFoundError(f"packed model not found: {zip_path}")
    out = Path(out_dir)
    if out.exists() and any(out.iterdir()):
        raise FileExistsError(f"output folder is not empty: {out}")
    if not zipfile.is_zipfile(zip_path):
        raise InputError(
            f"{zip_path} is not a zip file (truncated?); make it with "
            "`python -m espnet_lowrank.bin.pack asr ...`"
        )
    with zipfile.ZipFile(zip_path) as z:
        meta = _read_meta(z, zip_path)
        listed = {
            _stored_name(v): str(v).startswith("/")
            for v in [*meta["yaml_files"].values(), *meta["files"].values()]
        }
        members = [i.filename for i in z.infolist() if not i.is_dir() and i.filename != META]
        unsafe = [m for m in members if ".." in PurePosixPath(m).parts]
        if unsafe:
            raise ValueError(f"{zip_path}: member paths with '..': {unsafe[:5]}")
        for name in listed:
            if name not in members:
                raise ValueError(f"{zip_path}: {META} lists {name!r}, missing from the zip")
        # options (--option) are not listed in meta.yaml: absolute if a listed
        # file is, since pack stores all of them relative to the same directory
        any_absolute = any(listed.values())
        renames = {m: _relocate(m, listed.get(m, any_absolute)) for m in members}
        if len(set(renames.values())) != len(renames):
            raise ValueError(f"{zip_path}: two packed files would share one folder path")
        rewriter = _Rewriter(renames)

        configs: Dict[str, Dict[str, Any]] = {}
        for key, value in meta["yaml_files"].items():
            member = _stored_name(value)
            config = loads_yaml(z.read(member), f"{zip_path}:{member}")
            if not isinstance(config, dict):
                raise ValueError(f"{zip_path}:{member}: config is not a mapping")
            config = rewriter.rewrite(config, key)
            for ckey, cval in _required_files(config):
                if cval not in renames.values():
                    raise ValueError(
                        f"{zip_path}:{member}: {ckey} = {cval!r} is not in the packed "
                        "zip; pack it too: python -m espnet2.bin.pack asr ... "
                        f"--option {cval}"
                    )
            configs[key] = config

        out.mkdir(parents=True, exist_ok=True)
        for old, new in renames.items():
            target = out / new
            target.parent.mkdir(parents=True, exist_ok=True)
            if old in {_stored_name(v) for v in meta["yaml_files"].values()}:
                continue
            with z.open(old) as src, target.open("wb") as dst:
                while chunk := src.read(1 << 20):
                    dst.write(chunk)
    new_meta = dict(meta)
    for section in ("yaml_files", "files"):
        new_meta[section] = {k: renames[_stored_name(v)] for k, v in meta[section].items()}
    for key, config in configs.items():
        buf = io.StringIO()
        yaml.safe_dump(config, buf, sort_keys=False, allow_unicode=True)
        (out / new_meta["yaml_files"][key]).write_text(buf.getvalue(), encoding="utf-8")
    (out / META).write_text(yaml.safe_dump(new_meta, sort_keys=False), encoding="utf-8")
    if readme is not None:
        (out / "README.md").write_text(readme, encoding="utf-8")
    return HubFolder(out, new_meta, configs)


def build_model_folder(
    packed_zip: Path | str,
    out_dir: Path | str,
    repo_id: str,
    *,
    results_md: Optional[Path | str] = None,
    license_name: str = "cc-by-4.0",
    language: Optional[str] = None,
    datasets: Sequence[str] = (),
    load_check: bool = True,
) -> HubFolder:
    """Unpack ``packed_zip`` into ``out_dir`` (:func:`make_hub_folder`), write its model
    card ``README.md`` for ``repo_id`` (quoting ``results_md`` when given) and, with
    ``load_check``, load the folder back as espnet_model_zoo would and check the
    weights against the model it builds."""
    results = None
    if results_md is not None:
        results = Path(results_md).read_text(encoding="utf-8")
    folder = make_hub_folder(packed_zip, out_dir)
    if "asr_train_config" not in folder.configs or "asr_model_file" not in folder.meta["files"]:
        raise ValueError(
            f"{packed_zip}: meta.yaml needs asr_train_config and asr_model_file "
            "(pack with `python -m espnet2.bin.pack asr`)"
        )
    model_file = folder.file("asr_model_file")
    state = load_state_dict_file(model_file, f"{packed_zip}: asr_model_file")
    parameter_names = None
    if load_check:
        model = load_speech2text(folder.path, device="cpu").asr_model
        parameter_names = {n for n, _ in model.named_parameters()}
    card = render_card(
        repo_id=repo_id,
        asr_config=folder.configs["asr_train_config"],
        config_path=folder.meta["yaml_files"]["asr_train_config"],
        report=parameter_report(state, parameter_names),
        results=results,
        asr_tag=model_file.parent.name,
        license_name=license_name,
        language=language,
        datasets=list(datasets),
    )
    (folder.path / "README.md").write_text(card, encoding="utf-8")
    return folder
