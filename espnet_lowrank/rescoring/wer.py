"""Word error rates (``editdistance`` on whitespace-split words) and oracle WER."""

from __future__ import annotations

from typing import Dict, Iterable, Mapping

import editdistance

from espnet_lowrank.rescoring.nbest import NBest


def check_same_ids(ref_ids: Iterable[str], hyp_ids: Iterable[str], what: str) -> None:
    """Raise ``ValueError`` naming the ids that only one side has."""
    r, h = set(ref_ids), set(hyp_ids)
    if r != h:
        raise ValueError(
            f"utterance ids differ between the reference and {what}: "
            f"only in reference {sorted(r - h)[:5]}, only in {what} {sorted(h - r)[:5]}"
        )


def word_errors(ref: str, hyp: str) -> int:
    """Substitutions + deletions + insertions between two word sequences."""
    return int(editdistance.eval(ref.split(), hyp.split()))


def corpus_wer(refs: Mapping[str, str], hyps: Mapping[str, str], what: str = "hypotheses") -> float:
    """Total word errors / total reference words over the same utterance ids.

    Raises:
        ValueError: ids differ (named), or the references have no words.
    """
    check_same_ids(refs, hyps, what)
    n_ref = sum(len(refs[k].split()) for k in refs)
    if n_ref == 0:
        raise ValueError("references contain no words: WER is undefined")
    return sum(word_errors(refs[k], hyps[k]) for k in refs) / n_ref


def oracle_wer(nbest: NBest, refs: Mapping[str, str]) -> float:
    """WER when each utterance takes its lowest-error hypothesis of the N-best."""
    best: Dict[str, str] = {
        u: min(hyps, key=lambda h: word_errors(refs.get(u, ""), h.text)).text
        for u, hyps in nbest.items()
    }
    return corpus_wer(refs, best, "N-best")
