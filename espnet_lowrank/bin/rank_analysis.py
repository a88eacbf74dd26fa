"""Effective rank of a trained model's factorizable layers; plots; a suggested rank map.

Examples::

    # per-layer table + JSON + plots of a trained (full-rank or low-rank) model
    python -m espnet_lowrank.bin.rank_analysis exp/asr_dense/valid.acc.ave.pth \\
        --config exp/asr_dense/config.yaml --out_dir exp/asr_dense/rank_analysis

    # ... and a rank map whose factorizable layers keep 50% of the dense parameters,
    # shaped by the 95%-energy ranks
    python -m espnet_lowrank.bin.rank_analysis exp/asr_dense/valid.acc.ave.pth \\
        --config exp/asr_dense/config.yaml --out_dir exp/asr_dense/rank_analysis \\
        --suggest energy95 --param_ratio 0.5 --round_to 8

    # rank emergence over the saved epochs exp/asr_dense/<N>epoch.pth
    python -m espnet_lowrank.bin.rank_analysis --checkpoints exp/asr_dense \\
        --out_dir exp/asr_dense/rank_emergence

Writes into --out_dir: rank_analysis.txt, rank_analysis.json,
rank_by_depth_<measure>.png, spectra_<part>.png, and with --suggest
suggested_rank_map.yaml; with --checkpoints rank_emergence.json and
rank_emergence_<measure>.png. Exits with status 2 and a message on bad input.
"""

from __future__ import annotations

import argparse
import json
import logging
import shlex
import sys
from pathlib import Path
from typing import List, Optional

from espnet_lowrank.analysis.measures import DEFAULT_MEASURES
from espnet_lowrank.atomic import atomic_dir
from espnet_lowrank.bin._cli import ArgumentParser, run, setup_logging

logger = logging.getLogger("espnet_lowrank.bin.rank_analysis")


