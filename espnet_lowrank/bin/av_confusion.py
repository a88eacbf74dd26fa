"""Letter-slot confusions of an AV mini model's decoding, against the lips' look-alike groups.

Example (``egs2/mini_lowrank/avsr1``)::

    python -m espnet_lowrank.bin.av_confusion --ref dump/raw/test/text \\
        --hyp exp/asr_video_only/decode_asr_asr_model_valid.acc.ave/test/text

Prints Markdown (see :mod:`espnet_lowrank.scoring.confusion`): how many letter errors
fall inside the groups of letters whose names look the same on the lips
(:func:`espnet_lowrank.corpora.mini_av.grid.letter_viseme_groups`), against chance.

Forced choice (:mod:`espnet_lowrank.avsr.forced_choice`): the model scores every
letter in the letter slot of each reference sentence, which shows where its doubt goes
even when its best guess is wrong::

    python -m espnet_lowrank.bin.av_confusion --data_dir dump/raw/test \
        --config exp/asr_av_video_only/config.yaml \
        --model_file exp/asr_av_video_only/valid.acc.ave.pth

A missing or malformed input file: one message naming it, exit status 2.
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
    p.add_argument("--ref", help="reference Kaldi text (with --hyp)")
    p.add_argument("--hyp", help="hypothesis Kaldi text (asr_inference's text)")
    p.add_argument("--data_dir", help="forced choice: a data dir with text, wav.scp, video.scp")
    p.add_argument("--config", help="forced choice: the model's config.yaml")
    p.add_argument("--model_file", help="forced choice: the model's weights (.pth)")
    p.add_argument("--modality", default="av", choices=["av", "audio", "video"],
                   help="forced choice: the streams the model sees")  # fmt: skip
    p.add_argument("--name", default="model", help="name in the report")
    p.add_argument("--top", type=int, default=10, help="confusions listed")
    return p


@reports_bad_input
def main(argv: Optional[List[str]] = None) -> int:
    from espnet_lowrank.corpora.mini_av import grid
    from espnet_lowrank.scoring import confusion

    parser = get_parser()
    args = parser.parse_args(argv)
    slot = [name for name, _ in grid.SLOTS].index("letter")
    forced = [args.data_dir, args.config, args.model_file]
    if any(forced):
        if not all(forced) or args.ref or args.hyp:
            parser.error(
                "forced choice takes --data_dir, --config and --model_file (no --ref/--hyp)"
            )
        print("\n".join(_forced_choice(args, slot)))
        return 0
    if not (args.ref and args.hyp):
        parser.error("give --ref and --hyp, or --data_dir, --config and --model_file")
    counts, compared, skipped = confusion.slot_confusions(args.ref, args.hyp, slot, len(grid.SLOTS))
    summary = confusion.summarise(
        counts, compared, skipped, grid.LETTERS, grid.letter_viseme_groups()
    )
    print("\n".join(confusion.render(summary, args.name, args.top)))
    return 0


def _forced_choice(args: argparse.Namespace, slot: int) -> List[str]:
    from pathlib import Path

    import numpy as np
    import soundfile
    import torch

    from espnet_lowrank.avsr.forced_choice import SoftConfusion, slot_posterior
    from espnet_lowrank.corpora.mini_av import grid
    from espnet_lowrank.kaldi_dir import read_table
    from espnet_lowrank.tasks.build import model_from_config

    data = Path(args.data_dir)
    tables = {name: read_table(data / name) for name in ("text", "wav.scp", "video.scp")}
    model, train_args = model_from_config(args.config, "asr", args.model_file)
    model.eval()
    token_to_id = {t: i for i, t in enumerate(train_args.token_list)}
    letters = [w.upper() for w in grid.LETTERS]
    refs, posteriors = [], []
    for utt, text in tables["text"].items():
        words = text.split()
        if len(words) != len(grid.SLOTS):
            raise ValueError(
                f"{data / 'text'}: {utt} has {len(words)} words, not {len(grid.SLOTS)}"
            )
        for name in ("wav.scp", "video.scp"):
            if utt not in tables[name]:
                raise ValueError(f"{data / name}: no entry for {utt}")
        speech, _ = soundfile.read(tables["wav.scp"][utt], dtype="float32")
        video = np.load(tables["video.scp"][utt])
        p = slot_posterior(model, words, slot, letters, token_to_id, torch.from_numpy(speech),
                           torch.from_numpy(video), args.modality)  # fmt: skip
        refs.append(words[slot])
        posteriors.append(p)
    soft = SoftConfusion.from_posteriors(letters, refs, posteriors)
    groups = [tuple(w.upper() for w in g) for g in grid.letter_viseme_groups()]
    return soft.render(args.name, groups, args.top)


if __name__ == "__main__":
    run(main)
