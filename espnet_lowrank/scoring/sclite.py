"""Run NIST ``sclite`` on trn files and read the ``Sum/Avg`` line of its report.

The invocation mirrors ESPnet's asr.sh::

    sclite -r ref.trn trn -h hyp.trn trn -i rm -o all stdout > result.txt

so ``result.txt`` is byte-for-byte the report ESPnet writes to ``score_{wer,cer}``.
sclite aligns case-insensitively and minimises ``4·Sub + 3·(Del + Ins)``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional, Sequence

from espnet_lowrank.errors import ExternalError

#: Where Debian's ``sctk`` package installs the real binaries (``/usr/bin/sctk`` is a
#: dispatcher script: ``sctk sclite ...``).
DEBIAN_SCTK_DIR = Path("/usr/lib/sctk/bin")

INSTALL_HINT = (
    "NIST sclite was not found: install it with `apt-get install sctk` "
    "(Debian/Ubuntu), or build SCTK and put `sclite` on PATH"
)


def find_sclite() -> List[str]:
    """Command prefix running sclite: ``sclite`` on PATH, Debian's, or ``sctk``."""
    on_path = shutil.which("sclite")
    if on_path:
        return [on_path]
    debian = DEBIAN_SCTK_DIR / "sclite"
    if debian.is_file() and os.access(debian, os.X_OK):
        return [str(debian)]
    dispatcher = shutil.which("sctk")
    if dispatcher:
        return [dispatcher, "sclite"]
    raise FileNotFoundError(INSTALL_HINT)


def run_sclite(
    ref_trn: Path | str,
    hyp_trn: Path | str,
    result_txt: Path | str,
    extra_options: Sequence[str] = (),
    command: Optional[Sequence[str]] = None,
) -> Path:
    """Score ``hyp_trn`` against ``ref_trn`` and write sclite's full report.

    Args:
        ref_trn, hyp_trn: trn files with ``(<spk>-<uttid>)`` ids.
        result_txt: where the report goes (sclite's ``-o all stdout``).
        extra_options: inserted before ``-r``, like asr.sh's ``score_opts``.
        command: sclite command prefix; found with :func:`find_sclite` if ``None``.
    """
    cmd = list(command) if command is not None else find_sclite()
    cmd += [*extra_options, "-r", str(ref_trn), "trn", "-h", str(hyp_trn), "trn"]
    cmd += ["-i", "rm", "-o", "all", "stdout"]
    out = Path(result_txt)
    out.parent.mkdir(parents=True, exist_ok=True)
    try:
        proc = subprocess.run(cmd, capture_output=True, check=False)
    except FileNotFoundError as e:
        raise FileNotFoundError(f"{INSTALL_HINT} (tried {cmd[0]})") from e
    out.write_bytes(proc.stdout)
    if proc.returncode != 0 or b"Sum/Avg" not in proc.stdout:
        tail = (proc.stderr or proc.stdout).decode("utf-8", "replace")[-2000:]
        raise ExternalError(
            f"sclite failed (exit {proc.returncode}) on {ref_trn} / {hyp_trn}; "
            f"its report is in {out}:\n{tail}"
        )
    return out


@dataclass(frozen=True)
class ScliteSummary:
    """The ``Sum/Avg`` row of a sclite report.

    ``snt`` and ``wrd`` are counts (sentences, reference units); the other fields are
    percentages of ``wrd`` (``s_err``: of ``snt``), as printed by sclite with one
    decimal. ``counts`` holds the raw ``Sum`` row (corr, sub, del, ins, err, s_err)
    when the report has it.
    """

    snt: int
    wrd: int
    corr: float
    sub: float
    dele: float
    ins: float
    err: float
    s_err: float
    counts: Optional[tuple] = None

    def row(self) -> List[str]:
        """Cells of an ESPnet RESULTS.md row: counts, then percents with one decimal."""
        pct = (self.corr, self.sub, self.dele, self.ins, self.err, self.s_err)
        return [str(self.snt), str(self.wrd)] + [f"{v:.1f}" for v in pct]


_SUM_AVG = re.compile(r"^\s*\|\s*Sum/Avg\s*\|")
_SUM = re.compile(r"^\s*\|\s*Sum\s*\|")


def _numbers(line: str) -> List[str]:
    return re.findall(r"-?[0-9]+(?:\.[0-9]+)?", line)


def parse_result(path: Path | str) -> ScliteSummary:
    """Parse the ``Sum/Avg`` (percent) and ``Sum`` (count) rows of ``result.txt``."""
    p = Path(path)
    text = p.read_text(encoding="utf-8", errors="replace")
    avg = counts = None
    for line in text.splitlines():
        if avg is None and _SUM_AVG.match(line):
            avg = _numbers(line.split("|", 2)[2])
        elif counts is None and _SUM.match(line):
            counts = _numbers(line.split("|", 2)[2])
    if avg is None or len(avg) != 8:
        raise ValueError(f"{p}: no sclite 'Sum/Avg' row with 8 numbers found")
    count_tuple = None
    if counts is not None:
        if len(counts) != 8:
            raise ValueError(f"{p}: sclite 'Sum' row has {len(counts)} numbers, not 8")
        count_tuple = tuple(int(float(v)) for v in counts[2:])
    return ScliteSummary(
        snt=int(float(avg[0])),
        wrd=int(float(avg[1])),
        corr=float(avg[2]),
        sub=float(avg[3]),
        dele=float(avg[4]),
        ins=float(avg[5]),
        err=float(avg[6]),
        s_err=float(avg[7]),
        counts=count_tuple,
    )
