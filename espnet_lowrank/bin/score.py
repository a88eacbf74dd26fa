"""Score a decode with NIST sclite, as ESPnet's asr.sh does.

Example::

    python -m espnet_lowrank.bin.score --ref data/test/text \\
        --hyp exp/asr_x/decode_y/test/text \\
        --out_dir exp/asr_x/decode_y/test/score_wer --unit word

writes ``ref.trn``, ``hyp.trn`` and ``result.txt`` (sclite's report) to ``--out_dir``
and prints the ``Sum/Avg`` row.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import List, Optional

from espnet_lowrank.bin._cli import ArgumentParser, reports_bad_input, run
from espnet_lowrank.scoring.score_dir import score_text_files
from espnet_lowrank.scoring.trn import UNITS


def get_parser() -> argparse.ArgumentParser:
    p = ArgumentParser(
        prog="python -m espnet_lowrank.bin.score",
        description="Write ref.trn/hyp.trn and run sclite into <out-dir>/result.txt.",
    )
    p.add_argument("--ref", required=True, help="reference Kaldi text file")
    p.add_argument("--hyp", required=True, help="hypothesis Kaldi text file")
    p.add_argument("--out_dir", required=True, help="e.g. .../<test_set>/score_wer")
    p.add_argument("--unit", choices=sorted(UNITS), default="word")
    p.add_argument("--bpe_model", default=None, help="SentencePiece model (--unit token)")
    p.add_argument(
        "--utt2spk",
        default=None,
        help="speaker table for the (<spk>-<uttid>) tags; default: utt2spk next to "
        "--ref; 'none': each utterance is its own speaker",
    )
    p.add_argument("--nlsyms", default=None, help="non-linguistic symbols to remove")
    p.add_argument("--cleaner", default=None, help="ESPnet text cleaner for --ref")
    p.add_argument("--hyp_cleaner", default=None, help="ESPnet text cleaner for --hyp")
    p.add_argument(
        "--sclite_opt",
        action="append",
        default=[],
        help="extra sclite option (repeatable), like asr.sh's score_opts",
    )
    p.add_argument(
        "--cross_check",
        action="store_true",
        help="re-align in Python with sclite's weights and fail if counts differ",
    )
    return p


def resolve_utt2spk(arg: Optional[str], ref: str) -> Optional[Path]:
    """``--utt2spk`` value → path, or ``None`` for 'none'; the default must exist."""
    if arg is not None:
        return None if arg.lower() == "none" else Path(arg)
    sibling = Path(ref).parent / "utt2spk"
    if not sibling.is_file():
        raise FileNotFoundError(
            f"no utt2spk next to {ref} ({sibling}); pass --utt2spk PATH, or "
            "--utt2spk none to use each utterance id as its own speaker"
        )
    return sibling


@reports_bad_input
def main(argv: Optional[List[str]] = None) -> int:
    args = get_parser().parse_args(argv)
    result = score_text_files(
        ref_text=args.ref,
        hyp_text=args.hyp,
        out_dir=args.out_dir,
        unit=args.unit,
        utt2spk=resolve_utt2spk(args.utt2spk, args.ref),
        bpe_model=args.bpe_model,
        non_linguistic_symbols=args.nlsyms,
        cleaner=args.cleaner,
        hyp_cleaner=args.hyp_cleaner,
        sclite_options=args.sclite_opt,
        cross_check=args.cross_check,
    )
    s = result.summary
    print(f"Write {args.unit} result in {result.result_txt}")
    print("|Snt|Wrd|Corr|Sub|Del|Ins|Err|S.Err|")
    print("|" + "|".join(s.row()) + "|")
    return 0


if __name__ == "__main__":
    run(main)
