"""Error counts computed in Python, independently of sclite, to cross-check its reports.

Two measures:

- :func:`levenshtein_errors`: the plain edit distance (``Sub + Del + Ins`` minimised
  with unit costs), summed over utterances, via the ``editdistance`` package.
- :func:`align_counts` / :func:`count_errors`: a dynamic-programming alignment with
  backtrace that gives the ``Corr/Sub/Del/Ins`` breakdown. With sclite's default
  weights (substitution 4, insertion 3, deletion 3) and case folding it reproduces
  sclite's ``Sum`` row (checked utterance by utterance on random pairs). These
  weights minimise ``Sub + 3·Err``: among alignments with the fewest errors they
  pick the fewest substitutions, and on rare long mismatches
  they may accept one error more than the plain edit distance to drop three or more
  substitutions, so sclite's ``Err`` can exceed :func:`levenshtein_errors`.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from typing import Mapping, Sequence

#: sclite's default alignment costs: (substitution, deletion, insertion).
SCLITE_COSTS = (4, 3, 3)
UNIT_COSTS = (1, 1, 1)


@dataclass(frozen=True)
class ErrorCounts:
    """Alignment counts summed over utterances (``wrd``: reference units)."""

    snt: int
    wrd: int
    corr: int
    sub: int
    dele: int
    ins: int
    s_err: int

    @property
    def err(self) -> int:
        return self.sub + self.dele + self.ins

    def __add__(self, other: ErrorCounts) -> ErrorCounts:
        return ErrorCounts(
            *(getattr(self, f) + getattr(other, f) for f in self.__dataclass_fields__)
        )

    def as_sclite_counts(self) -> tuple:
        """(corr, sub, del, ins, err, s_err): the layout of sclite's ``Sum`` row."""
        return (self.corr, self.sub, self.dele, self.ins, self.err, self.s_err)


def align_counts(
    ref: Sequence[str], hyp: Sequence[str], costs: tuple = SCLITE_COSTS
) -> ErrorCounts:
    """Minimum-cost alignment of ``hyp`` to ``ref`` and its counts for one utterance.

    ``costs`` is ``(substitution, deletion, insertion)``; a match costs 0.
    """
    c_sub, c_del, c_ins = costs
    n, m = len(ref), len(hyp)
    # cost[i][j]: best cost aligning ref[:i] with hyp[:j]; op[i][j]: its last step.
    # Equal costs prefer match/substitution, then insertion, then deletion: the
    # order that reproduces sclite's per-utterance breakdown on ties.
    cost = [[0] * (m + 1) for _ in range(n + 1)]
    op = [[""] * (m + 1) for _ in range(n + 1)]
    for i in range(1, n + 1):
        cost[i][0], op[i][0] = i * c_del, "D"
    for j in range(1, m + 1):
        cost[0][j], op[0][j] = j * c_ins, "I"
    for i in range(1, n + 1):
        r = ref[i - 1]
        row, prev = cost[i], cost[i - 1]
        for j in range(1, m + 1):
            same = r == hyp[j - 1]
            best, step = prev[j - 1] + (0 if same else c_sub), "C" if same else "S"
            if row[j - 1] + c_ins < best:
                best, step = row[j - 1] + c_ins, "I"
            if prev[j] + c_del < best:
                best, step = prev[j] + c_del, "D"
            row[j], op[i][j] = best, step
    tally = {"C": 0, "S": 0, "D": 0, "I": 0}
    i, j = n, m
    while i > 0 or j > 0:
        step = op[i][j]
        tally[step] += 1
        if step in "CS":
            i, j = i - 1, j - 1
        elif step == "D":
            i -= 1
        else:
            j -= 1
    errors = tally["S"] + tally["D"] + tally["I"]
    return ErrorCounts(
        snt=1,
        wrd=n,
        corr=tally["C"],
        sub=tally["S"],
        dele=tally["D"],
        ins=tally["I"],
        s_err=int(errors > 0),
    )


_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)


def _fold(tokens: Sequence[str], case_sensitive: bool) -> list:
    """sclite (without ``-s``) folds ASCII letters only: ``É`` and ``é`` differ."""
    return list(tokens) if case_sensitive else [t.translate(_ASCII_LOWER) for t in tokens]


def count_errors(
    ref: Mapping[str, Sequence[str]],
    hyp: Mapping[str, Sequence[str]],
    costs: tuple = SCLITE_COSTS,
    case_sensitive: bool = False,
) -> ErrorCounts:
    """Sum :func:`align_counts` over utterances (ids of ``ref`` and ``hyp`` must agree).

    ``case_sensitive=False`` folds ASCII case as sclite does without ``-s``.
    """
    if set(ref) != set(hyp):
        raise ValueError("reference and hypothesis utterance ids differ")
    total = ErrorCounts(0, 0, 0, 0, 0, 0, 0)
    for k in sorted(ref):
        r = _fold(ref[k], case_sensitive)
        h = _fold(hyp[k], case_sensitive)
        total = total + align_counts(r, h, costs)
    return total


def levenshtein_errors(
    ref: Mapping[str, Sequence[str]],
    hyp: Mapping[str, Sequence[str]],
    case_sensitive: bool = False,
) -> int:
    """Total plain edit distance (unit costs) between ``ref`` and ``hyp`` units."""
    import editdistance  # test extra: only this cross-check needs it

    if set(ref) != set(hyp):
        raise ValueError("reference and hypothesis utterance ids differ")
    return sum(
        editdistance.eval(_fold(ref[k], case_sensitive), _fold(hyp[k], case_sensitive)) for k in ref
    )
