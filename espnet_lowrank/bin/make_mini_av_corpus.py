"""Make the audio-visual mini corpus: noisy espeak-ng speech + synthetic mouth video.

    python -m espnet_lowrank.bin.make_mini_av_corpus --out-dir data \\
        --wav-dir downloads/wav --video-dir downloads/video          # ~0.9 h, a few minutes
    python -m espnet_lowrank.bin.make_mini_av_corpus --out-dir data \\
        --wav-dir downloads/wav --video-dir downloads/video --smoke  # seconds, for CI

Writes the mini corpus' tables (see make_mini_corpus) plus ``video.scp`` and
``utt2num_frames`` per split; videos are ``(T, 88, 88)`` uint8 ``.npy`` at 25 fps.
"""

from __future__ import annotations

import argparse
import logging
import sys
from dataclasses import replace
from typing import List, Optional


def get_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m espnet_lowrank.bin.make_mini_av_corpus",
                                description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    p.add_argument("--out-dir", required=True, help="data folder (Kaldi-style dirs)")
    p.add_argument("--wav-dir", required=True, help="folder for the WAV files")
    p.add_argument("--video-dir", required=True, help="folder for the .npy mouth videos")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--nj", type=int, default=1, help="parallel processes")
    p.add_argument("--smoke", action="store_true", help="tiny corpus: 24 train, 8 per test set")
    p.add_argument("--train-hours", type=float, default=None, help="estimated; default 0.6")
    p.add_argument("--train-utts", type=int, default=None, help="exact count (overrides hours)")
    p.add_argument("--test-sentences", type=int, default=None, help="default 150")
    p.add_argument("--dev-sentences", type=int, default=None, help="default 100")
    p.add_argument("--vocab-size", type=int, default=None, help="default 1000")
    p.add_argument("--snr-range", type=float, nargs=2, metavar=("LOW", "HIGH"), default=None,
                   help="audio SNR in dB (default -5 5; audio-only corpus: 15 35)")  # fmt: skip
    p.add_argument("--coarticulation-ms", type=float, default=None, help="default 25")
    p.add_argument("--head-motion-px", type=float, default=None, help="default 2")
    p.add_argument("--fortune-dir", default=None, help="/usr/share/games/fortunes")
    return p


def main(argv: Optional[List[str]] = None) -> int:
    from espnet_lowrank.corpora.mini_av.corpus import AVCorpusConfig, build_av_corpus

    args = get_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(name)s %(levelname)s: %(message)s")  # fmt: skip
    if args.nj < 1:
        raise SystemExit(f"--nj must be >= 1, got {args.nj}")
    cfg = AVCorpusConfig.smoke(args.seed) if args.smoke else AVCorpusConfig()
    audio = replace(cfg.audio, seed=args.seed)
    if args.train_hours is not None and args.train_utts is None:
        audio = replace(audio, train_utts=None)  # hours replace the smoke count
    fields = {
        "train_hours": args.train_hours,
        "train_utts": args.train_utts,
        "test_sentences": args.test_sentences,
        "dev_sentences": args.dev_sentences,
        "vocab_size": args.vocab_size,
        "fortune_dir": args.fortune_dir,
    }
    audio = replace(audio, **{k: v for k, v in fields.items() if v is not None})
    if args.snr_range is not None:
        audio = replace(audio, snr_low=args.snr_range[0], snr_high=args.snr_range[1])
    video = {"coarticulation_ms": args.coarticulation_ms, "head_motion_px": args.head_motion_px}
    cfg = replace(cfg, audio=audio, **{k: v for k, v in video.items() if v is not None})
    try:
        info = build_av_corpus(cfg, args.out_dir, args.wav_dir, args.video_dir, nj=args.nj)
    except (ValueError, FileNotFoundError, KeyError) as err:
        raise SystemExit(f"make_mini_av_corpus: error: {err}") from err
    for split, s in info["splits"].items():
        print(f"{split}: {s['utterances']} utts, {s['hours']:.3f} h, {s['video_frames']} "
              f"frames, {s['speakers']} speakers", file=sys.stderr)  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
