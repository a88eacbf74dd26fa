"""RESULTS.md table and WER-vs-SNR plot comparing trained AV models (audio-only,
video-only, AV, AV low-rank), each over one or more training seeds.

For each model (a label and its runs: ``exp/<asr_tag>`` dirs, one per seed) it reads
each run's saved ``config.yaml`` (parameters counted by rebuilding the model on the
``meta`` device, as ESPnet's ``build_model_from_file`` reads the config: no parser, so
any saved config works; the runs of one model must build the same model),
``train.log`` (seconds per training epoch) and the sclite report
``<inference_tag>/<test set>/score_wer/result.txt`` (WER). A missing file is an error
naming it.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Sequence, Tuple

from espnet_lowrank.recipe.measure import epoch_seconds
from espnet_lowrank.scoring.sclite import parse_result
from espnet_lowrank.scoring.seeds import mean_std
from espnet_lowrank.strict_yaml import load_yaml


@dataclass
class ModelRow:
    """One model over its runs; ``wer[set]`` holds one WER (%) per run, in run order."""

    label: str
    runs: List[Path]
    streams: str
    params: int
    epoch_seconds: float  # mean over every epoch of every run
    epochs: int  # epochs of the longest run
    wer: Dict[str, List[float]]

    def mean_wer(self, test_set: str) -> float:
        return statistics.mean(self.wer[test_set])

    def std_wer(self, test_set: str) -> float:
        values = self.wer[test_set]
        return statistics.stdev(values) if len(values) > 1 else 0.0


def count_parameters(config: Path | str) -> Tuple[int, str]:
    """Parameters of the model a saved AVSR ``config.yaml`` builds, and its ``streams``."""
    from espnet_lowrank.tasks.build import model_from_config

    path = Path(config)
    if not path.is_file():
        raise FileNotFoundError(f"training config not found: {path}")
    cfg = load_yaml(path, "training config")
    if not isinstance(cfg, dict) or cfg.get("model") != "avsr":
        raise ValueError(f"{path}: not an AVSR training config (model: avsr)")
    model, _ = model_from_config(cfg, "asr", device="meta")
    return sum(p.numel() for p in model.parameters()), model.streams


def _wer(exp: Path, inference_tag: str, test: str) -> float:
    result = exp / inference_tag / test / "score_wer" / "result.txt"
    if not result.is_file():
        raise FileNotFoundError(f"WER report not found: {result}")
    return parse_result(result).err


def collect(
    models: Sequence[Tuple[str, Sequence[Path]]], inference_tag: str, test_sets: Sequence[str]
) -> List[ModelRow]:
    """``models``: ``(label, [exp dir of each seed, ...])`` in table order."""
    rows = []
    for label, runs in models:
        runs = [Path(r) for r in runs]
        if not runs:
            raise ValueError(f"model {label!r}: no experiment directory")
        built = [count_parameters(r / "config.yaml") for r in runs]
        if len(set(built)) > 1:
            detail = ", ".join(f"{r}: {n:,} ({s})" for r, (n, s) in zip(runs, built))
            raise ValueError(f"model {label!r}: its runs build different models: {detail}")
        params, streams = built[0]
        epochs = [epoch_seconds(r / "train.log") for r in runs]
        seconds = [s for e in epochs for s in e.values()]
        wer = {t: [_wer(r, inference_tag, t) for r in runs] for t in test_sets}
        rows.append(ModelRow(label, runs, streams, params, statistics.mean(seconds),
                             max(len(e) for e in epochs), wer))  # fmt: skip
    return rows


def render(rows: Sequence[ModelRow], test_sets: Sequence[str], reference: str = "") -> str:
    """Markdown table; ``reference``: the label parameters and epoch time are relative to.

    A WER cell is the value of a single run, else ``mean ± std`` over the runs (sample
    standard deviation); ``seeds`` counts the runs.
    """
    ref = next((r for r in rows if r.label == reference), rows[0])
    head = f"|model|streams|params|params vs {ref.label}|s/epoch|speed-up vs {ref.label}|"
    head += "epochs|seeds|" + "".join(f"WER {t}|" for t in test_sets)
    lines = [head, "|" + "---|" * (8 + len(test_sets))]
    for r in rows:
        cells = [r.label, r.streams, f"{r.params:,}", f"{r.params / ref.params:.2f}x",
                 f"{r.epoch_seconds:.1f}", f"{ref.epoch_seconds / r.epoch_seconds:.2f}x",
                 str(r.epochs), str(len(r.runs))]  # fmt: skip
        cells += [mean_std(r.wer[t], digits=1, show_count=False) for t in test_sets]
        lines.append("|" + "|".join(cells) + "|")
    return "\n".join(lines) + "\n"


def sweep_sets(test_sets: Sequence[str]) -> List[str]:
    """The SNR sweep sets among ``test_sets``, clean first, then by falling SNR."""
    from espnet_lowrank.corpora.mini_av.corpus import is_sweep_set, sweep_set_snr

    snr = {t: sweep_set_snr(t) for t in test_sets if is_sweep_set(t)}
    return sorted(snr, key=lambda t: float("-inf") if snr[t] is None else -snr[t])


def plot_wer_vs_snr(
    rows: Sequence[ModelRow], test_sets: Sequence[str], out_png: Path | str
) -> Path:
    """WER (mean over seeds, error bar ± std) against SNR, one line per model.

    The x axis holds the SNR sweep sets of ``test_sets`` (``test_snr_clean`` left, then
    falling SNR, evenly spaced); at least two are needed.
    """
    from espnet_lowrank.corpora.mini_av.corpus import sweep_set_snr
    from espnet_lowrank.plotting import figure, save

    sets = sweep_sets(test_sets)
    if len(sets) < 2:
        raise ValueError(
            f"a WER-vs-SNR plot needs two or more SNR sweep sets (test_snr_clean, "
            f"test_snr_10, ...) among the test sets, got {' '.join(test_sets)}"
        )
    ticks = ["clean" if sweep_set_snr(t) is None else f"{sweep_set_snr(t):g} dB" for t in sets]
    fig, (ax,) = figure(1, 1, (6.5, 4.5))
    xs = list(range(len(sets)))
    for r in rows:
        ax.errorbar(xs, [r.mean_wer(t) for t in sets], yerr=[r.std_wer(t) for t in sets],
                    marker="o", capsize=3, label=f"{r.label} ({len(r.runs)} seed"
                    f"{'s' if len(r.runs) > 1 else ''})")  # fmt: skip
    ax.set_xticks(xs, ticks)
    ax.set_xlabel("SNR of the audio (coloured noise; same utterances, noise samples and video)")
    ax.set_ylabel("WER (%)")
    ax.set_title("WER against SNR: mean ± std over training seeds")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return save(fig, out_png)


def _trns(run: Path, inference_tag: str, test: str) -> Tuple[Path, Path]:
    score = run / inference_tag / test / "score_wer"
    for name in ("ref.trn", "hyp.trn"):
        if not (score / name).is_file():
            raise FileNotFoundError(f"trn file not found: {score / name}")
    return score / "ref.trn", score / "hyp.trn"


def significance(
    rows: Sequence[ModelRow],
    pairs: Sequence[Tuple[str, str]],
    inference_tag: str,
    test_sets: Sequence[str],
) -> str:
    """Markdown table of sc_stats' matched-pair test (MAPSSWE) of model ``a`` against
    ``b`` for each ``(a, b)`` of ``pairs`` (labels), per test set.

    Run ``i`` of ``a`` is tested against run ``i`` of ``b`` (the same seed), or against
    ``b``'s only run when ``b`` has one. A cell counts the runs in which ``a`` is better,
    not different at p = 0.05 (n.s.) and worse, with the largest p of each verdict, e.g.
    ``better 3/3 (p ≤ 0.002)``.
    """
    from espnet_lowrank.scoring.significance import matched_pairs

    by_label = {r.label: r for r in rows}
    lines = ["|a|b|" + "".join(f"{t}|" for t in test_sets), "|" + "---|" * (2 + len(test_sets))]
    for a_label, b_label in pairs:
        for label in (a_label, b_label):
            if label not in by_label:
                raise ValueError(f"--pair names {label!r}, not a --model label")
        a, b = by_label[a_label], by_label[b_label]
        if len(b.runs) not in (1, len(a.runs)):
            raise ValueError(f"--pair {a_label}:{b_label}: {len(a.runs)} runs against "
                             f"{len(b.runs)} (one, or as many as the first model)")  # fmt: skip
        cells = []
        for test in test_sets:
            verdicts: Dict[str, List[float]] = {}
            for i, run in enumerate(a.runs):
                ref, hyp_a = _trns(run, inference_tag, test)
                _, hyp_b = _trns(b.runs[i if len(b.runs) > 1 else 0], inference_tag, test)
                t = matched_pairs(ref, {"a": hyp_a, "b": hyp_b})[("a", "b")]
                verdict = {None: "n.s.", "a": "better", "b": "worse"}[t.better]
                verdicts.setdefault(verdict, []).append(t.p_value)
            n = len(a.runs)
            cells.append(", ".join(
                f"{v} {len(verdicts[v])}/{n} (p {'≥' if v == 'n.s.' else '≤'} "
                f"{(min if v == 'n.s.' else max)(verdicts[v]):g})"
                for v in ("better", "n.s.", "worse") if v in verdicts
            ))  # fmt: skip
        lines.append(f"|{a_label}|{b_label}|" + "|".join(cells) + "|")
    return "\n".join(lines) + "\n"
