"""Write ESPnet-style RESULTS.md from the sclite reports under an exp dir.

Example::

    python -m espnet_lowrank.bin.make_results --exp_dir exp --out RESULTS.md

Reads ``exp/<asr_tag>/decode_*/<test_set>/score_{wer,cer,ter}/result.txt`` and the
optional ``exp/<asr_tag>/model_info.json`` (see ``espnet_lowrank.scoring.model_info``),
and adds the LM study (``./run.sh --lm_study true``; ``espnet_lowrank.scoring.lm_study``)
when its experiments are there.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import List, Optional

from espnet_lowrank.atomic import atomic_write_text
from espnet_lowrank.bin._cli import ArgumentParser, reports_bad_input, run
from espnet_lowrank.scoring import lm_study
from espnet_lowrank.scoring.results_md import collect, environment, render_results


def get_parser() -> argparse.ArgumentParser:
    p = ArgumentParser(
        prog="python -m espnet_lowrank.bin.make_results",
        description="Render RESULTS.md (ESPnet format) from sclite result.txt files.",
    )
    p.add_argument("--exp_dir", default="exp", help="folder holding exp/<asr_tag>/")
    p.add_argument("--out", default="RESULTS.md", help="output Markdown file ('-': stdout)")
    return p


@reports_bad_input
def main(argv: Optional[List[str]] = None) -> int:
    args = get_parser().parse_args(argv)
    models = collect(args.exp_dir)
    text = render_results(
        models,
        environment(Path(args.exp_dir)),
        "python -m espnet_lowrank.bin.make_results",
        None if args.out == "-" else Path(args.out).resolve().parent,
    )
    study = lm_study.render(args.exp_dir)
    if study:
        text += "\n" + "\n".join(study)
    if args.out == "-":
        sys.stdout.write(text)
    else:
        atomic_write_text(args.out, text)
        print(f"Wrote {args.out} ({len(models)} model(s))")
    return 0


if __name__ == "__main__":
    run(main)
