"""Prepare LRS3 data directories (audio, and mouth crops for AVSR).

Example (what ``egs2/lrs3_lowrank/avsr1/local/data.sh`` runs)::

    python -m espnet_lowrank.bin.lrs3_data --lrs3 /data/LRS3 --data_dir data \\
        --media_dir data/lrs3_media --video landmarks --landmarks_dir /data/LRS3_lm

Exit status: 0 on success (bad clips are skipped and listed in
``<data_dir>/local/skipped.txt``); 1 when a required folder is missing or a data
set would be empty; 2 for bad arguments.
"""

from __future__ import annotations

import argparse
import logging
import time
from typing import List, Optional

from espnet_lowrank.bin._cli import (
    ArgumentParser,
    reports_bad_input,
    run,
    setup_logging,
)
from espnet_lowrank.corpora.lrs3 import VIDEO_MODES, prepare_lrs3
from espnet_lowrank.video.mouth import MouthCropConfig

_SHOWN_SKIPS = 20  # skipped clips logged; all are in <data_dir>/local/skipped.txt


def _bool(value: str) -> bool:
    lowered = value.lower()
    if lowered in ("true", "1", "yes"):
        return True
    if lowered in ("false", "0", "no"):
        return False
    raise argparse.ArgumentTypeError(f"expected true or false, got {value!r}")


def get_parser() -> argparse.ArgumentParser:
    parser = ArgumentParser(
        prog="python -m espnet_lowrank.bin.lrs3_data",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--lrs3", required=True, help="LRS3 root ({pretrain,trainval,test}/)")
    parser.add_argument("--data_dir", default="data", help="output data directory root")
    parser.add_argument(
        "--media_dir",
        default="data/lrs3_media",
        help="where extracted wav/ and video/ files are written",
    )
    parser.add_argument(
        "--video",
        choices=VIDEO_MODES,
        default="none",
        help="none: audio only; precropped: the mp4s are mouth crops; "
        "landmarks: face videos + per-clip landmark files",
    )
    parser.add_argument(
        "--landmarks_dir",
        default=None,
        help="landmark root mirroring LRS3: <dir>/<subset>/<spk>/<clip>.npy or "
        "<clip>.landmarks.txt; default: next to each mp4",
    )
    parser.add_argument(
        "--use_pretrain",
        type=_bool,
        default=False,
        help="also prepare data/pretrain and add it (minus dev speakers) to train",
    )
    parser.add_argument(
        "--dev_ratio",
        type=float,
        default=0.08,
        help="share of trainval speakers in dev",
    )
    parser.add_argument(
        "--dev_speakers",
        default=None,
        help="file of dev speaker ids (overrides --dev_ratio)",
    )
    parser.add_argument("--crop_size", type=int, default=96, help="crop around the mouth")
    parser.add_argument("--out_size", type=int, default=88, help="stored centre crop")
    parser.add_argument("--fps", type=float, default=25.0, help="output frame rate")
    parser.add_argument(
        "--smooth_window",
        type=int,
        default=12,
        help="frames in the mouth-track average",
    )
    parser.add_argument("--nj", type=int, default=1, help="parallel worker processes")
    parser.add_argument(
        "--overwrite", type=_bool, default=False, help="re-extract existing media files"
    )
    return parser


@reports_bad_input
def main(argv: Optional[List[str]] = None) -> int:
    args = get_parser().parse_args(argv)
    setup_logging()
    crop = MouthCropConfig(args.crop_size, args.out_size, args.fps, args.smooth_window)
    start = time.perf_counter()
    summary = prepare_lrs3(
        args.lrs3,
        args.data_dir,
        args.media_dir,
        video=args.video,
        landmarks_dir=args.landmarks_dir,
        use_pretrain=args.use_pretrain,
        dev_ratio=args.dev_ratio,
        dev_speaker_list=args.dev_speakers,
        crop=crop,
        nj=args.nj,
        overwrite=args.overwrite,
    )
    elapsed = time.perf_counter() - start
    for key, reason in summary.skipped[:_SHOWN_SKIPS]:
        logging.warning("skipped %s: %s", key, reason)
    if len(summary.skipped) > _SHOWN_SKIPS:
        logging.warning("... %d more skipped clips", len(summary.skipped) - _SHOWN_SKIPS)
    rate = summary.clips / elapsed if elapsed > 0 else float("inf")
    print(
        f"{summary.line()} ({elapsed:.1f} s, {rate:.1f} clips/s; "
        f"skipped list: {args.data_dir}/local/skipped.txt)"
    )
    return 0


if __name__ == "__main__":
    run(main)
