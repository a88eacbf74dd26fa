"""Letter-slot confusions of an AV mini model's decoding, against the lips' look-alike groups.

Example (``egs2/mini_lowrank/avsr1``)::

    python -m espnet_lowrank.bin.av_confusion --ref dump/raw/test/text \\
        --hyp exp/asr_video_only/decode_asr_asr_model_valid.acc.ave/test/text

Prints Markdown (see :mod:`espnet_lowrank.scoring.confusion`): how many letter errors
fall inside the groups of letters whose names look the same on the lips
(:func:`espnet_lowrank.corpora.mini_av.grid.letter_viseme_groups`), against chance.
A missing or malformed text file: one message naming it, exit status 2.
"""

from __future__ import annotations

import argparse
from typing import List, Optional

from espnet_lowrank.bin._cli import ArgumentParser, reports_bad_input, run


def get_parser() -> argparse.ArgumentParser:
    p = ArgumentParser(
        prog="python -m espnet_lowrank.bin.av_confusion",
        description="Letter-slot confusions of a GRID-style decoding vs look-alike groups.",
    )
    p.add_argument("--ref", required=True, help="reference Kaldi text")
    p.add_argument("--hyp", required=True, help="hypothesis Kaldi text (asr_inference's text)")
    p.add_argument("--name", default="model", help="name in the report")
    p.add_argument("--top", type=int, default=10, help="confusions listed")
    return p


@reports_bad_input
def main(argv: Optional[List[str]] = None) -> int:
    from espnet_lowrank.corpora.mini_av import grid
    from espnet_lowrank.scoring import confusion

    args = get_parser().parse_args(argv)
    slot = [name for name, _ in grid.SLOTS].index("letter")
    counts, compared, skipped = confusion.slot_confusions(args.ref, args.hyp, slot, len(grid.SLOTS))
    summary = confusion.summarise(
        counts, compared, skipped, grid.LETTERS, grid.letter_viseme_groups()
    )
    print("\n".join(confusion.render(summary, args.name, args.top)))
    return 0


if __name__ == "__main__":
    run(main)
