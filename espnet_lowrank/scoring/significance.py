"""Significance of WER differences: NIST ``sc_stats``' matched-pair test (MAPSSWE).

The field's standard comparison of two recognisers on the same test set is the
Matched Pair Sentence Segment Word Error test (Gillick and Cox, 1989), as run by
SCTK::

    sclite -r ref.trn trn -h S1.trn trn S1 -h S2.trn trn S2 ... -i rm -o sgml -O DIR
    cat DIR/S1.trn.sgml DIR/S2.trn.sgml ... | sc_stats -p -t mapsswe -u -n -

This module runs exactly that on hypotheses given as trn files (as ``score_dir``
writes them: ``score_wer/hyp.trn``) or Kaldi ``text`` files, and reads sc_stats'
unified comparison matrix: for each pair, the better system at p = 0.05 (or none)
and the smallest p at which the difference is significant, as sc_stats prints it
(``<0.001`` or a number). Systems are renamed ``S1``, ``S2``, ... for sc_stats
(whose matrix truncates long names) and mapped back.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Mapping, Optional, Tuple

from espnet_lowrank.errors import ExternalError
from espnet_lowrank.scoring.sclite import DEBIAN_SCTK_DIR, INSTALL_HINT, find_sclite
from espnet_lowrank.scoring.trn import check_same_ids, read_text, tokenize, write_trn


@dataclass(frozen=True)
class PairTest:
    """sc_stats' verdict on systems ``a`` and ``b`` (``better`` is ``None`` when not
    significant at p = 0.05); ``p`` is sc_stats' text, e.g. ``<0.001`` or ``0.412``."""

    a: str
    b: str
    better: Optional[str]
    p: str

    @property
    def p_value(self) -> float:
        """``p`` as a number (``<0.001`` -> 0.001, an upper bound)."""
        return float(self.p.lstrip("<"))

    @property
    def stars(self) -> str:
        """``***`` p <= 0.001, ``**`` <= 0.01, ``*`` <= 0.05, else ``n.s.``."""
        for level, mark in ((0.001, "***"), (0.01, "**"), (0.05, "*")):
            if self.better is not None and self.p_value <= level:
                return mark
        return "n.s."


def find_sc_stats() -> List[str]:
    """Command running ``sc_stats``: on PATH, Debian's sctk folder, or ``sctk sc_stats``."""
    on_path = shutil.which("sc_stats")
    if on_path:
        return [on_path]
    debian = DEBIAN_SCTK_DIR / "sc_stats"
    if debian.is_file():
        return [str(debian)]
    dispatcher = shutil.which("sctk")
    if dispatcher:
        return [dispatcher, "sc_stats"]
    raise FileNotFoundError(INSTALL_HINT.replace("sclite", "sc_stats"))


_CELL = re.compile(r"^(?P<better>\S+)\s+(?P<p><?[0-9.]+)(?:\s+\*+)?$")


def parse_unified(text: str, names: List[str]) -> Dict[Tuple[str, str], PairTest]:
    """The pairs of sc_stats' unified MP matrix (``-t mapsswe -u``) for systems ``names``."""
    out: Dict[Tuple[str, str], PairTest] = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        # | MP || S1 | | S1 <0.001 *** | ... || MP |  -> ['MP', '', 'S1', '', 'S1 <0.001 ***', ...]
        if len(cells) < 3 or cells[0] != "MP" or cells[2] not in names:
            continue
        row = cells[2]
        body = cells[3 : 3 + len(names)]
        for col, cell in zip(names, body):
            if not cell:
                continue
            m = _CELL.match(cell)
            if not m:
                raise ValueError(f"sc_stats: cannot read the matrix cell {cell!r} ({row} vs {col})")
            better = None if m["better"] == "~" else m["better"]
            out[(row, col)] = PairTest(row, col, better, m["p"])
    return out


def matched_pairs(
    ref_trn: Path | str, hyp_trns: Mapping[str, Path | str]
) -> Dict[Tuple[str, str], PairTest]:
    """sc_stats' MP test of every pair of ``hyp_trns`` (``{system: trn}``, >= 2).

    Returns:
        ``{(a, b): PairTest}`` for each pair, ``a`` before ``b`` in the given order.
    """
    systems = list(hyp_trns)
    if len(systems) < 2:
        raise ValueError(f"significance needs at least two systems, got {systems}")
    ids = {name: f"S{i + 1}" for i, name in enumerate(systems)}
    with tempfile.TemporaryDirectory(prefix="sc_stats.") as tmp:
        work = Path(tmp)
        cmd = find_sclite() + ["-r", str(ref_trn), "trn"]
        for name, trn in hyp_trns.items():
            if not Path(trn).is_file():
                raise FileNotFoundError(f"hypothesis trn of {name!r} not found: {trn}")
            shutil.copy(trn, work / f"{ids[name]}.trn")
            cmd += ["-h", str(work / f"{ids[name]}.trn"), "trn", ids[name]]
        cmd += ["-i", "rm", "-o", "sgml", "-O", str(work)]
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            raise ExternalError(
                f"sclite -o sgml failed (exit {proc.returncode}): {proc.stderr[-2000:]}"
            )
        sgml = "".join((work / f"{ids[n]}.trn.sgml").read_text() for n in systems)
        stats = subprocess.run(
            find_sc_stats() + ["-p", "-t", "mapsswe", "-u", "-n", "-"],
            input=sgml, capture_output=True, text=True, check=False, cwd=work,
        )  # fmt: skip
    if stats.returncode != 0 or "Successful Completion" not in stats.stdout:
        raise ExternalError(f"sc_stats failed (exit {stats.returncode}): {stats.stderr[-2000:]}")
    by_id = {v: k for k, v in ids.items()}
    pairs = parse_unified(stats.stdout, list(by_id))
    out = {}
    for (a, b), t in pairs.items():
        better = None if t.better is None else by_id[t.better]
        out[(by_id[a], by_id[b])] = PairTest(by_id[a], by_id[b], better, t.p)
    n = len(systems) * (len(systems) - 1) // 2
    if len(out) != n:
        raise ExternalError(f"sc_stats compared {len(out)} pairs, expected {n}:\n{stats.stdout}")
    return out


def text_to_trn(
    ref_text: Path | str, hyp_text: Path | str, out_dir: Path | str
) -> Tuple[Path, Path]:
    """Word trn files of a Kaldi reference and hypothesis ``text`` (each utterance its own
    speaker), as :func:`espnet_lowrank.scoring.score_dir.score_text_files` writes them."""
    ref, hyp = read_text(ref_text), read_text(hyp_text)
    check_same_ids(ref, hyp, str(ref_text), str(hyp_text))
    spk = {u: u for u in ref}
    out = Path(out_dir)
    return (
        write_trn(out / "ref.trn", tokenize(ref, "word"), spk),
        write_trn(out / "hyp.trn", tokenize(hyp, "word"), spk),
    )
