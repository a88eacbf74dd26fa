"""A tiny corpus in the exact LibriSpeech layout, shared by the data-prep and recipe tests.

``LibriSpeech/SPEAKERS.TXT`` (``;`` comment header, ``|`` columns, a name containing
``|``) and ``LibriSpeech/<part>/<reader>/<chapter>/`` with real FLAC files and
``<reader>-<chapter>.trans.txt``, for every part of the corpus.
"""

from __future__ import annotations

from pathlib import Path
from typing import Dict, List, Tuple

import numpy as np
import soundfile

SR = 16000

SPEAKERS_TXT = """\
; Some speakers in the corpus have more than one chapter; the same reader id is
; used for all of them.
;
;ID  |SEX| SUBSET           |MINUTES| NAME
60   | M | train-clean-100  | 20.18 | |CBW|Simon
103  | F | train-clean-100  | 25.00 | Karen Savage
1034 | M | dev-other        | 15.04 | Kevin O'Coin
1040 | F | train-clean-360  | 25.01 | Dana Dolan
1088 | F | train-other-500  | 29.97 | Ania
2412 | F | test-clean       | 15.02 | Sara
3005 | M | test-other       | 20.06 | Matthew Reece
"""

# part -> reader -> chapter -> transcripts
LAYOUT: Dict[str, Dict[str, Dict[str, List[str]]]] = {
    "dev-clean": {
        "103": {"1240": ["CHAPTER ONE", "MISSUS RACHEL LYNDE IS SURPRISED"]},
        "60": {"121082": ["IT'S   A  TEST"]},
    },
    "dev-other": {"1034": {"121119": ["THE GIRL", "WAS HERE", "AGAIN"]}},
    "test-clean": {"2412": {"153947": ["ONE WORD"]}},
    "test-other": {"3005": {"163389": ["TWO WORDS HERE"]}},
    "train-clean-100": {
        "103": {"1241": ["A B C", "D E"], "1242": ["F"]},
        "60": {"121083": ["G H"]},
    },
    "train-clean-360": {"1040": {"133433": ["I J"]}},
    "train-other-500": {"1088": {"129236": ["K L M"]}},
}


def make_librispeech(root: Path) -> Dict[str, Tuple[str, str, int]]:
    """Write the fixture corpus under ``root/LibriSpeech``.

    Returns utt id -> (part, transcript, number of samples).
    """
    rng = np.random.default_rng(0)
    corpus = root / "LibriSpeech"
    corpus.mkdir(parents=True)
    (corpus / "SPEAKERS.TXT").write_text(SPEAKERS_TXT, encoding="utf-8")
    expected = {}
    for part, readers in LAYOUT.items():
        for reader, chapters in readers.items():
            for chapter, texts in chapters.items():
                d = corpus / part / reader / chapter
                d.mkdir(parents=True)
                lines = []
                for i, text in enumerate(texts):
                    utt = f"{reader}-{chapter}-{i:04d}"
                    n = 1600 + 160 * len(expected)
                    wav = (rng.standard_normal(n) * 3000).astype(np.int16)
                    soundfile.write(d / f"{utt}.flac", wav, SR, format="FLAC")
                    lines.append(f"{utt} {text}")
                    expected[utt] = (part, " ".join(text.split()), n)
                (d / f"{reader}-{chapter}.trans.txt").write_text("\n".join(lines) + "\n")
    return expected
