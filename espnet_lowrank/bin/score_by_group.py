"""WER per engine (or room) of a decoding: ``espnet_lowrank.scoring.by_group`` as a tool.

Example (``egs2/mini_lowrank/asr1``, corpus v2; ``DECODE`` a decoding folder such as
``exp/asr_train_asr_full_raw_en_bpe300/decode_asr_asr_model_valid.acc.ave``)::

    python -m espnet_lowrank.bin.score_by_group --ref dump/raw/test_unseen/text \\
        --hyp $DECODE/test_unseen/text \\
        --groups data/test_unseen/utt2engine
    python -m espnet_lowrank.bin.score_by_group --ref ... --hyp ... \\
        --groups data/test/acoustics --by reverb

A missing or malformed file (texts, groups table): one message naming it, exit status 2.
"""

from __future__ import annotations

import argparse
from typing import List, Optional

from espnet_lowrank.bin._cli import ArgumentParser, reports_bad_input, run


def get_parser() -> argparse.ArgumentParser:
    p = ArgumentParser(
        prog="python -m espnet_lowrank.bin.score_by_group",
        description="WER per group of utterances (engine of utt2engine, or reverberation).",
    )
    p.add_argument("--ref", required=True, help="reference Kaldi text")
    p.add_argument("--hyp", required=True, help="hypothesis Kaldi text")
    p.add_argument("--groups", required=True, help="utt2engine or acoustics table")
    p.add_argument("--by", choices=("engine", "reverb"), default="engine")
    return p


@reports_bad_input
def main(argv: Optional[List[str]] = None) -> int:
    from espnet_lowrank.scoring import by_group

    args = get_parser().parse_args(argv)
    key = by_group.engine_of if args.by == "engine" else by_group.reverb_of
    counts = by_group.wer_by_group(args.ref, args.hyp, args.groups, key)
    print("\n".join(by_group.render(counts, args.by)))
    return 0


if __name__ == "__main__":
    run(main)
