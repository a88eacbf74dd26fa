"""AVSR data tools for the recipe driver (``asr.sh --task avsr``).

``format-video SRC DST``: after stage 2 formatted ``SRC`` (a Kaldi dir with
``video.scp``) into ``DST``, write ``DST/video.scp`` and ``DST/video_shape`` for the
utterances kept there (see :mod:`espnet_lowrank.video.format_data`).

``compare --model LABEL=EXP_DIR ... --inference_tag TAG --test_sets SET ... --out MD``:
the table of :mod:`espnet_lowrank.avsr.compare` (parameters, seconds per epoch, WER),
written into ``MD`` between marker lines (replacing an earlier block, else before
its first ``## `` section; the rest of the file is kept). A label given with several
``--model`` options is one model trained with several seeds (mean ± std over them).
``--plot PNG`` also draws WER against SNR for the SNR sweep sets among the test sets
(``test_snr_clean``, ``test_snr_10``, ...) and links it from the block; ``--pair A:B``
(labels) adds sc_stats' matched-pair test of model A against B on every test set, seed
by seed.

Exit status 2 with one message naming the file for bad data or bad arguments.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import List, Optional

from espnet_lowrank.bin._cli import ArgumentParser, reports_bad_input, run


def get_parser() -> argparse.ArgumentParser:
    p = ArgumentParser(prog="python -m espnet_lowrank.bin.avsr_data", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    sub = p.add_subparsers(dest="command", required=True)
    f = sub.add_parser("format-video", help="stage 2: video.scp next to the formatted wav.scp")
    f.add_argument("src", help="Kaldi data dir with video.scp")
    f.add_argument("dst", help="formatted dir (dump/raw/<set>) with wav.scp, utt2num_samples")
    f.add_argument("--fs", type=int, default=16000, help="audio sample rate")
    f.add_argument("--fps", type=int, default=25, help="video frame rate")
    f.add_argument("--max_mismatch", type=int, default=3,
                   help="video frames allowed to differ from the audio duration")  # fmt: skip
    c = sub.add_parser("compare", help="RESULTS.md table of several AV models")
    c.add_argument("--model", action="append", required=True, metavar="LABEL=EXP_DIR",
                   help="a model's exp dir; the same LABEL again: another seed of it")  # fmt: skip
    c.add_argument("--inference_tag", required=True, help="decode_... folder in each exp dir")
    c.add_argument("--test_sets", nargs="+", required=True)
    c.add_argument("--reference", default="", help="label ratios refer to (default: first)")
    c.add_argument("--title", default="Audio-visual mini corpus")
    c.add_argument("--out", required=True, help="markdown file to write the table into")
    c.add_argument("--plot", default="", help="PNG of WER against SNR (the sweep sets)")
    c.add_argument("--pair", action="append", default=[], metavar="A:B",
                   help="significance of model A against model B (labels)")  # fmt: skip
    return p


BEGIN, END = "<!-- avsr compare: begin -->", "<!-- avsr compare: end -->"


def _compare(args: argparse.Namespace) -> str:
    from pathlib import Path

    from espnet_lowrank.atomic import atomic_write_text
    from espnet_lowrank.avsr.compare import collect, plot_wer_vs_snr, render, significance

    models: dict = {}  # label -> exp dirs (seeds), in the order labels first appear
    for spec in args.model:
        label, sep, exp = spec.partition("=")
        if not sep or not label or not exp:
            raise ValueError(f"--model must be LABEL=EXP_DIR, got {spec!r}")
        models.setdefault(label, []).append(Path(exp))
    pairs = []
    for spec in args.pair:
        a, sep, b = spec.partition(":")
        if not sep or not a or not b:
            raise ValueError(f"--pair must be A:B (two --model labels), got {spec!r}")
        pairs.append((a, b))
    rows = collect(list(models.items()), args.inference_tag, args.test_sets)
    table = render(rows, args.test_sets, args.reference)
    if pairs:
        table += (
            "\nsc_stats' matched-pair test (MAPSSWE), run by run (the same seed, or the"
            " single run of b): in how many runs a is better than b, not different at"
            " p = 0.05 (n.s.) or worse.\n\n"
            + significance(rows, pairs, args.inference_tag, args.test_sets)
        )
    out = Path(args.out)
    figure = ""
    if args.plot:
        png = plot_wer_vs_snr(rows, args.test_sets, args.plot)
        link = os.path.relpath(png.resolve(), out.resolve().parent)
        figure = f"![WER against SNR, one line per model]({link})\n\n"
    block = (f"{BEGIN}\n## {args.title}\n\nDecoding: `{args.inference_tag}`; WER in %, "
             f"mean ± std over the seeds' runs; s/epoch: mean training time per epoch.\n\n"
             f"{table}\n{figure}{END}\n")  # fmt: skip
    text = out.read_text(encoding="utf-8") if out.is_file() else ""
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        tail = rest.split(END, 1)[1].lstrip("\n")
        text = head + block + ("\n" + tail if tail else "")
    elif "\n## " in text:  # before the per-model sections of stage 11's RESULTS.md
        head, rest = text.split("\n## ", 1)
        text = f"{head}\n{block}\n## {rest}"
    else:
        text = (text.rstrip("\n") + "\n\n" if text else "") + block
    atomic_write_text(out, text)
    print(table, end="")
    return f"wrote the comparison of {len(rows)} model(s) to {out}"


@reports_bad_input
def main(argv: Optional[List[str]] = None) -> int:
    args = get_parser().parse_args(argv)
    if args.command == "compare":
        message = _compare(args)
    else:
        from espnet_lowrank.video.format_data import format_video_scp

        report = format_video_scp(args.src, args.dst, args.fs, args.fps, args.max_mismatch)
        message = report.summary(args.src)
    print(message, file=sys.stderr)
    return 0


if __name__ == "__main__":
    run(main)
