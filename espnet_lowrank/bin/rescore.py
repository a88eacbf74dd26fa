"""Rescore ESPnet N-best lists with an (adapted) LM; tune the weights on dev.

    python -m espnet_lowrank.bin.rescore \\
        --lm_train_config exp/lm_lora/config.yaml --lm_file exp/lm_lora/valid.loss.ave.pth \\
        --dev_nbest_dir exp/asr/decode_dev --dev_ref data/dev/text \\
        --nbest_dir exp/asr/decode_test --ref data/test/text --out_dir exp/rescore/test

``total = asr_score + lm_weight * lm_logprob + length_bonus * length`` (see
``espnet_lowrank.rescoring.combine``). With ``--dev_nbest_dir``/``--dev_ref`` the
two weights are grid-searched on dev (``<out_dir>/rescore_weights.yaml``);
otherwise ``--weights`` (a YAML from an earlier run) or
``--lm_weight``/``--length_bonus`` are used. Writes ``<out_dir>/1best_recog/{text,
score[,token,token_int]}`` (score = combined total) so ESPnet-style scoring works
unchanged, and ``<out_dir>/rescore_result.yaml`` (WERs incl. oracle when
``--ref`` is given).
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path
from typing import Optional, Tuple

from espnet_lowrank.bin._cli import ArgumentParser, run, setup_logging
from espnet_lowrank.kaldi_dir import read_table
from espnet_lowrank.rescoring.lm_scorer import LENGTH_UNITS, LMScorer, score_nbest
from espnet_lowrank.rescoring.nbest import read_nbest
from espnet_lowrank.rescoring.pipeline import WeightSourceError, resolve_weights, write_rescored


def add_lm_arguments(parser: argparse.ArgumentParser) -> None:
    """Options shared by the rescoring tools: LM, N-best, weights."""
    parser.add_argument("--lm_train_config", required=True, help="LM config.yaml")
    parser.add_argument("--lm_file", required=True, help="LM weights (.pth)")
    parser.add_argument(
        "--nbest_dir", nargs="+", required=True, help="decode dir(s) with {n}best_recog/"
    )
    parser.add_argument("--nbest", type=int, default=None, help="use at most N hypotheses")
    parser.add_argument(
        "--dev_nbest_dir", nargs="+", default=None, help="dev decode dir(s) for tuning"
    )
    parser.add_argument("--dev_ref", default=None, help="dev reference text (Kaldi text)")
    parser.add_argument("--weights", default=None, help="YAML with lm_weight, length_bonus")
    parser.add_argument("--lm_weight", type=float, default=None)
    parser.add_argument("--length_bonus", type=float, default=None)
    parser.add_argument("--lm_weight_grid", default="0:1:0.1", help="start:stop:step or a,b,c")
    parser.add_argument("--length_bonus_grid", default="-1:2:0.5", help="start:stop:step or a,b,c")
    parser.add_argument("--length_unit", choices=LENGTH_UNITS, default="word")
    parser.add_argument("--batch_size", type=int, default=64)
    parser.add_argument("--device", default="cpu")


def weights_from_args(
    args: argparse.Namespace, scorer: LMScorer, out_dir: Path
) -> Tuple[float, float, Optional[float]]:
    """:func:`~espnet_lowrank.rescoring.pipeline.resolve_weights` with the options of
    :func:`add_lm_arguments`; a bad combination of them exits with its message."""
    try:
        return resolve_weights(
            scorer,
            out_dir,
            dev_nbest_dir=args.dev_nbest_dir,
            dev_ref=args.dev_ref,
            weights=args.weights,
            lm_weight=args.lm_weight,
            length_bonus=args.length_bonus,
            nbest=args.nbest,
            length_unit=args.length_unit,
            lm_weight_grid=args.lm_weight_grid,
            length_bonus_grid=args.length_bonus_grid,
        )
    except WeightSourceError as e:  # a bad combination of options: a usage error
        raise SystemExit(str(e)) from None


def get_parser() -> argparse.ArgumentParser:
    parser = ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add_lm_arguments(parser)
    parser.add_argument("--ref", default=None, help="reference text of --nbest_dir (for WERs)")
    parser.add_argument("--out_dir", required=True)
    return parser


def main(argv=None) -> dict:
    args = get_parser().parse_args(argv)
    setup_logging()
    out_dir = Path(args.out_dir)
    scorer = LMScorer.from_files(args.lm_train_config, args.lm_file, args.device, args.batch_size)
    out_dir.mkdir(parents=True, exist_ok=True)
    lw, lb, dev_wer = weights_from_args(args, scorer, out_dir)
    nbest = read_nbest(args.nbest_dir, args.nbest)
    scored = score_nbest(nbest, scorer, args.length_unit)
    extra = dict(length_unit=args.length_unit)
    if dev_wer is not None:
        extra["dev_wer"] = dev_wer
    refs = read_table(args.ref) if args.ref else None
    result = write_rescored(nbest, scored, lw, lb, out_dir, refs, **extra)
    logging.info(f"rescoring result: {result}")
    return result


if __name__ == "__main__":
    run(main)
