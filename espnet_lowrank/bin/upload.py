"""Make a Hugging Face model folder (ESPnet zoo layout + model card) and upload it.

Examples::

    # write the folder only (no network): check it, then upload it yourself
    python -m espnet_lowrank.bin.upload --packed_zip exp/asr_x/packed.zip \\
        --hf_repo user/name --results_md RESULTS.md --dry_run hf_folder

    # write it to a temporary dir and push it (token from $HF_TOKEN)
    python -m espnet_lowrank.bin.upload --packed_zip exp/asr_x/packed.zip \\
        --hf_repo user/name --results_md RESULTS.md

Before writing anything out, the folder is loaded back the way espnet_model_zoo loads
a Hub repo and the model's parameter names are checked against the checkpoint
(``--skip_load_check`` to skip).
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path
from typing import List, Optional

from espnet_lowrank.atomic import atomic_dir
from espnet_lowrank.bin._cli import ArgumentParser, reports_bad_input, run
from espnet_lowrank.hub.folder import HubFolder, build_model_folder
from espnet_lowrank.hub.upload import check_repo_id, upload_folder


def get_parser() -> argparse.ArgumentParser:
    p = ArgumentParser(
        prog="python -m espnet_lowrank.bin.upload",
        description="Packed ESPnet zip -> Hugging Face model folder (+ upload).",
    )
    p.add_argument("--packed_zip", required=True, help="zip from espnet2.bin.pack asr")
    p.add_argument("--hf_repo", required=True, help="Hugging Face repo id, user/name")
    p.add_argument(
        "--dry_run",
        metavar="DIR",
        default=None,
        help="write the folder to DIR and do not upload",
    )
    p.add_argument("--results_md", default=None, help="RESULTS.md to quote in the card")
    p.add_argument("--license", default="cc-by-4.0")
    p.add_argument("--language", default=None, help="e.g. en")
    p.add_argument("--dataset", action="append", default=[], help="repeatable")
    p.add_argument("--private", action="store_true", help="create a private repo")
    p.add_argument("--skip_load_check", action="store_true")
    return p


def build_folder(args: argparse.Namespace, out_dir: Path) -> HubFolder:
    """:func:`~espnet_lowrank.hub.folder.build_model_folder` with this tool's options."""
    return build_model_folder(
        args.packed_zip,
        out_dir,
        args.hf_repo,
        results_md=args.results_md,
        license_name=args.license,
        language=args.language,
        datasets=args.dataset,
        load_check=not args.skip_load_check,
    )


@reports_bad_input
def main(argv: Optional[List[str]] = None) -> int:
    args = get_parser().parse_args(argv)
    check_repo_id(args.hf_repo)
    if args.dry_run is not None:
        out = Path(args.dry_run)
        if out.exists() and any(out.iterdir()):
            raise FileExistsError(f"output folder is not empty: {out}")
        with atomic_dir(out) as work:  # a failure leaves no partly written folder
            build_folder(args, work)
        print(f"Wrote {out} (dry run: nothing uploaded to {args.hf_repo})")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        folder = build_folder(args, Path(tmp) / "repo")
        url = upload_folder(folder.path, args.hf_repo, private=args.private)
    print(f"Uploaded {args.packed_zip} to {args.hf_repo}: {url}")
    return 0


if __name__ == "__main__":
    run(main)
