"""Keep a recipe's finished experiments in the repository: their small text artefacts.

Trainings here outlast a working session, and checkpoints are too big to commit, so
the recipe's ``results/`` keeps, per experiment dir of ``exp/``, what a results table
is rebuilt from and what a reader checks it against: the configs, training logs,
``model_info.json``, perplexities, sclite reports, rescoring and NPRR results, LoRA
ranks and rank-analysis output. Never a checkpoint (``*.pth``), never TensorBoard
events, nothing above ``max_bytes``. Files are copied to the same relative path
under ``results/<exp name>/``; a copy that exists with the same bytes is left alone.
"""

from __future__ import annotations

import fnmatch
import shutil
from pathlib import Path
from typing import List, Sequence

#: relative paths (fnmatch, ``/``-separated) kept from an experiment dir
KEEP = (
    "config.yaml",
    "train.log",
    "model_info.json",
    "lora_ranks.yaml",
    "RESULTS.md",
    "rescoring_results.md",
    "perplexity_*/ppl",
    "perplexity_*/ppl.log",
    "decode_*/*/score_*/result.txt",
    "decode_*/*/score_wer/hyp.trn",  # sc_stats' significance tests (scoring/ablations)
    "decode_*/*/score_wer/ref.trn",
    "rescoring*/*.yaml",
    "rescoring*/*/*.yaml",
    "rescoring*/*/*/*.yaml",
    "rank_analysis/*",
    "ranks.png",
)
NEVER = ("*.pth", "*/tensorboard/*", "tensorboard/*", "*.tfevents.*")
MAX_BYTES = 2_000_000


def kept_files(exp: Path, max_bytes: int = MAX_BYTES) -> List[Path]:
    """The files of experiment dir ``exp`` to keep, relative to it, sorted."""
    out = []
    for path in sorted(exp.rglob("*")):
        if not path.is_file() or path.is_symlink():
            continue
        rel = path.relative_to(exp).as_posix()
        if any(fnmatch.fnmatch(rel, p) for p in NEVER):
            continue
        if any(fnmatch.fnmatch(rel, p) for p in KEEP) and path.stat().st_size <= max_bytes:
            out.append(Path(rel))
    return out


def keep_results(
    exp_dir: Path | str,
    out_dir: Path | str,
    names: Sequence[str] = (),
    max_bytes: int = MAX_BYTES,
) -> List[Path]:
    """Copy the kept files of every experiment (or of ``names``) to ``out_dir/<name>/``.

    Returns:
        The files written (paths under ``out_dir``); unchanged copies are not rewritten.

    Raises:
        FileNotFoundError: ``exp_dir`` or a named experiment does not exist.
    """
    exp_dir, out_dir = Path(exp_dir), Path(out_dir)
    if not exp_dir.is_dir():
        raise FileNotFoundError(f"experiment folder not found: {exp_dir}")
    if names:
        exps = [exp_dir / n for n in names]
        for e in exps:
            if not e.is_dir():
                raise FileNotFoundError(f"experiment not found: {e}")
    else:
        exps = sorted(p for p in exp_dir.iterdir() if p.is_dir())
    written = []
    for exp in exps:
        for rel in kept_files(exp, max_bytes):
            src, dst = exp / rel, out_dir / exp.name / rel
            if dst.is_file() and dst.read_bytes() == src.read_bytes():
                continue
            dst.parent.mkdir(parents=True, exist_ok=True)
            tmp = dst.with_name(dst.name + ".tmp")
            shutil.copyfile(src, tmp)
            tmp.replace(dst)
            written.append(dst)
    return written
