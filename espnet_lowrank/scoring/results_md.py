"""Collect sclite reports under ``exp/`` and render ESPnet's RESULTS.md.

Layout read (as ESPnet's asr.sh writes it)::

    exp/<asr_tag>/decode_<inference_tag>/<test_set>/score_{wer,cer,ter}/result.txt
    exp/<asr_tag>/model_info.json        (optional; see scoring.model_info)
    exp/<asr_tag>/ranks.png              (optional; linked under the model)
    exp/<asr_tag>/rescoring_results.md   (optional; the LoRA rescoring stages' table)
    exp/<asr_tag>/rank_analysis/         (optional; rank-analysis plots, suggested map)

Output: an environment header, then per model ``## <asr_tag>`` with ``### WER`` /
``### CER`` / ``### TER`` tables ``|dataset|Snt|Wrd|Corr|Sub|Del|Ins|Err|S.Err|``
(``dataset`` = ``decode_<inference_tag>/<test_set>``; Snt and Wrd are counts, the
rest percentages with one decimal, read from sclite's ``Sum/Avg`` row), and, when
any model has a ``model_info.json``, a comparison table across models.
"""

from __future__ import annotations

import datetime
import os
import platform
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Mapping, Optional, Sequence

from espnet_lowrank.scoring.model_info import FILENAME, read_model_info
from espnet_lowrank.scoring.sclite import ScliteSummary, parse_result

METRICS = ("wer", "cer", "ter")
HEADER = "|dataset|Snt|Wrd|Corr|Sub|Del|Ins|Err|S.Err|"
NA = "n/a"
RANKS_PNG = "ranks.png"
RESCORING_MD = "rescoring_results.md"
RANK_ANALYSIS = "rank_analysis"


@dataclass
class ModelResults:
    """Scores of one ``exp/<asr_tag>`` dir: ``scores[metric][dataset]``."""

    tag: str
    path: Path
    scores: Dict[str, Dict[str, ScliteSummary]] = field(default_factory=dict)
    info: Dict[str, object] = field(default_factory=dict)
    has_info_file: bool = False


def collect(exp_dir: Path | str) -> List[ModelResults]:
    """Every model dir under ``exp_dir`` that has at least one sclite report."""
    root = Path(exp_dir)
    if not root.is_dir():
        raise FileNotFoundError(f"experiment dir not found: {root}")
    models: Dict[str, ModelResults] = {}
    for metric in METRICS:
        for result in sorted(root.glob(f"*/decode*/*/score_{metric}/result.txt")):
            model_dir = result.parents[3]
            dataset = f"{result.parents[2].name}/{result.parents[1].name}"
            m = models.setdefault(model_dir.name, ModelResults(model_dir.name, model_dir))
            m.scores.setdefault(metric, {})[dataset] = parse_result(result)
    for m in models.values():
        m.info = read_model_info(m.path)
        m.has_info_file = (m.path / FILENAME).is_file()
    return [models[k] for k in sorted(models)]


def _run(cmd: Sequence[str], cwd: Path) -> Optional[str]:
    try:
        out = subprocess.run(list(cmd), cwd=cwd, capture_output=True, text=True, check=False)
    except OSError:
        return None
    return out.stdout.strip() if out.returncode == 0 and out.stdout.strip() else None


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def environment(cwd: Path | str = ".") -> Dict[str, str]:
    """Versions and hardware of the machine rendering the table (as ESPnet records)."""
    import espnet
    import torch

    import espnet_lowrank

    env = {
        "date": datetime.datetime.now(datetime.UTC).strftime("%a %b %d %H:%M:%S UTC %Y"),
        "python version": sys.version.replace("\n", " "),
        "espnet version": f"espnet {espnet.__version__}",
        "pytorch version": f"pytorch {torch.__version__}",
        "espnet_lowrank version": f"espnet_lowrank {espnet_lowrank.__version__}",
    }
    commit = _run(["git", "rev-parse", "HEAD"], Path(cwd))
    if commit:
        env["Git hash"] = commit
        date = _run(["git", "log", "-1", "--format=%cd"], Path(cwd))
        if date:
            env["Commit date"] = date
    env["CPU"] = f"{_cpu_name()} ({torch.get_num_threads()} threads)"
    if torch.cuda.is_available():
        names = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
        env["GPU"] = ", ".join(names)
    else:
        env["GPU"] = "none"
    return env


def _fmt_params(n: Optional[object]) -> str:
    if n is None:
        return NA
    n = int(n)
    if n >= 1_000_000:
        return f"{n / 1e6:.2f}M"
    if n >= 10_000:
        return f"{n / 1e3:.1f}K"
    return str(n)


def _fmt_float(x: Optional[object], digits: int) -> str:
    return NA if x is None else f"{float(x):.{digits}f}"


