"""Synthetic speakers: which espeak-ng accents, variants, pitches and rates.

A speaker is one combination of accent voice, variant, pitch and rate. The
training accents and the held-out accents (for ``test_unseen``) are disjoint;
variants, pitches and rates are shared, because the point of ``test_unseen``
is the accent. MBROLA voices (``mb-*``) are not used: they need extra packages.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List, Sequence, Tuple

import numpy as np

from espnet_lowrank.corpora.mini.tts import Speaker

# espeak-ng voice -> short code used in speaker ids
ACCENT_CODES: Dict[str, str] = {
    "en": "gb",
    "en-us": "us",
    "en-gb-x-rp": "rp",
    "en-029": "cb",
    "en-gb-x-gbclan": "lc",
    "en-gb-scotland": "sc",
    "en-gb-x-gbcwmd": "wm",
    "en-us-nyc": "ny",
}
TRAIN_ACCENTS: Tuple[str, ...] = (
    "en",
    "en-us",
    "en-gb-x-rp",
    "en-029",
    "en-gb-x-gbclan",
)
UNSEEN_ACCENTS: Tuple[str, ...] = ("en-gb-scotland", "en-gb-x-gbcwmd", "en-us-nyc")
VARIANTS: Tuple[str, ...] = (
    "",
    "m1",
    "m2",
    "m3",
    "m4",
    "m5",
    "m6",
    "m7",
    "f1",
    "f2",
    "f3",
    "f4",
    "f5",
    "klatt",
    "klatt2",
    "klatt3",
)
PITCHES: Tuple[int, ...] = (30, 40, 50, 60, 70)
RATES: Tuple[int, ...] = (150, 155, 160, 165, 170, 175, 180)


@dataclass(frozen=True)
class VoiceConfig:
    """Which voices exist in the corpus and how many speakers each split has."""

    train_accents: Tuple[str, ...] = TRAIN_ACCENTS
    unseen_accents: Tuple[str, ...] = UNSEEN_ACCENTS
    variants: Tuple[str, ...] = VARIANTS
    pitches: Tuple[int, ...] = PITCHES
    rates: Tuple[int, ...] = RATES
    num_train_speakers: int = 60
    num_unseen_speakers: int = 24

    def validate(self) -> None:
        """Raise ``ValueError`` naming the bad accent or setting."""
        overlap = set(self.train_accents) & set(self.unseen_accents)
        if overlap:
            raise ValueError(f"accents both seen and unseen: {sorted(overlap)}")
        for acc in (*self.train_accents, *self.unseen_accents):
            if acc not in ACCENT_CODES:
                raise ValueError(
                    f"no speaker-id code for accent {acc!r}; known: {sorted(ACCENT_CODES)}"
                )
        for name, n, accents in (
            ("train", self.num_train_speakers, self.train_accents),
            ("unseen", self.num_unseen_speakers, self.unseen_accents),
        ):
            if not accents:
                raise ValueError(f"no {name} accents given")
            room = len(accents) * len(self.variants) * len(self.pitches)
            if not 1 <= n <= room * len(self.rates):
                raise ValueError(f"{n} {name} speakers do not fit the voice grid")


def draw_speakers(
    accents: Sequence[str], num: int, cfg: VoiceConfig, rng: np.random.Generator
) -> List[Speaker]:
    """Draw ``num`` distinct speakers, spread evenly over ``accents``.

    Variants are dealt from shuffled decks (each variant used before any is
    reused); pitch and rate are drawn uniformly. Result sorted by speaker id.
    """
    speakers: Dict[str, Speaker] = {}
    decks: Dict[str, List[str]] = {a: [] for a in accents}
    i = 0
    while len(speakers) < num:
        if i > 100 * num + 1000:
            raise ValueError(f"cannot draw {num} distinct speakers from {accents}")
        acc = accents[i % len(accents)]
        i += 1
        if not decks[acc]:
            decks[acc] = [cfg.variants[j] for j in rng.permutation(len(cfg.variants))]
        spk = Speaker(
            voice=acc,
            variant=decks[acc].pop(),
            pitch=int(rng.choice(cfg.pitches)),
            rate=int(rng.choice(cfg.rates)),
            code=ACCENT_CODES[acc],
        )
        speakers.setdefault(spk.spk_id, spk)
    out = [speakers[k] for k in sorted(speakers)]
    for spk in out:
        spk.validate()
    return out
