"""The ``espeak-ng`` installation: its program, version, voices, and a synthetic speaker.

Shared by the command-line synthesis (:mod:`.tts`) and the library's phoneme
timings (:mod:`.phone_times`), which must agree on the voice and the sample rate.
"""

from __future__ import annotations

import functools
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

ESPEAK = "espeak-ng"
ESPEAK_RATE = 22050


def espeak_binary() -> str:
    """Path of the ``espeak-ng`` program; raises ``FileNotFoundError`` if absent."""
    path = shutil.which(ESPEAK)
    if path is None:
        raise FileNotFoundError(
            "espeak-ng not found on PATH: install the Debian package 'espeak-ng'"
        )
    return path


@functools.lru_cache(maxsize=1)
def espeak_version() -> str:
    """Version line of espeak-ng, e.g. ``eSpeak NG text-to-speech: 1.51 ...``."""
    out = subprocess.run([espeak_binary(), "--version"], capture_output=True, text=True, check=True)
    return out.stdout.strip()


def _data_dir() -> Path:
    m = re.search(r"Data at:\s*(\S+)", espeak_version())
    if m is None:
        raise RuntimeError(f"cannot find the data folder in {espeak_version()!r}")
    return Path(m.group(1))


@functools.lru_cache(maxsize=1)
def available_voices() -> frozenset:
    """Names of the installed espeak-ng voices (language codes and file names).

    MBROLA voices (``mb/...``) are left out: they need extra packages.
    """
    out = subprocess.run(
        [espeak_binary(), "--voices"], capture_output=True, text=True, check=True
    ).stdout
    names = set()
    for line in out.splitlines()[1:]:
        cols = line.split()
        if len(cols) < 5 or cols[4].startswith("mb/"):
            continue
        names.add(cols[1])
        names.add(cols[4].split("/")[-1].lower())
    return frozenset(names)


@functools.lru_cache(maxsize=1)
def available_variants() -> frozenset:
    """Names of the installed voice variants (files under ``voices/!v``)."""
    folder = _data_dir() / "voices" / "!v"
    if not folder.is_dir():
        raise FileNotFoundError(f"espeak-ng variant folder not found: {folder}")
    return frozenset(p.name for p in folder.iterdir())


@dataclass(frozen=True)
class Speaker:
    """A synthetic speaker: an espeak-ng voice, a variant, a pitch and a rate.

    Attributes:
        voice: espeak-ng voice (accent), e.g. ``en-us``.
        variant: variant name under ``voices/!v`` (e.g. ``f2``), or ``""``.
        pitch: espeak-ng pitch, 0-99 (``-p``).
        rate: speaking rate in words per minute (``-s``).
        code: short accent code used in the speaker id (letters only).
    """

    voice: str
    variant: str
    pitch: int
    rate: int
    code: str

    @property
    def spk_id(self) -> str:
        """Fixed-width id, e.g. ``us-f2-p50-r165`` (no speaker id prefixes another)."""
        var = self.variant or "base"
        return f"{self.code}-{var}-p{self.pitch:02d}-r{self.rate:03d}"

    @property
    def espeak_voice(self) -> str:
        """The ``-v`` argument: ``voice`` or ``voice+variant``."""
        return f"{self.voice}+{self.variant}" if self.variant else self.voice

    def validate(self) -> None:
        """Raise ``ValueError`` naming the field if espeak-ng lacks it."""
        if self.voice.lower() not in available_voices():
            raise ValueError(f"espeak-ng has no voice {self.voice!r}")
        if self.variant and self.variant not in available_variants():
            raise ValueError(f"espeak-ng has no voice variant {self.variant!r}")
        if not 0 <= self.pitch <= 99:
            raise ValueError(f"pitch must be in 0..99, got {self.pitch}")
        if not 80 <= self.rate <= 450:
            raise ValueError(f"rate must be in 80..450 wpm, got {self.rate}")
        if not self.code.isalpha():
            raise ValueError(f"speaker code must be letters only: {self.code!r}")