def render_environment(env: Mapping[str, str]) -> List[str]:
    lines = ["# RESULTS", "## Environments"]
    for key, value in env.items():
        indent = "  " if key == "Commit date" else ""
        lines.append(f"{indent}- {key}: `{value}`")
    return lines + [""]


def render_comparison(models: Sequence[ModelResults]) -> List[str]:
    """One row per (model, decode dir): sizes, speed and WER of every test set."""
    datasets = sorted({d for m in models for d in m.scores.get("wer", {})})
    test_sets = sorted({d.split("/", 1)[1] for d in datasets})
    head = ["model", "decode", "params", "encoder", "decoder", "s/epoch", "RTF"]
    head += [f"{metric.upper()} {t}" for t in test_sets for metric in ("wer", "cer")]
    lines = ["## Comparison", "", "|" + "|".join(head) + "|"]
    lines.append("|" + "|".join(["---"] * len(head)) + "|")
    na_seen = False
    for m in models:
        decodes = sorted({d.split("/", 1)[0] for d in m.scores.get("wer", {})}) or [NA]
        info = m.info
        cells_info = [
            _fmt_params(info.get("params_total")),
            _fmt_params(info.get("params_encoder")),
            _fmt_params(info.get("params_decoder")),
            _fmt_float(info.get("epoch_seconds"), 1),
            _fmt_float(info.get("rtf"), 3),
        ]
        for dec in decodes:
            errs = []
            for t in test_sets:
                for metric in ("wer", "cer"):
                    s = m.scores.get(metric, {}).get(f"{dec}/{t}")
                    errs.append(f"{s.err:.1f}" if s is not None else NA)
            row = [m.tag, dec, *cells_info, *errs]
            na_seen |= NA in row
            lines.append("|" + "|".join(row) + "|")
    lines.append("")
    if na_seen:
        lines.append(
            f"n/a: not measured: the key is absent from `exp/<model>/{FILENAME}` "
            "(or that file is missing), or the model has no decode of that test set. "
            f"Keys: params_total, params_encoder, params_decoder, epoch_seconds, rtf."
        )
        lines.append("")
    return lines


def _link(path: Path, out_dir: Optional[Path]) -> str:
    """``path`` relative to ``out_dir`` (symlinked model dirs resolved), POSIX style."""
    if out_dir is None:
        return path.as_posix()
    return Path(os.path.relpath(path.resolve(), out_dir)).as_posix()


def render_model(m: ModelResults, out_dir: Optional[Path] = None) -> List[str]:
    """The model's sclite tables, its rank table and plot (``ranks.png``), the
    rank-analysis plots and suggested map (``rank_analysis/``) and its rescoring
    table (``rescoring_results.md``, written by the rescoring stages). Files are
    linked relative to ``out_dir``, the folder of the RESULTS.md being written."""
    lines = [f"## {m.tag}", ""]
    for metric in METRICS:
        rows = m.scores.get(metric)
        if not rows:
            continue
        lines += [
            f"### {metric.upper()}",
            "",
            HEADER,
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for dataset in sorted(rows):
            lines.append("|" + "|".join([dataset, *rows[dataset].row()]) + "|")
        lines.append("")
    table = m.info.get("rank_table")
    if table:
        lines += ["### Ranks", "", str(table).rstrip(), ""]
    png = m.path / RANKS_PNG
    if png.is_file():
        lines += [f"![ranks of {m.tag}]({_link(png, out_dir)})", ""]
    analysis = m.path / RANK_ANALYSIS
    plots = sorted(analysis.glob("rank_by_depth_*.png"))
    if plots:
        lines += ["### Rank analysis", ""]
        lines += [f"![{p.stem}]({_link(p, out_dir)})" for p in plots] + [""]
        suggested = analysis / "suggested_rank_map.yaml"
        if suggested.is_file():
            lines += [f"Suggested rank map: [{suggested.name}]({_link(suggested, out_dir)})", ""]
    rescoring = m.path / RESCORING_MD
    if rescoring.is_file():
        lines += [rescoring.read_text(encoding="utf-8").rstrip(), ""]
    return lines


def render_results(
    models: Sequence[ModelResults],
    env: Mapping[str, str],
    generator: str,
    out_dir: Optional[Path] = None,
) -> str:
    """The whole RESULTS.md text (``out_dir``: where it goes, for relative links)."""
    if not models:
        raise ValueError("no sclite result.txt found: nothing to put in RESULTS.md")
    lines = [f"<!-- Generated by {generator} -->"] + render_environment(env)
    if any(m.has_info_file for m in models):
        lines += render_comparison(models)
    for m in models:
        lines += render_model(m, out_dir)
    return "\n".join(lines).rstrip() + "\n"
