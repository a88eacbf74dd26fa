"""Write ESPnet-style RESULTS.md from the sclite reports under an exp dir.

Example::

    python -m espnet_lowrank.bin.make_results --exp_dir exp --out RESULTS.md

Reads ``exp/<asr_tag>/decode_*/<test_set>/score_{wer,cer,ter}/result.txt`` and the
optional ``exp/<asr_tag>/model_info.json`` (see ``espnet_lowrank.scoring.model_info``),
and adds the LM study (``./run.sh --lm_study true``; ``espnet_lowrank.scoring.lm_study``)
when its experiments are there. With ``--ablations conf/ablations.yaml`` it adds the
ablation grid's section (``espnet_lowrank.scoring.ablations``: table over seeds, sc_stats
verdicts, a plot of WER against parameters), reading ``--kept_dir`` (the recipe's
``results/``) for experiments no longer in ``exp/``, and with ``--readme README.md`` also
writes that section between the README's ablation markers::

    python -m espnet_lowrank.bin.make_results --exp_dir exp --out RESULTS.md \
        --ablations conf/ablations.yaml --readme ../../../README.md
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import List, Optional

from espnet_lowrank.atomic import atomic_write_text
from espnet_lowrank.bin._cli import ArgumentParser, reports_bad_input, run
from espnet_lowrank.scoring import ablations, lm_study
from espnet_lowrank.scoring.results_md import collect, environment, render_results


def get_parser() -> argparse.ArgumentParser:
    p = ArgumentParser(
        prog="python -m espnet_lowrank.bin.make_results",
        description="Render RESULTS.md (ESPnet format) from sclite result.txt files.",
    )
    p.add_argument("--exp_dir", default="exp", help="folder holding exp/<asr_tag>/")
    p.add_argument("--out", default="RESULTS.md", help="output Markdown file ('-': stdout)")
    p.add_argument("--ablations", default=None, help="ablation grid YAML: add its section")
    p.add_argument(
        "--kept_dir", default="results",
        help="with --ablations: kept experiments (recipe_tools keep-results)",
    )  # fmt: skip
    p.add_argument(
        "--test_sets", nargs="+", default=["test", "test_unseen"],
        help="with --ablations: test sets of the table (the first decides the claims)",
    )  # fmt: skip
    p.add_argument(
        "--ablations_plot", default="results/ablations_wer_vs_params.png",
        help="with --ablations: where the WER-against-parameters plot goes",
    )  # fmt: skip
    p.add_argument(
        "--readme", default=None,
        help="with --ablations: also write the section into this Markdown file",
    )  # fmt: skip
    return p


def _ablation_section(args: argparse.Namespace, out_dir: Path) -> str:
    """The ablations section for RESULTS.md; writes the plot and, with --readme, the README's."""
    grid = ablations.load_grid(args.ablations)
    results = ablations.collect(grid, [args.exp_dir, args.kept_dir], args.test_sets)
    png = ablations.plot(grid, results, args.test_sets, args.ablations_plot)
    link = os.path.relpath(png.resolve(), out_dir) if png else None
    lines = ablations.render(grid, results, args.test_sets, link)
    if args.readme:
        readme = Path(args.readme)
        if not readme.is_file():
            raise FileNotFoundError(f"--readme {args.readme!r} does not exist")
        rlink = os.path.relpath(png.resolve(), readme.resolve().parent) if png else None
        body = ablations.render(grid, results, args.test_sets, rlink, heading="###")
        text = ablations.replace_section(readme.read_text(), body, str(readme))
        atomic_write_text(readme, text)
    return "\n".join(lines)


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
    if args.ablations:
        out_dir = Path.cwd() if args.out == "-" else Path(args.out).resolve().parent
        text += "\n" + _ablation_section(args, out_dir)
    if args.out == "-":
        sys.stdout.write(text)
    else:
        atomic_write_text(args.out, text)
        print(f"Wrote {args.out} ({len(models)} model(s))")
    return 0


if __name__ == "__main__":
    run(main)
