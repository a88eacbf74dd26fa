"""Make a Hugging Face model folder (ESPnet zoo layout + model card) and upload it.

Examples::

    # write the folder only (no network): check it, then upload it yourself
    python -m espnet_lowrank.bin.upload --packed-zip exp/asr_x/packed.zip \\
        --hf-repo user/name --results-md RESULTS.md --dry-run hf_folder

    # write it to a temporary dir and push it (token from $HF_TOKEN)
    python -m espnet_lowrank.bin.upload --packed-zip exp/asr_x/packed.zip \\
        --hf-repo user/name --results-md RESULTS.md

Before writing anything out, the folder is loaded back the way espnet_model_zoo loads
a Hub repo and the model's parameter names are checked against the checkpoint
(``--skip-load-check`` to skip).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import List, Optional

from espnet_lowrank.atomic import atomic_dir
from espnet_lowrank.bin._cli import EXIT_BAD_INPUT, run
from espnet_lowrank.checkpoint import load_state_dict_file
from espnet_lowrank.hub.folder import HubFolder, make_hub_folder
from espnet_lowrank.hub.model_card import parameter_report, render_card
from espnet_lowrank.hub.upload import check_repo_id, upload_folder


def get_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m espnet_lowrank.bin.upload",
        description="Packed ESPnet zip -> Hugging Face model folder (+ upload).",
    )
    p.add_argument("--packed-zip", required=True, help="zip from espnet2.bin.pack asr")
    p.add_argument("--hf-repo", required=True, help="Hugging Face repo id, user/name")
    p.add_argument(
        "--dry-run",
        metavar="DIR",
        default=None,
        help="write the folder to DIR and do not upload",
    )
    p.add_argument("--results-md", default=None, help="RESULTS.md to quote in the card")
    p.add_argument("--license", default="cc-by-4.0")
    p.add_argument("--language", default=None, help="e.g. en")
    p.add_argument("--dataset", action="append", default=[], help="repeatable")
    p.add_argument("--private", action="store_true", help="create a private repo")
    p.add_argument("--skip-load-check", action="store_true")
    return p


def build_folder(args: argparse.Namespace, out_dir: Path) -> HubFolder:
    """Unpack, write the card and (unless skipped) load the folder back."""

    results = None
    if args.results_md is not None:
        results = Path(args.results_md).read_text(encoding="utf-8")
    folder = make_hub_folder(args.packed_zip, out_dir)
    if "asr_train_config" not in folder.configs or "asr_model_file" not in folder.meta["files"]:
        raise ValueError(
            f"{args.packed_zip}: meta.yaml needs asr_train_config and asr_model_file "
            "(pack with `python -m espnet2.bin.pack asr`)"
        )
    model_file = folder.file("asr_model_file")
    state = load_state_dict_file(model_file, f"{args.packed_zip}: asr_model_file")
    parameter_names = None
    if not args.skip_load_check:
        from espnet_lowrank.hub.load import load_speech2text

        model = load_speech2text(folder.path, device="cpu").asr_model
        parameter_names = {n for n, _ in model.named_parameters()}
    card = render_card(
        repo_id=args.hf_repo,
        asr_config=folder.configs["asr_train_config"],
        config_path=folder.meta["yaml_files"]["asr_train_config"],
        report=parameter_report(state, parameter_names),
        results=results,
        asr_tag=model_file.parent.name,
        license_name=args.license,
        language=args.language,
        datasets=args.dataset,
    )
    (folder.path / "README.md").write_text(card, encoding="utf-8")
    return folder


def main(argv: Optional[List[str]] = None) -> int:
    args = get_parser().parse_args(argv)
    try:
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
    except (FileNotFoundError, FileExistsError, ValueError, RuntimeError) as e:
        print(f"upload: error: {e}", file=sys.stderr)
        return EXIT_BAD_INPUT
    return 0


if __name__ == "__main__":
    run(main)
