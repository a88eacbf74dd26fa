"""Steps of the driver's LoRA rescoring stages (asr.sh stages 15-19).

    # stages 15/16: LM text + shape files (token counts with the LM's tokenizer)
    python -m espnet_lowrank.bin.lora_rescoring lm-data --text data/lm_general/text \\
        --valid_text dump/raw/dev/text --out_dir exp/lm_general_x/data \\
        --token_type bpe --token_list data/token_list/bpe_unigram300/tokens.txt \\
        --bpemodel data/token_list/bpe_unigram300/bpe.model
    # stage 17: tune lambda/beta on dev, rescore dev and test sets, per LM system
    python -m espnet_lowrank.bin.lora_rescoring rescore \\
        --system base=exp/lm_general_x/config.yaml,exp/lm_general_x/valid.loss.ave.pth \\
        --system vanilla=exp/lm_lora_vanilla_on_x/config.yaml,exp/.../valid.loss.ave.pth \\
        --nbest_root exp/asr_y/rescoring/nbest10 --ref_root dump/raw --dev_set dev \\
        --test_sets test test_unseen --out_root exp/asr_y/rescoring --nbest 10
    # stage 18: NPRR of the same systems with their tuned weights
    python -m espnet_lowrank.bin.lora_rescoring nprr --system ... --nbest_root ... \\
        --ref_root dump/raw --test_sets test --out_root exp/asr_y/rescoring \\
        --vocab exp/lm_general_x/data/train.txt --p 0.1 --seeds 0 1 2
    # stage 19: the Markdown table
    python -m espnet_lowrank.bin.lora_rescoring report --nbest_root ... --ref_root dump/raw \\
        --out_root exp/asr_y/rescoring --dev_set dev --test_sets test --base base \\
        --strategy vanilla=exp/lm_lora_vanilla_on_x ... --nbest 10 \\
        --out exp/asr_y/rescoring_results.md

One process per stage: each LM is loaded once and scores every set.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import Dict, List, Sequence, Tuple

from espnet_lowrank.atomic import atomic_write_text
from espnet_lowrank.bin._cli import ArgumentParser, run, setup_logging
from espnet_lowrank.rescoring.combine import parse_grid
from espnet_lowrank.rescoring.homophones import MODES, cmudict_table, vocab_words
from espnet_lowrank.rescoring.lm_scorer import LENGTH_UNITS, LMScorer


def parse_pairs(values: List[str], what: str, n_parts: int) -> Dict[str, Tuple[str, ...]]:
    """``["name=a,b", ...]`` -> ``{name: (a, b)}`` in order.

    Raises:
        SystemExit: malformed value or repeated name (named).
    """
    out: Dict[str, Tuple[str, ...]] = {}
    for v in values:
        name, sep, rest = v.partition("=")
        parts = tuple(rest.split(",")) if sep else ()
        if not name or len(parts) != n_parts or not all(parts):
            shape = ",".join(["PATH"] * n_parts)
            raise SystemExit(f"{what} {v!r}: expected NAME={shape}")
        if name in out:
            raise SystemExit(f"{what} {name!r} given twice")
        out[name] = parts
    return out


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--system", action="append", required=True,
                   help="NAME=LM_CONFIG,LM_FILE (repeat per LM)")  # fmt: skip
    p.add_argument("--nbest_root", required=True, help="dir with <set>/{n}best_recog")
    p.add_argument("--ref_root", required=True, help="dir with <set>/text")
    p.add_argument("--test_sets", nargs="+", required=True)
    p.add_argument("--out_root", required=True, help="writes <out_root>/<system>/...")
    p.add_argument("--nbest", type=int, default=None, help="use at most N hypotheses")
    p.add_argument("--batch_size", type=int, default=256, help="hypotheses per LM forward")
    p.add_argument("--device", default="cpu")


def get_parser() -> argparse.ArgumentParser:
    parser = ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)

    d = sub.add_parser("lm-data", help="LM train/valid text and shape files")
    d.add_argument("--text", nargs="+", required=True, help="training Kaldi text(s)")
    d.add_argument("--valid_text", nargs="+", required=True, help="validation Kaldi text(s)")
    d.add_argument("--out_dir", required=True)
    d.add_argument("--token_type", required=True, choices=("bpe", "char", "word"))
    d.add_argument("--token_list", required=True)
    d.add_argument("--bpemodel", default=None)
    d.add_argument("--non_linguistic_symbols", default=None)
    d.add_argument("--cleaner", default=None)
    d.add_argument("--g2p", default=None)

    r = sub.add_parser("rescore", help="tune on dev, rescore dev and test sets")
    _common(r)
    r.add_argument("--dev_set", required=True)
    r.add_argument("--lm_weight_grid", default="0:1:0.1", help="start:stop:step or a,b,c")
    r.add_argument("--length_bonus_grid", default="-1:2:0.5", help="start:stop:step or a,b,c")
    r.add_argument("--length_unit", choices=LENGTH_UNITS, default="word")

    n = sub.add_parser("nprr", help="NPRR with the weights tuned by 'rescore'")
    _common(n)
    n.add_argument("--vocab", nargs="+", required=True,
                   help="word lists / Kaldi texts: homophones come from their words")  # fmt: skip
    n.add_argument("--p", type=float, default=0.1, help="replacement probability per word")
    n.add_argument("--seeds", type=int, nargs="+", default=[0])
    n.add_argument("--mode", nargs="+", choices=MODES, default=list(MODES))
    n.add_argument("--ignore_stress", action="store_true")
    n.add_argument(
        "--common_lm_weight",
        type=float,
        default=None,
        help="also NPRR at this LM weight for every system (beta re-tuned on dev)",
    )
    n.add_argument("--dev_set", default=None, help="with --common_lm_weight: tunes beta")
    n.add_argument("--length_bonus_grid", default="-1:2:0.5", help="start:stop:step or a,b,c")

    t = sub.add_parser("report", help="Markdown table of every system")
    t.add_argument("--nbest_root", required=True)
    t.add_argument("--ref_root", required=True)
    t.add_argument("--out_root", required=True, help="the rescore/nprr --out_root")
    t.add_argument("--dev_set", required=True)
    t.add_argument("--test_sets", nargs="+", required=True)
    t.add_argument("--base", required=True, help="system name of the unadapted LM")
    t.add_argument("--strategy", action="append", default=[],
                   help="NAME=LORA_EXP_DIR (holds lora_ranks.yaml), in row order")  # fmt: skip
    t.add_argument("--full_finetune", default=None,
                   help="system name of the fully fine-tuned base LM (a last row)")  # fmt: skip
    t.add_argument("--nbest", type=int, required=True)
    t.add_argument("--out", required=True, help="output Markdown file")
    return parser


GRID_OPTIONS = ("--lm_weight_grid", "--length_bonus_grid")


def attach_grid_values(argv: Sequence[str]) -> List[str]:
    """``--length_bonus_grid -1:2:0.5`` -> ``--length_bonus_grid=-1:2:0.5``.

    argparse takes a value starting with ``-`` that is not a plain number for an
    option and rejects it; grids of length bonuses often start below zero.
    """
    out: List[str] = []
    i = 0
    while i < len(argv):
        if argv[i] in GRID_OPTIONS and i + 1 < len(argv):
            out.append(f"{argv[i]}={argv[i + 1]}")
            i += 2
        else:
            out.append(argv[i])
            i += 1
    return out


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    args = get_parser().parse_args(attach_grid_values(argv))
    setup_logging()
    if args.command == "lm-data":
        from espnet_lowrank.rescoring.lm_data import write_lm_data

        counts = write_lm_data(args.text, args.valid_text, args, args.out_dir)
        logging.info(f"LM data in {args.out_dir}: {counts}")
        return counts
    if args.command == "report":
        from espnet_lowrank.rescoring.report import build_report

        strategies = {k: v[0] for k, v in parse_pairs(args.strategy, "--strategy", 1).items()}
        text = build_report(
            args.nbest_root, args.ref_root, args.out_root, args.dev_set, args.test_sets,
            args.base, strategies, args.nbest, args.full_finetune,
        )  # fmt: skip
        atomic_write_text(args.out, text)
        logging.info(f"wrote {args.out}")
        return text

    from espnet_lowrank.rescoring.pipeline import nprr_sets, rescore_sets

    systems = parse_pairs(args.system, "--system", 2)
    if args.command == "nprr":
        if args.common_lm_weight is not None and args.dev_set is None:
            raise SystemExit("--common_lm_weight needs --dev_set (its length bonus is tuned there)")
        table = cmudict_table(vocab_words(args.vocab), args.ignore_stress)
        logging.info(f"homophone table: {len(table)} words of {args.vocab}")
    results = {}
    for name, (config, model) in systems.items():
        scorer = LMScorer.from_files(config, model, args.device, args.batch_size)
        out = Path(args.out_root) / name
        if args.command == "rescore":
            results[name] = rescore_sets(
                scorer, args.nbest_root, args.ref_root, args.dev_set, args.test_sets, out,
                parse_grid(args.lm_weight_grid), parse_grid(args.length_bonus_grid),
                args.nbest, args.length_unit,
            )  # fmt: skip
        else:
            results[name] = nprr_sets(
                scorer, args.nbest_root, args.ref_root, args.test_sets, out, table,
                args.p, args.seeds, args.mode, args.nbest, args.common_lm_weight,
                args.dev_set, parse_grid(args.length_bonus_grid),
            )  # fmt: skip
    return results


if __name__ == "__main__":
    run(main)
