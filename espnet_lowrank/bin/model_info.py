"""Record what RESULTS.md compares in ``exp/<asr_tag>/model_info.json``.

Examples (the driver runs them after training and after decoding each set)::

    python -m espnet_lowrank.bin.model_info train --exp_dir exp/asr_X --plot exp/asr_X/ranks.png
    python -m espnet_lowrank.bin.model_info decode --exp_dir exp/asr_X --set test \\
        --wall_seconds 182 --jobs 2 --utt2num_samples dump/raw/test/utt2num_samples

``train`` reads ``<exp-dir>/config.yaml`` (the config ESPnet saved, with the inlined
rank maps) and ``<exp-dir>/train.log``: parameters per part, mean training seconds
per epoch, the rank table and (``--plot``, low-rank models) a PNG of the ranks.
``decode`` adds the real-time factor of one set: wall seconds x jobs / audio seconds.
"""

from __future__ import annotations

import argparse
import statistics
from pathlib import Path
from typing import List, Optional

from espnet_lowrank.bin._cli import ArgumentParser, reports_bad_input, run
from espnet_lowrank.recipe import measure
from espnet_lowrank.scoring.model_info import read_model_info, update_model_info


def get_parser() -> argparse.ArgumentParser:
    p = ArgumentParser(prog="python -m espnet_lowrank.bin.model_info", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    t = sub.add_parser("train", help="parameters, epoch time, ranks (after training)")
    t.add_argument("--exp_dir", required=True, type=Path)
    t.add_argument("--config", type=Path, help="default: <exp-dir>/config.yaml")
    t.add_argument("--train_log", type=Path, help="default: <exp-dir>/train.log")
    t.add_argument("--plot", type=Path, help="write a PNG of the ranks (low-rank models)")
    d = sub.add_parser("decode", help="real-time factor of one decoded set")
    d.add_argument("--exp_dir", required=True, type=Path)
    d.add_argument("--set", required=True, dest="set_name")
    d.add_argument("--wall_seconds", required=True, type=float)
    d.add_argument("--jobs", required=True, type=int)
    d.add_argument("--utt2num_samples", required=True, type=Path)
    d.add_argument("--fs", type=int, default=16000)
    return p


def _train(args: argparse.Namespace) -> str:
    config = args.config or args.exp_dir / "config.yaml"
    if not config.is_file():
        raise FileNotFoundError(f"training config not found: {config}")
    epochs = measure.epoch_seconds(args.train_log or args.exp_dir / "train.log")
    values = measure.parameter_counts(config)
    values["epoch_seconds"] = round(statistics.mean(epochs.values()), 2)
    table = measure.rank_table(config)
    if table:
        values["rank_table"] = table
        if args.plot and not measure.is_avsr_config(config):  # the plot reads ASR configs
            from espnet_lowrank.rank_plot import plot_config_ranks

            plot_config_ranks(config, args.plot)
    update_model_info(args.exp_dir, **values)
    return (
        f"{args.exp_dir}: {values['params_total']:,} parameters, "
        f"{values['epoch_seconds']:.1f} s per epoch over {len(epochs)} epoch(s)"
    )


def _decode(args: argparse.Namespace) -> str:
    audio = measure.audio_seconds(args.utt2num_samples, args.fs)
    rtf = measure.real_time_factor(args.wall_seconds, args.jobs, audio)
    sets = dict(read_model_info(args.exp_dir).get("rtf_sets", {}))
    sets[args.set_name] = round(rtf, 4)
    update_model_info(args.exp_dir, rtf_sets=sets, rtf=round(measure.mean_rtf(sets), 4))
    return f"{args.exp_dir}: RTF {rtf:.4f} on {args.set_name} ({audio:.0f} s of audio)"


@reports_bad_input
def main(argv: Optional[List[str]] = None) -> int:
    args = get_parser().parse_args(argv)
    message = _train(args) if args.command == "train" else _decode(args)
    print(message)
    return 0


if __name__ == "__main__":
    run(main)
