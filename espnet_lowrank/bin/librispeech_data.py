"""Download LibriSpeech and write its Kaldi-style data directories.

Examples::

    # fetch the parts train_960 needs (skips parts already extracted)
    python -m espnet_lowrank.bin.librispeech_data download --root downloads \\
        --train_set train_960 --lm_text_dir data/local/other_text

    # data/{train_clean_100,...,train_960,dev} (+ data/local/other_text/text)
    python -m espnet_lowrank.bin.librispeech_data prepare --root downloads \\
        --data_dir data --train_set train_960 \\
        --lm_text_gz data/local/other_text/librispeech-lm-norm.txt.gz

Options accept ``--name_with_underscores`` and ``--name-with-dashes``.
"""

from __future__ import annotations

import argparse
import sys
from typing import List, Optional

from espnet_lowrank.bin._cli import (
    ArgumentParser,
    reports_bad_input,
    run,
    setup_logging,
)
from espnet_lowrank.corpora import librispeech as ls


def _add(parser: argparse.ArgumentParser, name: str, **kwargs) -> None:
    """Add ``--a_b`` with the alias ``--a-b``."""
    flags = [f"--{name}"] + ([f"--{name.replace('_', '-')}"] if "_" in name else [])
    parser.add_argument(*flags, dest=name, **kwargs)


def _common(parser: argparse.ArgumentParser) -> None:
    _add(
        parser,
        "root",
        required=True,
        help="folder that holds (or will hold) LibriSpeech/<part>; db.sh's LIBRISPEECH",
    )
    _add(
        parser,
        "train_set",
        default="train_960",
        choices=sorted(ls.TRAIN_SETS),
        help="decides the default --parts (default: %(default)s)",
    )
    _add(
        parser,
        "parts",
        nargs="+",
        default=None,
        help="parts (dev-clean or dev_clean style); default: the dev and test "
        "parts plus those of --train_set",
    )


def get_parser() -> argparse.ArgumentParser:
    parser = ArgumentParser(
        prog="python -m espnet_lowrank.bin.librispeech_data",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True)

    dl = sub.add_parser("download", help="download and extract missing parts")
    _common(dl)
    _add(
        dl,
        "url_base",
        default=ls.DEFAULT_URL_BASE,
        help="where <part>.tar.gz live (default: %(default)s)",
    )
    _add(
        dl,
        "lm_url_base",
        default=ls.DEFAULT_LM_URL_BASE,
        help=f"where {ls.LM_TEXT_GZ} lives (default: %(default)s)",
    )
    _add(
        dl,
        "lm_text_dir",
        default=None,
        help=f"also download {ls.LM_TEXT_GZ} into this folder",
    )
    _add(
        dl,
        "md5_file",
        default=None,
        help="md5sum-format file whose entries replace the built-in md5 table "
        "(e.g. a mirror's md5sum.txt)",
    )
    _add(
        dl,
        "remove_archives",
        action="store_true",
        help="delete each .tar.gz once it is extracted",
    )
    _add(dl, "retries", type=int, default=5, help="connection retries per file")
    _add(dl, "timeout", type=float, default=60.0, help="socket timeout in seconds")
    _add(
        dl,
        "backoff",
        type=float,
        default=2.0,
        help="seconds before retry k is backoff*k (default: %(default)s)",
    )

    prep = sub.add_parser("prepare", help="write data/<part> and combined sets")
    _common(prep)
    _add(prep, "data_dir", default="data", help="output folder (default: %(default)s)")
    _add(
        prep,
        "lm_text_gz",
        default=None,
        help=f"{ls.LM_TEXT_GZ} to turn into <data_dir>/local/other_text/text",
    )
    return parser


def _md5_table(path: Optional[str]) -> dict:
    table = dict(ls.MD5)
    if path:
        table.update(ls.read_md5sum_file(path))
    return table


@reports_bad_input
def main(argv: Optional[List[str]] = None) -> int:
    args = get_parser().parse_args(argv)
    setup_logging()
    parts = args.parts or list(ls.default_parts(args.train_set))
    if args.command == "download":
        table = _md5_table(args.md5_file)
        kw = dict(retries=args.retries, timeout=args.timeout, backoff=args.backoff)
        ls.download_parts(
            args.root,
            parts,
            url_base=args.url_base,
            md5=table,
            remove_archives=args.remove_archives,
            **kw,
        )
        if args.lm_text_dir:
            ls.download_lm_text(args.lm_text_dir, url_base=args.lm_url_base, md5=table, **kw)
    else:
        reports = ls.prepare(
            args.root,
            args.data_dir,
            parts=parts,
            train_set=args.train_set,
            lm_text_gz=args.lm_text_gz,
        )
        skipped = sum(len(r.skipped) for r in reports)
        print(
            f"prepared {len(reports)} parts, "
            f"{sum(r.utterances for r in reports)} utterances, "
            f"{skipped} non-corpus paths skipped",
            file=sys.stderr,
        )
    return 0


if __name__ == "__main__":
    run(main)
