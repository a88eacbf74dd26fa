"""Forced-choice scoring of one slot of a fixed grammar: a trained AV model's posterior
over the slot's words, given the rest of the sentence.

A decoding shows only the model's best word, so when a model gets few letters of the
AV mini corpus right its confusions say little. Here the reference sentence is scored
with every candidate word in the slot (the other words kept), by the attention decoder's
log-likelihood (ESPnet's ``nll``: no label smoothing) over one encoding of the
utterance; a softmax over the candidates gives ``P(candidate | audio, video, rest of the
sentence)``. Averaged over the utterances of each reference word, that is a soft
confusion matrix, whose mass on the wrong words of a look-alike group
(:func:`espnet_lowrank.corpora.mini_av.grid.letter_viseme_groups`) can be compared with
the share a uniform spread gives: a lip reader should put far more of its doubt inside
the groups than chance, an audio model should not.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch


@torch.no_grad()
def slot_posterior(
    model: torch.nn.Module,
    words: Sequence[str],
    slot: int,
    candidates: Sequence[str],
    token_to_id: Dict[str, int],
    speech: Optional[torch.Tensor] = None,
    video: Optional[torch.Tensor] = None,
    modality: str = "av",
) -> np.ndarray:
    """``P(candidate | inputs, words except slot)`` for each of ``candidates``, shape ``(C,)``.

    Args:
        model: an :class:`~espnet_lowrank.avsr.model.AVSRModel` in eval mode, with word tokens.
        words: the reference sentence (its tokens, e.g. ``["BIN", "BLUE", "AT", "F", ...]``).
        slot: the position that takes each candidate.
        candidates: the words tried in ``slot`` (tokens of ``token_to_id``).
        token_to_id: the model's token list as ``{token: id}``.
        speech: ``(S,)`` raw 16 kHz audio (``None`` for a video-only model).
        video: ``(T, H, W)`` mouth crops (``None`` for an audio-only model).
        modality: which streams the model sees (``av``, ``audio``, ``video``).
    """
    unknown = [w for w in (*words, *candidates) if w not in token_to_id]
    if unknown:
        raise ValueError(f"words not in the model's token list: {sorted(set(unknown))}")
    inputs: Dict[str, Optional[torch.Tensor]] = {}
    for name, x in (("speech", speech), ("video", video)):
        if x is None:
            inputs[name] = inputs[f"{name}_lengths"] = None
        else:
            inputs[name] = x.unsqueeze(0)
            inputs[f"{name}_lengths"] = torch.tensor([x.shape[0]])
    enc, enc_lens = model.encode(**inputs, modality=modality)
    if isinstance(enc, tuple):  # intermediate CTC outputs: the final layer
        enc = enc[0]
    ids = [[token_to_id[c if i == slot else w] for i, w in enumerate(words)] for c in candidates]
    ys = torch.tensor(ids)
    n = len(candidates)
    nll = model.nll(enc.expand(n, -1, -1), enc_lens.expand(n), ys,
                    torch.full((n,), len(words)))  # fmt: skip
    return torch.softmax(-nll.double(), dim=0).numpy()


@dataclass
class SoftConfusion:
    """Posteriors of one slot over a test set: ``matrix[i, j]`` is the mean posterior of
    ``words[j]`` over the utterances whose reference is ``words[i]`` (rows sum to 1; a row
    of a word never seen is zero), ``counts[i]`` those utterances."""

    words: List[str]
    matrix: np.ndarray
    counts: np.ndarray
    correct: int  # utterances whose most probable candidate is the reference

    @classmethod
    def from_posteriors(
        cls, words: Sequence[str], refs: Sequence[str], posteriors: Sequence[np.ndarray]
    ) -> SoftConfusion:
        index = {w: i for i, w in enumerate(words)}
        v = len(words)
        total, counts = np.zeros((v, v)), np.zeros(v, dtype=int)
        correct = 0
        for ref, p in zip(refs, posteriors):
            i = index[ref]
            total[i] += p
            counts[i] += 1
            correct += int(np.argmax(p) == i)
        matrix = total / np.maximum(counts, 1)[:, None]
        return cls(list(words), matrix, counts, correct)

    def within_group(self, groups: Sequence[Sequence[str]]) -> tuple:
        """``(share, chance)``: of the posterior mass on wrong words (over utterances),
        the share on words of the reference's group, and the share a uniform spread of
        that mass over the other ``V - 1`` words would put there."""
        index = {w: i for i, w in enumerate(self.words)}
        group_of = {w: [index[x] for x in g] for g in groups for w in g}
        v = len(self.words)
        wrong = inside = chance = 0.0
        for i, w in enumerate(self.words):
            n = self.counts[i]
            if not n:
                continue
            mass = n * (1.0 - self.matrix[i, i])
            members = [j for j in group_of.get(w, [i]) if j != i]
            wrong += mass
            inside += n * self.matrix[i, members].sum()
            chance += mass * len(members) / (v - 1)
        return (inside / wrong, chance / wrong) if wrong else (0.0, 0.0)

    def render(self, name: str, groups: Sequence[Sequence[str]], top: int = 10) -> List[str]:
        """Markdown lines: accuracy, mean posterior of the reference, the within-group
        share of the doubt against chance, and the largest off-diagonal cells."""
        n = int(self.counts.sum())
        share, chance = self.within_group(groups)
        ref_mass = float((self.matrix.diagonal() * self.counts).sum() / max(n, 1))
        lines = [
            f"- {name}: {n} utterances, forced choice among {len(self.words)} words: "
            f"{self.correct} ({100 * self.correct / max(n, 1):.1f} %) right, mean posterior "
            f"of the reference {ref_mass:.3f}; of the posterior on wrong words, "
            f"{100 * share:.1f} % inside a look-alike group, against {100 * chance:.1f} % "
            "for a uniform spread.",
        ]
        cells = [(self.matrix[i, j], self.words[i], self.words[j])
                 for i in range(len(self.words)) for j in range(len(self.words))
                 if i != j and self.counts[i]]  # fmt: skip
        cells.sort(reverse=True)
        if cells and top:
            lines.append("  Largest: " + ", ".join(f"{r}→{h} {p:.2f}" for p, r, h in cells[:top])
                         + ".")  # fmt: skip
        return lines
