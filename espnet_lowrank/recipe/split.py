"""Split a key-sorted table into ``n`` contiguous parts for ``--nj`` jobs."""

from __future__ import annotations

from pathlib import Path
from typing import List


def split_table(table: Path | str, out_dir: Path | str, n: int, prefix: str = "keys") -> int:
    """Write ``out_dir/<prefix>.{1..m}.scp``, ``m = min(n, lines)``; return ``m``.

    Parts differ in size by at most one line and keep the input order, so
    concatenating them gives the input back.
    """
    table = Path(table)
    if n < 1:
        raise ValueError(f"number of jobs must be >= 1, not {n}")
    lines = [ln for ln in table.read_text(encoding="utf-8").splitlines() if ln.strip()]
    if not lines:
        raise ValueError(f"{table} is empty: nothing to split")
    m = min(n, len(lines))
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    base, extra = divmod(len(lines), m)
    start = 0
    for j in range(1, m + 1):
        size = base + (1 if j <= extra else 0)
        part: List[str] = lines[start : start + size]
        start += size
        (out / f"{prefix}.{j}.scp").write_text("\n".join(part) + "\n", encoding="utf-8")
    return m