def get_parser() -> argparse.ArgumentParser:
    parser = ArgumentParser(
        prog="python -m espnet_lowrank.bin.rank_analysis",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("model", nargs="?", help="trained weights (.pth) to analyse")
    parser.add_argument(
        "--config",
        help="the model's config.yaml (default with --checkpoints: DIR/config.yaml)",
    )
    parser.add_argument("--task", choices=["asr", "lm"], default="asr")
    parser.add_argument(
        "--measure",
        default=",".join(DEFAULT_MEASURES),
        help="comma-separated measures: stable, entropy, energy<P> (default: %(default)s)",
    )
    parser.add_argument("--out_dir", required=True, help="where the outputs are written")
    parser.add_argument(
        "--checkpoints",
        metavar="DIR",
        help="analyse every DIR/<N>epoch.pth instead of MODEL (rank emergence over epochs)",
    )
    sug = parser.add_argument_group("rank-map suggestion")
    sug.add_argument(
        "--suggest",
        metavar="MEASURE",
        help="write suggested_rank_map.yaml shaped by this measure's ratios",
    )
    budget = sug.add_mutually_exclusive_group()
    budget.add_argument(
        "--param_ratio",
        type=float,
        help="budget in (0, 1]: low-rank / dense parameters of the factorizable layers",
    )
    budget.add_argument(
        "--energy",
        type=float,
        help="threshold in (0, 1]: ranks keeping this spectral energy (= --suggest energy<P>)",
    )
    sug.add_argument("--round_to", type=int, default=1, help="ranks are multiples of this")
    sug.add_argument(
        "--r2_min", type=float, default=0.8, help="a depth fit with R^2 >= this is linear"
    )
    sug.add_argument(
        "--rms_tol",
        type=float,
        default=0.02,
        help="... as is one with an RMS residual <= this (ratio units)",
    )
    sug.add_argument(
        "--dense_groups",
        default="",
        help="comma-separated groups or aliases kept dense (e.g. output_layer,decoder.attention)",
    )
    sug.add_argument(
        "--init",
        choices=["svd", "spectral", "random"],
        help="the map's factor init (default: svd for asr, spectral for lm, as the lr_sms preset)",
    )
    return parser


def _check_args(args: argparse.Namespace, parser: argparse.ArgumentParser) -> None:
    from espnet_lowrank.analysis.measures import check_measure, parse_measures

    if (args.model is None) == (args.checkpoints is None):
        parser.error("give either MODEL (a .pth) or --checkpoints DIR, not both or neither")
    if args.model is not None and args.config is None:
        parser.error("MODEL needs --config (the config.yaml it was trained with)")
    if args.checkpoints is not None and args.config is None:
        args.config = str(Path(args.checkpoints) / "config.yaml")
    try:
        args.measures = parse_measures(args.measure)
        if args.energy is not None:
            if not 0.0 < args.energy <= 1.0:
                raise ValueError(f"--energy must be in (0, 1], got {args.energy:g}")
            name = f"energy{args.energy * 100:g}"
            if args.suggest is not None and args.suggest != name:
                raise ValueError(f"--energy {args.energy:g} means {name}, but --suggest is "
                                 f"{args.suggest}")  # fmt: skip
            args.suggest = name
        if args.suggest is not None:
            check_measure(args.suggest)
            if args.suggest not in args.measures:
                args.measures.append(args.suggest)
    except ValueError as e:
        parser.error(str(e))
    if args.param_ratio is not None and args.suggest is None:
        parser.error("--param_ratio needs --suggest MEASURE")
    if args.param_ratio is not None and not 0.0 < args.param_ratio <= 1.0:
        parser.error(f"--param_ratio must be in (0, 1], got {args.param_ratio:g}")
    if args.suggest is not None and args.checkpoints is not None:
        parser.error("--suggest works on one MODEL, not with --checkpoints")
    if args.init is None:
        args.init = "spectral" if args.task == "lm" else "svd"
    if args.round_to < 1:
        parser.error(f"--round_to must be >= 1, got {args.round_to}")


def _analyse_one(args: argparse.Namespace, out: Path, command: str) -> List[Path]:
    from espnet_lowrank.analysis.collect import analyse_model, load_model
    from espnet_lowrank.analysis.plots import plot_rank_by_depth, plot_spectra
    from espnet_lowrank.analysis.report import format_report, to_json

    model = load_model(args.config, args.model, args.task)
    analysis = analyse_model(model, args.task, args.measures)
    written = []
    report = to_json(analysis, model=str(args.model), config=str(args.config))
    title = f"rank analysis of {args.model} (config {args.config})"
    text = format_report(analysis, title)
    if args.suggest is not None:
        suggestion = _suggest(args, analysis, out, command)
        written.append(out / "suggested_rank_map.yaml")
        report["suggestion"] = {
            "file": str(Path(args.out_dir) / "suggested_rank_map.yaml"),
            "measure": suggestion.measure,
            "param_ratio": suggestion.target,
            "achieved": suggestion.achieved,
            "scale": suggestion.scale,
            "step": suggestion.step,
            "params": {p: {"dense": d, "lowrank": r} for p, (d, r) in suggestion.params.items()},
            "ranks": suggestion.ranks,
        }
        text += "\nSuggested rank map (suggested_rank_map.yaml):\n" + "".join(
            f"  {line}\n" for line in suggestion.header()
        )
    (out / "rank_analysis.txt").write_text(text, encoding="utf-8")
    with open(out / "rank_analysis.json", "w", encoding="utf-8") as f:
        json.dump(report, f, indent=1)
    written += [out / "rank_analysis.txt", out / "rank_analysis.json"]
    for m in analysis.measures:
        written.append(plot_rank_by_depth(analysis, m, out / f"rank_by_depth_{m}.png"))
    for part in analysis.parts:
        written.append(plot_spectra(analysis, part, out / f"spectra_{part}.png"))
    return written


def _suggest(args: argparse.Namespace, analysis, out: Path, command: str):
    from espnet_lowrank.analysis.collect import AnalysisError
    from espnet_lowrank.analysis.suggest import suggest_rank_map
    from espnet_lowrank.rank_map import load_rank_map, resolve

    dense_groups = [g.strip() for g in args.dense_groups.split(",") if g.strip()]
    suggestion = suggest_rank_map(
        analysis,
        args.suggest,
        param_ratio=args.param_ratio,
        round_to=args.round_to,
        r2_min=args.r2_min,
        rms_tol=args.rms_tol,
        dense_groups=dense_groups,
        init=args.init,
    )
    header = [
        "Suggested rank map made by espnet_lowrank.bin.rank_analysis from measured effective ranks",
        f"command: {command}",
        f"model: {args.model}",
        f"config: {args.config}",
    ]
    path = suggestion.write(out / "suggested_rank_map.yaml", header)
    # what was written must load and resolve to the ranks that were counted
    for part, pa in analysis.parts.items():
        spec = load_rank_map(str(path), part)
        ranks = resolve(spec, pa.slots, pa.schema, pa.num_blocks)
        if ranks != suggestion.ranks[part]:
            raise AnalysisError(f"{path} [{part}] does not resolve to the counted ranks")
    logger.info(
        "suggested rank map %s: %s, parameter ratio %.4f", path, args.suggest, suggestion.achieved
    )
    return suggestion


def _emergence(args: argparse.Namespace, out: Path) -> List[Path]:
    from espnet_lowrank.analysis.emergence import rank_emergence
    from espnet_lowrank.analysis.plots import plot_emergence

    em = rank_emergence(args.config, args.checkpoints, args.task, args.measures)
    with open(out / "rank_emergence.json", "w", encoding="utf-8") as f:
        json.dump(em.to_json(), f, indent=1)
    written = [out / "rank_emergence.json"]
    for m in em.measures:
        written.append(plot_emergence(em, m, out / f"rank_emergence_{m}.png"))
    return written


def main(cmd: Optional[List[str]] = None) -> List[Path]:
    """Run the analysis; returns the files written. Bad input: ``SystemExit`` with a message."""
    parser = get_parser()
    argv = sys.argv[1:] if cmd is None else list(cmd)
    args = parser.parse_args(argv)
    _check_args(args, parser)
    setup_logging()
    command = "python -m espnet_lowrank.bin.rank_analysis " + shlex.join(argv)
    from espnet_lowrank.rank_map import RankMapError

    out = Path(args.out_dir)
    try:
        with atomic_dir(out) as work:  # a failed run leaves the old outputs or none
            if args.checkpoints is not None:
                written = _emergence(args, work)
            else:
                written = _analyse_one(args, work, command)
        written = [out / p.relative_to(work) for p in written]
    except (ValueError, RankMapError, OSError) as e:
        raise SystemExit(f"rank_analysis: error: {e}") from e
    for p in written:
        print(f"wrote {p}")
    return written


if __name__ == "__main__":
    run(main)
