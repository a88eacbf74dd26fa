"""Make the audio-visual mini corpus: GRID-style commands, noisy espeak-ng speech, mouth video.

    python -m espnet_lowrank.bin.make_mini_av_corpus --out_dir data \\
        --wav_dir downloads/wav --video_dir downloads/video --nj 2   # ~1.2 h, 2-3 minutes
    python -m espnet_lowrank.bin.make_mini_av_corpus --out_dir data \\
        --wav_dir downloads/wav --video_dir downloads/video --smoke  # seconds, for CI

Sentences follow a closed grammar (``command colour preposition letter digit adverb``,
51 words, see ``espnet_lowrank/corpora/mini_av/grid.py``). Writes Kaldi-style
``data/{train,dev,test,test_unseen}`` with ``wav.scp``, ``video.scp``, ``text``,
``phones.ctm`` and ``utt2num_frames``; videos are ``(T, 88, 88)`` uint8 ``.npy`` at 25 fps;
and the SNR sweep ``data/test_snr_{clean,10,5,0,m5}``: the test utterances at one SNR each.
``--add_snr_sweep`` adds only the sweep to a corpus made before it existed.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from typing import List, Optional, Tuple

from espnet_lowrank.bin._cli import ArgumentParser, run, setup_logging


def get_parser() -> argparse.ArgumentParser:
    p = ArgumentParser(prog="python -m espnet_lowrank.bin.make_mini_av_corpus",
                                description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    p.add_argument("--out_dir", required=True, help="data folder (Kaldi-style dirs)")
    p.add_argument("--wav_dir", required=True, help="folder for the WAV files")
    p.add_argument("--video_dir", required=True, help="folder for the .npy mouth videos")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--nj", type=int, default=1, help="parallel processes")
    p.add_argument("--smoke", action="store_true", help="tiny corpus: 24 train, 8 per test set")
    p.add_argument("--train_utts", type=int, default=None, help="default 1800 (smoke 24)")
    p.add_argument("--test_sentences", type=int, default=None, help="default 400 (smoke 8)")
    p.add_argument("--dev_sentences", type=int, default=None, help="default 100 (smoke 8)")
    p.add_argument("--snr_range", type=float, nargs=2, metavar=("LOW", "HIGH"), default=None,
                   help="audio SNR in dB (default -5 5)")  # fmt: skip
    p.add_argument("--coarticulation_ms", type=float, default=None, help="default 25")
    p.add_argument("--head_motion_px", type=float, default=None, help="default 2")
    p.add_argument(
        "--snr_sweep",
        nargs="*",
        metavar="SNR",
        default=None,
        help="the test sentences again at each SNR in dB, 'clean' for no noise "
        "(default: clean 10 5 0 -5; smoke: clean -5; none: no sweep)",
    )
    p.add_argument("--add_snr_sweep", action="store_true",
                   help="only add the SNR sweep sets to the corpus already in --out_dir "
                        "(made with the same settings)")  # fmt: skip
    return p


def parse_snr_sweep(values: List[str]) -> Tuple[Optional[float], ...]:
    """``["clean", "10", "-5"]`` -> ``(None, 10.0, -5.0)``; a bad value is a ``SystemExit``."""
    out: List[Optional[float]] = []
    for v in values:
        if v == "clean":
            out.append(None)
            continue
        try:
            out.append(float(v))
        except ValueError:
            raise SystemExit(f"--snr_sweep: {v!r} is neither 'clean' nor an SNR in dB") from None
    return tuple(out)


def main(argv: Optional[List[str]] = None) -> int:
    from espnet_lowrank.corpora.mini_av.corpus import (
        AVCorpusConfig,
        add_snr_sweep,
        build_av_corpus,
    )

    args = get_parser().parse_args(argv)
    setup_logging()
    if args.nj < 1:
        raise SystemExit(f"--nj must be >= 1, got {args.nj}")
    cfg = AVCorpusConfig.smoke(args.seed) if args.smoke else AVCorpusConfig(seed=args.seed)
    fields = {
        "train_utts": args.train_utts,
        "test_sentences": args.test_sentences,
        "dev_sentences": args.dev_sentences,
        "coarticulation_ms": args.coarticulation_ms,
        "head_motion_px": args.head_motion_px,
    }
    cfg = replace(cfg, **{k: v for k, v in fields.items() if v is not None})
    if args.snr_range is not None:
        cfg = replace(cfg, snr_low=args.snr_range[0], snr_high=args.snr_range[1])
    if args.snr_sweep is not None:
        cfg = replace(cfg, snr_sweep=parse_snr_sweep(args.snr_sweep))
    try:
        if args.add_snr_sweep:
            info = add_snr_sweep(cfg, args.out_dir, args.wav_dir, nj=args.nj)
        else:
            info = build_av_corpus(cfg, args.out_dir, args.wav_dir, args.video_dir, nj=args.nj)
    except (ValueError, FileNotFoundError, KeyError) as err:
        raise SystemExit(f"make_mini_av_corpus: error: {err}") from err
    for split, s in info["splits"].items():
        print(f"{split}: {s['utterances']} utts, {s['words']} words, {s['hours']:.3f} h, "
              f"{s['video_frames']} frames, {s['speakers']} speakers", file=sys.stderr)  # fmt: skip
    return 0


if __name__ == "__main__":
    run(main)
