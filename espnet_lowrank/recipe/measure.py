"""Measurements of a trained recipe model for RESULTS.md (``exp/<asr_tag>/model_info.json``).

- parameter counts per part, from the training config the model was built with
  (low-rank parts at their resolved ranks; see :mod:`espnet_lowrank.count_params`);
- training wall-clock per epoch, from ESPnet's ``train.log`` (the ``[train]``
  ``time=`` of every ``Nepoch results:`` line; validation excluded);
- the per-layer rank table of every low-rank part;
- decoding real-time factor: decoding wall time x parallel jobs / audio seconds.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Dict, List, Mapping, Optional, Sequence

import torch

from espnet_lowrank.count_params import count_children, resolve_config
from espnet_lowrank.mixin import LowRankPartMixin
from espnet_lowrank.strict_yaml import load_yaml
from espnet_lowrank.tasks.build import model_from_config

_EPOCH_LINE = re.compile(r"(\d+)epoch results: \[train\].*?\btime=([^,]+),")
_SPAN_PART = re.compile(r"([\d.]+) (hour|minute|second)s?")
_UNIT_SECONDS = {"hour": 3600.0, "minute": 60.0, "second": 1.0}


def parse_timespan(text: str) -> float:
    """Seconds in a ``humanfriendly`` span as ESPnet logs it.

    ``"3 minutes and 42.58 seconds"`` -> 222.58; ``"1 hour, 2 minutes and 3 seconds"``.
    """
    parts = _SPAN_PART.findall(text)
    rest = _SPAN_PART.sub("", text).replace("and", "").replace(",", "").strip()
    if not parts or rest:
        raise ValueError(f"not a time span: {text!r}")
    return sum(float(n) * _UNIT_SECONDS[unit] for n, unit in parts)


def epoch_seconds(train_log: Path | str) -> Dict[int, float]:
    """``{epoch: training seconds}`` from an ESPnet ``train.log`` (last entry wins)."""
    path = Path(train_log)
    if not path.is_file():
        raise FileNotFoundError(f"training log not found: {path}")
    out: Dict[int, float] = {}
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        m = _EPOCH_LINE.search(line)
        if m:
            try:
                out[int(m.group(1))] = parse_timespan(m.group(2))
            except ValueError as e:
                raise ValueError(f"{path}: {e} in {line.strip()[:200]!r}") from e
    if not out:
        raise ValueError(f"{path}: no 'Nepoch results: [train] ... time=' line")
    return out


def _saved_avsr_model(config: Path | str) -> Optional[torch.nn.Module]:
    """The audio-visual model a saved ``config.yaml`` with ``model: avsr`` builds (on the
    meta device), else None. AV configs are built by the AVSR task, not the ASR one."""
    if not is_avsr_config(config):
        return None
    return model_from_config(config, "asr", device="meta", what="AVSR training config")[0]


def parameter_counts(config: Path | str, extra_args: Sequence[str] = ()) -> Dict[str, int]:
    """``params_total``, ``params_encoder``, ``params_decoder`` of an ASR or AVSR config."""
    model = _saved_avsr_model(config)
    if model is not None:
        children = {n: sum(p.numel() for p in c.parameters()) for n, c in model.named_children()}
    else:
        children = count_children(config, "asr", extra_args)
    return {
        "params_total": sum(children.values()),
        "params_encoder": children.get("encoder", 0),
        "params_decoder": children.get("decoder", 0),
    }


def rank_table(config: Path | str, extra_args: Sequence[str] = ()) -> str:
    """Per-layer rank tables of the config's low-rank parts ('' if it has none)."""
    model = _saved_avsr_model(config)
    if model is not None:
        tables = [
            m.rank_table().rstrip() for m in model.modules() if isinstance(m, LowRankPartMixin)
        ]
    else:
        _, parts = resolve_config(config, "asr", extra_args)
        tables = [res.plan.table(part).rstrip() for part, res in parts.items()]
    return "\n\n".join(f"```\n{t}\n```" for t in tables)


def is_avsr_config(config: Path | str) -> bool:
    """True for a config of the audio-visual model (``model: avsr``)."""
    cfg = load_yaml(config, "training config")
    return isinstance(cfg, dict) and cfg.get("model") == "avsr"


def audio_seconds(utt2num_samples: Path | str, fs: int) -> float:
    """Total duration of a ``utt2num_samples`` table (``<utt> <samples>`` per line)."""
    path = Path(utt2num_samples)
    if not path.is_file():
        raise FileNotFoundError(f"utt2num_samples not found: {path}")
    if fs <= 0:
        raise ValueError(f"fs must be > 0, got {fs}")
    total = 0
    for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        fields = line.split()
        if not fields:
            continue
        if len(fields) != 2 or not fields[1].isdigit():
            raise ValueError(f"{path}:{i}: expected '<utt> <samples>', got {line!r}")
        total += int(fields[1])
    if total == 0:
        raise ValueError(f"{path}: no audio")
    return total / fs


def real_time_factor(wall_seconds: float, jobs: int, audio: float) -> float:
    """Decoding RTF per job: ``wall_seconds * jobs / audio`` (audio in seconds)."""
    if wall_seconds < 0 or jobs < 1 or audio <= 0:
        raise ValueError(
            f"need wall_seconds >= 0, jobs >= 1, audio > 0; got {wall_seconds}, {jobs}, {audio}"
        )
    return wall_seconds * jobs / audio


def mean_rtf(rtf_sets: Mapping[str, float]) -> float:
    values: List[float] = list(rtf_sets.values())
    if not values:
        raise ValueError("no decoded set")
    return sum(values) / len(values)
