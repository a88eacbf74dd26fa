"""Python steps of ``egs2/TEMPLATE/asr1/asr.sh`` (one sub-command per step).

Examples::

    python -m espnet_lowrank.bin.recipe_tools format-data data/train dump/raw/train \\
        --fs 16000 --min_sec 0.1 --max_sec 20 --drop_empty_text
    python -m espnet_lowrank.bin.recipe_tools speed-perturb data/train data/train_sp \\
        --factors "0.9 1.0 1.1"
    python -m espnet_lowrank.bin.recipe_tools token-list --token_type bpe --nbpe 30 \\
        --text dump/raw/train/text --out_dir data/token_list/bpe_unigram30
    python -m espnet_lowrank.bin.recipe_tools split dump/raw/train/wav.scp LOGDIR 4
    python -m espnet_lowrank.bin.recipe_tools text-shape STATS/train/text_shape TOKENS OUT
    python -m espnet_lowrank.bin.recipe_tools checkpoint-epoch exp/asr_x/checkpoint.pth
    python -m espnet_lowrank.bin.recipe_tools merge-decode --keys dump/raw/test/wav.scp \\
        --out_dir DECODE/test DECODE/test/logdir/output.{1,2}
    python -m espnet_lowrank.bin.recipe_tools keep-results --exp_dir exp --out_dir results
    python -m espnet_lowrank.bin.recipe_tools ablation-jobs --grid conf/ablations.yaml \
        --seeds 0 1 2 --ablation_seeds 0 1 --lane 0/2
    python -m espnet_lowrank.bin.recipe_tools demo-estimate --config conf/train_asr_full.yaml \
        --timing conf/demo_timing.yaml --exps asr_train_asr_full_raw_en_bpe300
    python -m espnet_lowrank.bin.recipe_tools progress --started 1764646800 \
        --lane_logs side_by_side.lane0.log side_by_side.lane1.log
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import List, Optional

from espnet_lowrank.bin._cli import ArgumentParser, reports_bad_input, run


def get_parser() -> argparse.ArgumentParser:
    p = ArgumentParser(
        prog="python -m espnet_lowrank.bin.recipe_tools",
        description="Data, token-list, split and merge steps of the asr.sh stage driver.",
    )
    sub = p.add_subparsers(dest="command", required=True)

    f = sub.add_parser("format-data", help="stage 2: Kaldi data dir -> dump/raw/<set>")
    f.add_argument("src", help="Kaldi data dir (wav.scp, text, utt2spk)")
    f.add_argument("dst", help="output dir, e.g. dump/raw/train")
    f.add_argument("--fs", type=int, default=16000, help="target sampling rate (Hz)")
    f.add_argument("--min_sec", type=float, default=None, help="drop shorter utterances")
    f.add_argument("--max_sec", type=float, default=None, help="drop longer utterances")
    f.add_argument("--drop_empty_text", action="store_true")

    sp = sub.add_parser(
        "speed-perturb",
        help="stage 2: data/<train> -> data/<train>_sp (sox-like speed perturbation)",
        description="Without --keys: write missing audio and the tables of DST. With --keys: "
        "only the audio of those utterances (one of --nj jobs). With --check: only "
        "validate --factors (and SRC when given).",
    )
    sp.add_argument("src", nargs="?", help="Kaldi data dir, e.g. data/train")
    sp.add_argument("dst", nargs="?", help="output data dir, e.g. data/train_sp")
    sp.add_argument("--factors", required=True, help='speed factors, e.g. "0.9 1.0 1.1"')
    sp.add_argument("--keys", help="table whose first column lists the utterances of this job")
    sp.add_argument("--audio_format", default="flac", choices=("flac", "wav"))
    sp.add_argument("--check", action="store_true", help="only validate --factors (and SRC)")
    sp.add_argument("--no_progress", action="store_true", help="no progress bar")

    t = sub.add_parser("token-list", help="stage 3: tokens.txt (+ bpe.model)")
    t.add_argument("--token_type", choices=("bpe", "char", "word"), required=True)
    t.add_argument("--text", required=True, help="Kaldi text table to learn tokens from")
    t.add_argument("--out_dir", required=True, help="writes tokens.txt (and bpe.model)")
    t.add_argument("--nbpe", type=int, default=None, help="SentencePiece vocabulary size")
    t.add_argument("--bpemode", default="unigram", choices=("unigram", "bpe", "char", "word"))

    s = sub.add_parser("split", help="split a key table into N parts (keys.J.scp)")
    s.add_argument("table")
    s.add_argument("out_dir")
    s.add_argument("n", type=int)
    s.add_argument("--prefix", default="keys")

    h = sub.add_parser("text-shape", help="append the vocabulary size to a text_shape file")
    h.add_argument("text_shape")
    h.add_argument("token_list")
    h.add_argument("out")

    c = sub.add_parser("checkpoint-epoch", help="finished epochs in a checkpoint.pth")
    c.add_argument("checkpoint")

    m = sub.add_parser("merge-decode", help="stage 9: merge {n}best_recog of split jobs")
    m.add_argument("job_dirs", nargs="+")
    m.add_argument("--out_dir", required=True)
    m.add_argument("--keys", required=True, help="table whose keys were decoded")

    k = sub.add_parser(
        "keep-results",
        help="copy the small text artefacts of finished experiments to results/ (no .pth)",
    )
    k.add_argument("--exp_dir", default="exp")
    k.add_argument("--out_dir", default="results")
    k.add_argument("names", nargs="*", help="experiment dir names (default: all)")

    a = sub.add_parser(
        "ablation-jobs",
        help="print the ablation grid's trainings, one 'config seed' line each, seed by seed",
    )
    a.add_argument("--grid", required=True, help="grid YAML (e.g. conf/ablations.yaml)")
    a.add_argument("--seeds", type=int, nargs="+", default=[0], help="seeds of baseline rows")
    a.add_argument("--ablation_seeds", type=int, nargs="+", default=[0, 1],
                   help="seeds of the other rows")  # fmt: skip
    a.add_argument(
        "--lane", default="0/1",
        help="K/N: every N-th job still to do from the K-th (N trainings side by side)",
    )  # fmt: skip
    a.add_argument("--done_dirs", nargs="*", default=["exp", "results"],
                   help="a (row, seed) scored in one of these is done and left out")  # fmt: skip
    a.add_argument("--test_sets", nargs="+", default=["test", "test_unseen"],
                   help="a job is done when every one of these is scored")  # fmt: skip

    e = sub.add_parser("demo-estimate", help="time a probe step; print the run's expected time")
    e.add_argument("--config", required=True, help="the recipe's full-rank training config")
    e.add_argument("--timing", required=True, help="reference phases (conf/demo_timing.yaml)")
    e.add_argument("--exps", nargs="*", default=[], help="experiments the run makes")
    e.add_argument("--recipe_dir", default=".")

    g = sub.add_parser("progress", help="one status line of the side-by-side lanes")
    g.add_argument("--lane_logs", nargs="+", required=True)
    g.add_argument("--started", type=float, required=True, help="start time (seconds, epoch)")
    g.add_argument("--recipe_dir", default=".")
    return p


def _ablation_jobs(args: argparse.Namespace) -> str:
    from espnet_lowrank.scoring.ablations import collect, jobs, load_grid

    k, sep, n = args.lane.partition("/")
    if not (sep and k.isdigit() and n.isdigit() and 0 <= int(k) < int(n)):
        raise ValueError(f"--lane must be K/N with 0 <= K < N, not {args.lane!r}")
    grid = load_grid(args.grid)
    every = jobs(grid, args.seeds, args.ablation_seeds)
    done = collect(grid, args.done_dirs, args.test_sets)
    todo = [(row, seed) for row, seed in every if seed not in done[row.name]]
    mine = todo[int(k) :: int(n)]
    for row, seed in mine:
        print(f"{row.config} {seed}")  # the driver reads the jobs from stdout
    return (
        f"lane {args.lane}: {len(mine)} training(s); the grid has {len(every)}, "
        f"{len(every) - len(todo)} of them done"
    )


def _run(args: argparse.Namespace) -> str:
    if args.command == "format-data":
        from espnet_lowrank.recipe.format_data import format_data_dir

        report = format_data_dir(
            args.src, args.dst, args.fs, args.min_sec, args.max_sec, args.drop_empty_text
        )
        return report.summary(args.src)
    if args.command == "token-list":
        from espnet_lowrank.recipe.token_list import build_token_list, read_text_column, train_bpe

        texts = read_text_column(args.text)
        out = Path(args.out_dir)
        bpemodel = None
        if args.token_type == "bpe":
            if args.nbpe is None:
                raise ValueError("--token_type bpe needs --nbpe")
            bpemodel = train_bpe(texts, out / "bpe", args.nbpe, args.bpemode)
        tokens = build_token_list(texts, args.token_type, out / "tokens.txt", bpemodel)
        return f"wrote {out / 'tokens.txt'} ({len(tokens)} tokens)"
    if args.command == "split":
        from espnet_lowrank.recipe.split import split_table

        n = split_table(args.table, args.out_dir, args.n, args.prefix)
        print(n)  # the shell reads the effective job count from stdout
        return f"split {args.table} into {n} part(s) in {args.out_dir}"
    if args.command == "text-shape":
        from espnet_lowrank.recipe.shapes import append_vocab_size

        append_vocab_size(args.text_shape, args.token_list, args.out)
        return f"wrote {args.out}"
    if args.command == "speed-perturb":
        return _speed_perturb(args)
    if args.command == "checkpoint-epoch":
        from espnet_lowrank.recipe.resume import checkpoint_epoch

        epoch = checkpoint_epoch(args.checkpoint)
        print(epoch)
        return f"{args.checkpoint}: {epoch} epoch(s) finished"
    if args.command == "ablation-jobs":
        return _ablation_jobs(args)
    if args.command in ("demo-estimate", "progress"):
        from espnet_lowrank.recipe import progress

        if args.command == "progress":
            print(progress.status_line(args.lane_logs, args.recipe_dir, args.started), flush=True)
            return ""
        ref = progress.load_reference(args.timing)
        todo = progress.remaining_phases(args.recipe_dir, args.exps)
        step_ms = progress.probe_step_ms(args.config) if todo else ref.probe_step_ms
        print(progress.estimate(ref, step_ms, todo), flush=True)
        return f"probe step {step_ms:.0f} ms"
    if args.command == "keep-results":
        from espnet_lowrank.recipe.keep_results import keep_results

        written = keep_results(args.exp_dir, args.out_dir, args.names)
        return f"kept {len(written)} new or changed file(s) under {args.out_dir}"
    from espnet_lowrank.recipe.merge_decode import merge_decode_dirs

    names = merge_decode_dirs(args.job_dirs, args.out_dir, args.keys)
    return f"merged {', '.join(names)} of {len(args.job_dirs)} job(s) into {args.out_dir}"


def _speed_perturb(args: argparse.Namespace) -> str:
    from espnet_lowrank.recipe import speed_perturb as sp

    factors = sp.parse_factors(args.factors)
    if args.check:
        if args.src is not None:
            sp.check_source(args.src)
        return f"speed perturbation factors {' '.join(f.text for f in factors)}: ok"
    if args.src is None or args.dst is None:
        raise ValueError("speed-perturb needs SRC and DST data dirs (or --check)")
    progress = not args.no_progress
    if args.keys is not None:
        keys = [line.split(maxsplit=1)[0] for line in Path(args.keys).read_text().splitlines()
                if line.strip()]  # fmt: skip
        written, reused = sp.write_perturbed_audio(
            args.src, args.dst, factors, keys, args.audio_format, progress
        )
        return f"{args.keys}: {written} audio file(s) written, {reused} already there"
    report = sp.speed_perturb_data_dir(args.src, args.dst, factors, args.audio_format, progress)
    return report.summary(args.src, args.dst)


@reports_bad_input
def main(argv: Optional[List[str]] = None) -> int:
    args = get_parser().parse_args(argv)
    message = _run(args)
    if message:
        print(message, file=sys.stderr)
    return 0


if __name__ == "__main__":
    run(main)
