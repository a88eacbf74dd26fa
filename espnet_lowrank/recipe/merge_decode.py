"""Stage 9: merge the ``{n}best_recog`` tables of split decoding jobs."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Dict, List, Sequence

from espnet_lowrank.kaldi_dir import read_table

NBEST_DIR = re.compile(r"^(\d+)best_recog$")


def merge_decode_dirs(
    job_dirs: Sequence[Path | str], out_dir: Path | str, keys_file: Path | str
) -> List[str]:
    """Concatenate every ``<job>/{n}best_recog/<table>`` into ``out_dir``, key-sorted.

    Checks that each merged ``1best_recog/text`` covers exactly the keys of
    ``keys_file`` (a missing key means a job failed silently) and copies it to
    ``out_dir/text``. Returns the merged ``{n}best_recog`` folder names.
    """
    jobs = [Path(d) for d in job_dirs]
    if not jobs:
        raise ValueError("no decoding job directories given")
    names = sorted(
        (p.name for p in jobs[0].iterdir() if NBEST_DIR.match(p.name)),
        key=lambda s: int(NBEST_DIR.match(s).group(1)),
    )
    if "1best_recog" not in names:
        raise FileNotFoundError(f"{jobs[0]} has no 1best_recog/ (did decoding fail?)")
    out = Path(out_dir)
    for name in names:
        tables = sorted(p.name for p in (jobs[0] / name).iterdir() if p.is_file())
        (out / name).mkdir(parents=True, exist_ok=True)
        for table in tables:
            rows: Dict[str, str] = {}
            for job in jobs:
                path = job / name / table
                if not path.is_file():
                    continue  # e.g. an utterance-free job, or no hyp of that rank
                for key, value in read_table(path).items():
                    if key in rows:
                        raise ValueError(f"{path}: key {key} also decoded by another job")
                    rows[key] = value
            lines = [f"{k} {rows[k]}".rstrip() for k in sorted(rows)]
            (out / name / table).write_text("".join(f"{ln}\n" for ln in lines), encoding="utf-8")
    expected = set(read_table(keys_file))
    got = set(read_table(out / "1best_recog" / "text"))
    if got != expected:
        missing = sorted(expected - got)
        extra = sorted(got - expected)
        raise ValueError(
            f"merged 1best text in {out} does not match {keys_file}: "
            f"{len(missing)} missing (e.g. {missing[:3]}), {len(extra)} unexpected"
        )
    shutil.copyfile(out / "1best_recog" / "text", out / "text")
    return names
