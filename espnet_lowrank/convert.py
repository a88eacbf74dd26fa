"""Convert trained ESPnet models between dense and low-rank classes.

- :func:`to_lowrank`: a dense ESPnet ASR or LM model (``conformer``,
  ``e_branchformer``, ``branchformer``, ``transformer`` parts; the list is
  :data:`espnet_lowrank.catalogue.PARTS`) becomes the registered low-rank classes with a rank map;
  each factorized layer gets the truncated SVD of its trained weight (the best
  rank-r approximation), everything else is copied. Fine-tune it afterwards.
- :func:`to_dense`: a low-rank model becomes stock ESPnet classes with merged
  weights ``U V``, loadable where this plugin is not installed.

Both write ``<out_dir>/config.yaml`` and ``<out_dir>/model.pth`` and check that
the written weights load strictly into the written config's model.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Dict, Mapping, Optional, Tuple

import torch
import yaml

from espnet_lowrank.atomic import atomic_dir, atomic_file
from espnet_lowrank.catalogue import check_task, conversions
from espnet_lowrank.checkpoint import load_state_dict_file
from espnet_lowrank.factorize import densify
from espnet_lowrank.layers.lowrank_linear import svd_factors
from espnet_lowrank.mixin import LowRankPartMixin
from espnet_lowrank.rank_map import RankMapLike
from espnet_lowrank.strict_yaml import load_yaml_mapping
from espnet_lowrank.tasks.build import model_from_config

logger = logging.getLogger(__name__)


def _read_config(path: Path) -> Dict[str, Any]:
    return load_yaml_mapping(path, "--config")


def _load_weights(path: Path) -> Dict[str, torch.Tensor]:
    return load_state_dict_file(path, "--model", weights_only=False)


def _write(
    out_dir: Path, cfg: Dict[str, Any], model: torch.nn.Module, task: str
) -> Tuple[Path, Path]:
    with atomic_dir(out_dir) as work:  # both files appear once they load, or neither
        cfg_path, model_path = work / "config.yaml", work / "model.pth"
        with open(cfg_path, "w", encoding="utf-8") as f:
            yaml.safe_dump(cfg, f, sort_keys=False, allow_unicode=True)
        torch.save(model.state_dict(), model_path)
        model_from_config(cfg, task, model_path)  # what we wrote must rebuild and load strictly
    return out_dir / "config.yaml", out_dir / "model.pth"


def to_lowrank(
    task: str,
    config: Path | str,
    model_file: Path | str,
    out_dir: Path | str,
    rank_maps: Mapping[str, RankMapLike],
) -> Tuple[Path, Path]:
    """Compress a dense model by truncated SVD.

    Args:
        task: ``asr`` or ``lm``.
        config, model_file: the dense model's ``config.yaml`` and ``.pth``.
        out_dir: where the low-rank ``config.yaml`` and ``model.pth`` go.
        rank_maps: part (``encoder``/``decoder``/``lm``) -> rank map (preset, path,
            mapping). Parts not given stay dense ESPnet classes.
    """
    cfg = _read_config(Path(config))
    state = _load_weights(Path(model_file))
    parts = conversions(check_task(task))
    unknown = sorted(set(rank_maps) - set(parts))
    if unknown:
        raise ValueError(f"no such part for task {task}: {unknown}; parts: {sorted(parts)}")
    for part, rank_map in rank_maps.items():
        ours = parts[part].get(cfg.get(part))
        if ours is None:
            raise ValueError(
                f"{config}: {part} is {cfg.get(part)!r}; only {sorted(parts[part])} "
                f"convert (to {sorted(parts[part].values())})"
            )
        cfg[part] = ours
        conf = dict(cfg.get(f"{part}_conf") or {})
        conf["rank_map"] = rank_map
        cfg[f"{part}_conf"] = conf
    model, args = model_from_config(cfg, task)  # inlines resolved rank maps into args
    new_state = dict(state)
    for part in rank_maps:
        module = getattr(model, part)
        assert isinstance(module, LowRankPartMixin)
        for slot, rank in module.rank_plan.factorized():
            key = f"{part}.{slot.name}."
            if key + "weight" not in state:
                raise ValueError(f"{model_file}: no {key}weight (is it the model of {config}?)")
            w = new_state.pop(key + "weight")
            u, v = svd_factors(w.reshape(w.shape[0], -1), rank)  # conv kernels as matrices
            new_state[key + "U"], new_state[key + "V"] = u, v
    model.load_state_dict(new_state, strict=True)
    logger.info("converted %s to low rank", model_file)
    return _write(Path(out_dir), vars(args), model, task)


def to_dense(
    task: str, config: Path | str, model_file: Path | str, out_dir: Path | str
) -> Tuple[Path, Path]:
    """Merge every factorized layer and switch to the stock ESPnet classes."""
    cfg = _read_config(Path(config))
    model, _ = model_from_config(cfg, task)
    model.load_state_dict(_load_weights(Path(model_file)), strict=True)
    converted = []
    for part, stock_to_ours in conversions(task).items():
        stock = {v: k for k, v in stock_to_ours.items()}.get(cfg.get(part))
        if stock is None:
            continue
        densify(getattr(model, part))
        cfg[part] = stock
        conf = dict(cfg.get(f"{part}_conf") or {})
        conf.pop("rank_map", None)
        cfg[f"{part}_conf"] = conf
        converted.append(part)
    if not converted:
        raise ValueError(f"{config}: no low-rank part to densify")
    logger.info("densified %s of %s", converted, model_file)
    return _write(Path(out_dir), cfg, model, task)


def parse_rank_map_args(values: Optional[list]) -> Dict[str, str]:
    """``["encoder=lr_sms", "decoder=conf/x.yaml"]`` -> mapping; errors name the value."""
    out: Dict[str, str] = {}
    for item in values or []:
        part, sep, value = item.partition("=")
        if not sep or not part or not value:
            raise ValueError(f"--rank_map expects PART=MAP (e.g. encoder=lr_sms), got {item!r}")
        out[part] = value
    return out


def svd_transfer(
    task: str,
    config: Path | str,
    model_file: Path | str,
    out_file: Path | str,
    token_list: Optional[Path | str] = None,
) -> Dict[str, list]:
    """Map a trained model's weights onto the (low-rank) model of another ``config``.

    For initialising a low-rank model from dense ones (ESPnet's ``--init_param``
    then reads ``out_file``, with ``src_key:dst_key`` to pick parts): every
    parameter or buffer of ``config``'s model whose name and shape are in
    ``model_file`` is copied; every factorized layer ``P`` (``P.U`` ``(out, r)``,
    ``P.V`` ``(r, in)``) whose dense ``P.weight`` is there gets its truncated SVD at
    the layer's rank (convolution kernels as ``(out, in kh kw)`` matrices). The
    model's other entries are left out of ``out_file`` (they keep their own init).

    Args:
        task: ``asr`` or ``lm``.
        config: a ``config.yaml`` that builds the target model: a saved one, or with
            ``token_list`` a training config (``conf/*.yaml``; its missing options take
            ESPnet's defaults), so the target need not have been trained before.
        model_file: the source weights (``.pth``).
        out_file: where the target-named state dict goes.
        token_list: the token list a training ``config`` is built with.
    Returns:
        ``{"copied": [...], "factorized": [...], "missing": [...]}`` (names).
    Raises:
        ValueError: a name in both with different shapes (another architecture).
    """
    from espnet_lowrank.layers.lowrank_linear import LowRankLayer

    if token_list is None:
        model, _ = model_from_config(_read_config(Path(config)), check_task(task))
    else:
        if not Path(token_list).is_file():
            raise FileNotFoundError(f"--token_list not found: {token_list}")
        model, _ = model_from_config(_read_config(Path(config)), check_task(task), saved=False,
                                     extra_args=["--token_list", str(token_list)])  # fmt: skip
    source = _load_weights(Path(model_file))
    target = model.state_dict()
    out: Dict[str, torch.Tensor] = {}
    report: Dict[str, list] = {"copied": [], "factorized": [], "missing": []}
    factorized = {name for name, m in model.named_modules() if isinstance(m, LowRankLayer)}
    for prefix in sorted(factorized):
        weight = source.get(f"{prefix}.weight")
        if weight is None:
            continue
        u, v = target[f"{prefix}.U"], target[f"{prefix}.V"]
        if weight.numel() != u.shape[0] * v.shape[1]:
            raise ValueError(
                f"{model_file}: {prefix}.weight has shape {tuple(weight.shape)}; "
                f"{config} factorizes it as {tuple(u.shape)} x {tuple(v.shape)}"
            )
        out[f"{prefix}.U"], out[f"{prefix}.V"] = svd_factors(
            weight.reshape(u.shape[0], v.shape[1]), v.shape[0]
        )
        report["factorized"].append(prefix)
    for name, value in target.items():
        if name in out:
            continue
        if name not in source:
            report["missing"].append(name)
            continue
        if tuple(source[name].shape) != tuple(value.shape):
            raise ValueError(f"{model_file}: {name} has shape {tuple(source[name].shape)}, "
                             f"the model of {config} {tuple(value.shape)}")  # fmt: skip
        out[name] = source[name]
        report["copied"].append(name)
    with atomic_file(out_file) as tmp:  # whole or absent, also with two writers
        torch.save(out, tmp)
    logger.info("%s -> %s: %d copied, %d factorized by SVD, %d left to their own init",
                model_file, out_file, len(report["copied"]), len(report["factorized"]),
                len(report["missing"]))  # fmt: skip
    return report
