"""How long a recipe run will take here, and where its background trainings are.

``make demo`` (``local/side_by_side.sh``) runs for an hour or more with its two trainings
in the background, logging to files. Before it starts, :func:`estimate` times a short
probe — a few training steps of the recipe's full-rank model on a random batch, one
thread — and scales the phases measured on a reference machine (``conf/demo_timing.yaml``
of the recipe) by the ratio of the probe's step time here to the one there. While it
runs, :func:`lane_status` reads each lane's log (``asr.sh``'s stage lines) and its
experiment's ``train.log`` (ESPnet's batch-range lines) for a one-line progress report.
"""

from __future__ import annotations

import re
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Sequence

from espnet_lowrank.errors import InputError
from espnet_lowrank.strict_yaml import load_yaml_mapping

PHASES = ("corpus", "prepare", "lanes")


@dataclass(frozen=True)
class Reference:
    """Phases (wall seconds) of a reference run and its probe step (ms) on that machine."""

    probe_step_ms: float
    phases: Dict[str, float]
    machine: str


def load_reference(path: Path | str) -> Reference:
    """Read a timing file: ``probe_step_ms``, ``machine`` and ``phases`` (:data:`PHASES`)."""
    path = Path(path)
    d = load_yaml_mapping(path, "demo timing file")
    for key in ("probe_step_ms", "phases", "machine"):
        if key not in d:
            raise InputError(f"{path}: missing key {key!r}")
    phases = d["phases"]
    if not isinstance(phases, dict) or sorted(phases) != sorted(PHASES):
        raise InputError(
            f"{path}: phases must map exactly {list(PHASES)} to seconds, not {phases!r}"
        )
    for k, v in list(phases.items()) + [("probe_step_ms", d["probe_step_ms"])]:
        if not isinstance(v, (int, float)) or isinstance(v, bool) or v <= 0:
            raise InputError(f"{path}: {k} must be a positive number of seconds/ms, not {v!r}")
    return Reference(float(d["probe_step_ms"]), {k: float(v) for k, v in phases.items()},
                     str(d["machine"]))  # fmt: skip


PROBE_BATCH, PROBE_SECONDS = 4, 4.0  # the README's bench train step: 4 utterances of 4 s


def probe_step_ms(config: Path | str, repeats: int = 3, vocab: int = 300) -> float:
    """Minimum over ``repeats`` of one training step (ms, one thread) of ``config``'s model
    on a random batch of :data:`PROBE_BATCH` x :data:`PROBE_SECONDS` s of audio, with the
    config's own Adam options (the step ``bench train --batch 4 --seconds 4`` times)."""
    import torch

    from espnet_lowrank.bench import models
    from espnet_lowrank.bench.steps import asr_train_step
    from espnet_lowrank.bench.train import config_adam_conf

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with tempfile.TemporaryDirectory(prefix="probe_") as tmp:
            tokens = Path(tmp) / "tokens.txt"
            tokens.write_text("\n".join(models.token_list(vocab)) + "\n")
            model, n_tokens = models.build_asr_from_config(config, tokens)
        batch = models.random_asr_batch(PROBE_BATCH, PROBE_SECONDS, n_tokens)
        step = asr_train_step(model, batch, config_adam_conf(config))
        step()  # warm-up: allocator, lazy init
        samples = []
        for _ in range(repeats):
            start = time.perf_counter()
            step()
            samples.append(time.perf_counter() - start)
    finally:
        torch.set_num_threads(threads)
    return 1000 * min(samples)


def _hms(seconds: float) -> str:
    minutes = int(round(seconds / 60))
    return f"{minutes // 60} h {minutes % 60:02d} min" if minutes >= 60 else f"{minutes} min"


def estimate(ref: Reference, step_ms: float, todo: Sequence[str]) -> str:
    """One paragraph: the expected wall time of the phases ``todo`` here, and why."""
    scale = step_ms / ref.probe_step_ms
    parts = [(p, ref.phases[p] * scale) for p in PHASES if p in todo]
    total = sum(s for _, s in parts)
    what = ", ".join(f"{p} {_hms(s)}" for p, s in parts) or "nothing left to do"
    return (
        f"expected: about {_hms(total)} on this machine ({what}): a training step of the "
        f"probe takes {step_ms:.0f} ms here and {ref.probe_step_ms:.0f} ms on {ref.machine}, "
        f"whose figures are scaled by {scale:.2f}; other load on the machine makes it longer"
    )


_ASR_EXP = re.compile(r"asr_exp=(\S+)")
_STAGE = re.compile(r"\(asr\.sh:\d+\) (Stage \d+[^:(]*)(.*)$")
_BATCH = re.compile(r"(\d+)epoch:train:(\d+)-(\d+)batch")
_N_BATCH = re.compile(r"\[train\] Batch sampler: \w+\(N-batch=(\d+)")
_MAX_EPOCH = re.compile(r"^max_epoch: (\d+)", re.M)


def lane_status(lane_log: Path | str, recipe_dir: Path | str = ".") -> str:
    """``<exp>: <stage> [epoch e/E, batch b/B]`` of the last experiment in ``lane_log``."""
    lane_log, recipe_dir = Path(lane_log), Path(recipe_dir)
    if not lane_log.is_file():
        return "not started"
    text = lane_log.read_text(encoding="utf-8", errors="replace")
    starts = list(_ASR_EXP.finditer(text))
    if not starts:
        return "preparing"
    exp = starts[-1].group(1)
    name = Path(exp).name
    current = text[starts[-1].end() :]  # what asr.sh logged for this experiment
    if "Successfully finished" in current:
        return f"{name}: finished"
    stages = [m for m in (_STAGE.search(ln) for ln in current.splitlines()) if m]
    if not stages:
        return f"{name}: starting"
    stage = stages[-1].group(1).strip()
    line = f"{name}: {stage}"
    train_log = recipe_dir / exp / "train.log"
    if stage.startswith("Stage 8") and train_log.is_file():
        log = train_log.read_text(encoding="utf-8", errors="replace")
        batches = _BATCH.findall(log)
        n_batch = _N_BATCH.findall(log)
        config = recipe_dir / exp / "config.yaml"
        max_epoch = _MAX_EPOCH.findall(config.read_text()) if config.is_file() else []
        if batches:
            epoch, _, last = batches[-1]
            line += f", epoch {epoch}/{max_epoch[-1] if max_epoch else '?'}"
            line += f", batch {last}/{n_batch[-1] if n_batch else '?'}"
    return line


def status_line(lane_logs: Sequence[Path | str], recipe_dir: Path | str, started: float) -> str:
    """``[elapsed] lane0: ... | lane1: ...`` for the progress loop of the side-by-side run."""
    elapsed = _hms(max(0.0, time.time() - started))
    lanes: List[str] = [f"lane{i}: {lane_status(p, recipe_dir)}" for i, p in enumerate(lane_logs)]
    return f"[{elapsed} elapsed] " + " | ".join(lanes)


def remaining_phases(recipe_dir: Path | str, exps: Sequence[str]) -> List[str]:
    """The phases of :data:`PHASES` still to run: no corpus yet -> all of them; every
    experiment in ``exps`` with a ``RESULTS.md`` -> none."""
    recipe_dir = Path(recipe_dir)
    todo: List[str] = []
    if not (recipe_dir / "data" / "local" / "corpus_info.json").is_file():
        todo += ["corpus", "prepare"]
    if not all((recipe_dir / "exp" / e / "RESULTS.md").is_file() for e in exps):
        todo.append("lanes")
    return todo
