"""Word confusions in one slot of a fixed-grammar corpus (the AV mini corpus' letters).

A GRID-style sentence has one word per slot ("bin blue at f two now": the letter is
slot 3), so where a hypothesis has the grammar's length its words line up with the
reference's by position, and the confusions of a slot can be counted without an
alignment. Given groups of words that look alike on the lips
(:func:`espnet_lowrank.corpora.mini_av.grid.letter_viseme_groups`), :func:`summarise`
tells how many of a model's slot errors stay inside a group, against the share that
errors spread uniformly over the slot's other words would give: a lip reader that
sees only the mouth should confuse within groups far more than chance, an audio model
should not.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Sequence, Tuple

from espnet_lowrank.scoring.trn import read_text


@dataclass(frozen=True)
class SlotSummary:
    """Counts of one slot: sentences compared, errors, errors inside a look-alike group,
    and the share of errors a uniform spread would put inside a group."""

    sentences: int
    skipped: int  # hypotheses of another length (not comparable by position)
    errors: int
    within_group: int
    chance_within: float
    confusions: Counter

    @property
    def within_share(self) -> float:
        return self.within_group / self.errors if self.errors else 0.0


def slot_confusions(
    ref_text: Path | str, hyp_text: Path | str, slot: int, n_words: int
) -> Tuple[Counter, int, int]:
    """``(Counter{(ref word, hyp word): n}, sentences compared, skipped)`` for position
    ``slot`` of sentences whose reference and hypothesis both have ``n_words`` words
    (Kaldi ``text`` files; an utterance missing from the hypothesis is skipped)."""
    ref, hyp = read_text(ref_text), read_text(hyp_text)
    if not 0 <= slot < n_words:
        raise ValueError(f"slot must be in 0..{n_words - 1}, not {slot}")
    counts: Counter = Counter()
    compared = skipped = 0
    for utt, words in ref.items():
        r, h = words.split(), hyp.get(utt, "").split()
        if len(r) != n_words or len(h) != n_words:
            skipped += 1
            continue
        compared += 1
        counts[(r[slot].lower(), h[slot].lower())] += 1
    return counts, compared, skipped


def summarise(
    counts: Counter, compared: int, skipped: int, vocabulary: Sequence[str],
    groups: Sequence[Sequence[str]],
) -> SlotSummary:  # fmt: skip
    """Errors of the slot, those inside a group, and the chance share: for each error
    with reference ``w`` (in a group of size ``g``), a uniform wrong word would land in
    its group with probability ``(g - 1) / (V - 1)``."""
    group_of: Dict[str, frozenset] = {}
    for g in groups:
        for w in g:
            group_of[w.lower()] = frozenset(x.lower() for x in g)
    v = len(vocabulary)
    errors = within = 0
    chance = 0.0
    for (r, h), n in counts.items():
        if r == h:
            continue
        errors += n
        g = group_of.get(r, frozenset([r]))
        if h in g:
            within += n
        chance += n * (len(g) - 1) / max(v - 1, 1)
    return SlotSummary(compared, skipped, errors, within, chance / errors if errors else 0.0,
                       counts)  # fmt: skip


def render(summary: SlotSummary, name: str, top: int = 10) -> List[str]:
    """Markdown lines: the slot's error counts, the within-group share against chance
    and the ``top`` most frequent confusions."""
    s = summary
    lines = [
        f"- {name}: {s.sentences} sentences compared by position ({s.skipped} of another "
        f"length skipped); {s.errors} slot errors, {s.within_group} of them "
        f"({100 * s.within_share:.0f} %) inside a look-alike group, against "
        f"{100 * s.chance_within:.0f} % for errors spread uniformly.",
    ]
    wrong = [(k, n) for k, n in s.confusions.most_common() if k[0] != k[1]][:top]
    if wrong:
        lines.append("  Most frequent: " + ", ".join(f"{r}→{h} {n}" for (r, h), n in wrong) + ".")
    return lines
