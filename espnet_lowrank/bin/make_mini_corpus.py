"""Make the embedded speech corpus of egs2/mini_lowrank (espeak-ng + fortunes + WordNet).

``--corpus v2`` makes the multi-engine corpus instead (espeak-ng, Festival, Flite,
Piper; rooms and noise; Flite and Piper only in test_unseen).

Example::

    python -m espnet_lowrank.bin.make_mini_corpus --out_dir data \\
        --wav_dir downloads/wav --seed 1 --nj 2          # ~3 h of train audio
    python -m espnet_lowrank.bin.make_mini_corpus --out_dir data \\
        --wav_dir downloads/wav --smoke                  # seconds, for CI
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from typing import List, Optional

from espnet_lowrank.bin._cli import ArgumentParser, run, setup_logging
from espnet_lowrank.corpora.mini.voices import TRAIN_ACCENTS, UNSEEN_ACCENTS


def get_parser() -> argparse.ArgumentParser:
    p = ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out_dir", required=True, help="data folder (Kaldi-style dirs)")
    p.add_argument("--wav_dir", required=True, help="folder for the WAV files")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument(
        "--corpus",
        choices=("v1", "v2"),
        default="v1",
        help="v1: espeak-ng voices (default); v2: several engines, rooms and noise, a "
        "held-out engine in test_unseen (corpora/mini/multi_engine.py)",
    )
    p.add_argument(
        "--unseen_sentences", type=int, default=None, help="v2: test_unseen sentences (700)"
    )
    p.add_argument("--nj", type=int, default=1, help="parallel synthesis processes")
    p.add_argument("--smoke", action="store_true", help="tiny corpus: 60 train, 20 per test set")
    p.add_argument("--vocab_size", type=int, default=None, help="default 2000 (v2: 3000)")
    p.add_argument("--train_hours", type=float, default=None, help="estimated; default 3.0")
    p.add_argument("--train_utts", type=int, default=None, help="exact count (overrides hours)")
    p.add_argument("--test_sentences", type=int, default=None, help="default 700")
    p.add_argument("--dev_sentences", type=int, default=None, help="default 300")
    p.add_argument("--min_words", type=int, default=None, help="default 3")
    p.add_argument("--max_words", type=int, default=None, help="default 16")
    p.add_argument(
        "--snr_range",
        type=float,
        nargs=2,
        default=None,
        metavar=("LOW", "HIGH"),
        help="dB, default 15 35",
    )
    p.add_argument("--num_train_speakers", type=int, default=None, help="default 60")
    p.add_argument("--num_unseen_speakers", type=int, default=None, help="default 24")
    p.add_argument(
        "--train_accents",
        nargs="+",
        default=None,
        help=f"espeak-ng voices seen in training; default {' '.join(TRAIN_ACCENTS)}",
    )
    p.add_argument(
        "--unseen_accents",
        nargs="+",
        default=None,
        help=f"held-out voices for test_unseen; default {' '.join(UNSEEN_ACCENTS)}",
    )
    p.add_argument(
        "--lm_closed_vocab",
        action="store_true",
        help="keep only in-vocabulary sentences in the LM texts",
    )
    p.add_argument(
        "--no_phone_times",
        action="store_true",
        help="skip data/<set>/phones.ctm (phoneme times from libespeak-ng)",
    )
    p.add_argument("--fortune_dir", default=None, help="/usr/share/games/fortunes")
    p.add_argument(
        "--general_text",
        choices=("wordnet", "fortunes"),
        default=None,
        help="general-domain LM text (data/lm_general): WordNet usage examples (default) "
        "or the fortune topics that are not spoken",
    )
    p.add_argument(
        "--general_sentences",
        type=int,
        default=None,
        help="general-domain sentences kept, drawn with the seed; 0: all (default 20000)",
    )
    p.add_argument("--wordnet_dir", default=None, help="/usr/share/wordnet (wordnet-base)")
    return p


def _build_v2(args: argparse.Namespace, cfg) -> dict:
    """Build the multi-engine corpus with the parsed options (v1-only options are errors)."""
    from espnet_lowrank.corpora.mini.multi_engine import (
        V2_VOCAB_SIZE,
        MultiEngineConfig,
        build_multi_engine_corpus,
    )

    v1_only = ("train_accents", "unseen_accents", "num_train_speakers", "num_unseen_speakers")
    given = [f"--{k.replace('_', '-')}" for k in v1_only if getattr(args, k) is not None]
    if given or args.no_phone_times:
        raise ValueError(f"{' '.join(given) or '--no_phone_times'}: options of --corpus v1")
    spec = MultiEngineConfig.smoke() if args.smoke else MultiEngineConfig()
    if args.unseen_sentences is not None:
        spec = replace(spec, unseen_sentences=args.unseen_sentences)
    if args.snr_range is not None:
        spec = replace(spec, acoustics=replace(spec.acoustics, snr_range=tuple(args.snr_range)))
    cfg = replace(cfg, phone_times=False)
    if args.vocab_size is None:
        cfg = replace(cfg, vocab_size=V2_VOCAB_SIZE)
    return build_multi_engine_corpus(cfg, spec, args.out_dir, args.wav_dir, nj=args.nj)


def main(argv: Optional[List[str]] = None) -> int:
    from espnet_lowrank.corpora.mini.corpus import CorpusConfig, build_corpus

    args = get_parser().parse_args(argv)
    setup_logging()
    cfg = CorpusConfig.smoke(args.seed) if args.smoke else CorpusConfig(seed=args.seed)
    fields = {
        "vocab_size": args.vocab_size,
        "train_hours": args.train_hours,
        "train_utts": args.train_utts,
        "test_sentences": args.test_sentences,
        "dev_sentences": args.dev_sentences,
        "min_words": args.min_words,
        "max_words": args.max_words,
        "fortune_dir": args.fortune_dir,
        "general_text": args.general_text,
        "wordnet_dir": args.wordnet_dir,
    }
    if args.train_hours is not None and args.train_utts is None:
        cfg = replace(cfg, train_utts=None)  # hours replace the smoke count
    cfg = replace(cfg, **{k: v for k, v in fields.items() if v is not None})
    if args.general_sentences is not None:
        if args.general_sentences < 0:
            raise SystemExit(f"--general_sentences must be >= 0, got {args.general_sentences}")
        cfg = replace(cfg, general_sentences=args.general_sentences or None)
    if args.snr_range is not None:
        cfg = replace(cfg, snr_low=args.snr_range[0], snr_high=args.snr_range[1])
    if args.no_phone_times:
        cfg = replace(cfg, phone_times=False)
    if args.lm_closed_vocab:
        cfg = replace(cfg, lm_closed_vocab=True)
    voice_fields = {
        "num_train_speakers": args.num_train_speakers,
        "num_unseen_speakers": args.num_unseen_speakers,
        "train_accents": tuple(args.train_accents) if args.train_accents else None,
        "unseen_accents": tuple(args.unseen_accents) if args.unseen_accents else None,
    }
    cfg = replace(
        cfg,
        voices=replace(cfg.voices, **{k: v for k, v in voice_fields.items() if v is not None}),
    )
    if args.nj < 1:
        raise SystemExit(f"--nj must be >= 1, got {args.nj}")
    try:
        if args.corpus == "v2":
            info = _build_v2(args, cfg)
        else:
            if args.unseen_sentences is not None:
                raise ValueError("--unseen_sentences is an option of --corpus v2")
            info = build_corpus(cfg, args.out_dir, args.wav_dir, nj=args.nj)
    except (ValueError, FileNotFoundError) as err:
        raise SystemExit(f"make_mini_corpus: error: {err}") from err
    for split, s in info["splits"].items():
        print(
            f"{split}: {s['utterances']} utts, {s['sentences']} sentences, "
            f"{s['words']} words, {s['hours']:.3f} h, {s['speakers']} speakers",
            file=sys.stderr,
        )
    print(f"vocabulary: {info['vocabulary_size']} words", file=sys.stderr)
    return 0


if __name__ == "__main__":
    run(main)
