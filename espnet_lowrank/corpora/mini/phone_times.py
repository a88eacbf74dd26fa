"""Phoneme timings from espeak-ng's C library (``libespeak-ng.so.1``) via ctypes.

The espeak-ng command line prints phonemes (``-x``) but their durations only
for MBROLA voices (``--pho``). The library reports a *phoneme event* with its
sample position for every phoneme it renders (``espeakINITIALIZE_PHONEME_EVENTS``),
so synthesising the same text with the same voice, rate and pitch once more
through the library gives start and end times of each phoneme in the audio the
command line wrote (same engine, same parameters; the command line only pads
more silence at the end). The library's own audio is thrown away.

Each call runs in a forked child process (see :func:`phone_times`).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import gc
import json
import os
from dataclasses import dataclass
from typing import List, Sequence

from espnet_lowrank.corpora.mini.espeak import ESPEAK_RATE, Speaker

_AUDIO_OUTPUT_SYNCHRONOUS = 2
_INIT_PHONEME_EVENTS = 0x0001
_EVENT_LIST_TERMINATED = 0
_EVENT_PHONEME = 7
_PARAM_RATE = 1
_PARAM_PITCH = 3
_POS_CHARACTER = 1
_CHARS_UTF8 = 1


class _EventId(ctypes.Union):
    _fields_ = [
        ("number", ctypes.c_int),
        ("name", ctypes.c_char_p),
        ("string", ctypes.c_char * 8),
    ]


class _Event(ctypes.Structure):
    """``espeak_EVENT`` of speak_lib.h (espeak-ng 1.49 and later)."""

    _fields_ = [
        ("type", ctypes.c_int),
        ("unique_identifier", ctypes.c_uint),
        ("text_position", ctypes.c_int),
        ("length", ctypes.c_int),
        ("audio_position", ctypes.c_int),
        ("sample", ctypes.c_int),
        ("user_data", ctypes.c_void_p),
        ("id", _EventId),
    ]


_CALLBACK = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(_Event)
)


@dataclass(frozen=True)
class PhoneTime:
    """One phoneme: espeak-ng mnemonic, start and end in seconds."""

    phone: str
    start: float
    end: float


@functools.lru_cache(maxsize=1)
def _library_name() -> str:
    """The espeak-ng library's file name, looked up once in the parent process
    (``find_library`` runs ``ldconfig`` in a subprocess: not in a forked child)."""
    return ctypes.util.find_library("espeak-ng") or "libespeak-ng.so.1"


class _Engine:
    """The library, initialised once per process, collecting events per call."""

    def __init__(self, name: str) -> None:
        try:
            self.lib = ctypes.CDLL(name)
        except OSError as err:
            raise OSError(
                f"cannot load the espeak-ng library ({name}): install the Debian "
                f"package 'libespeak-ng1' ({err})"
            ) from err
        rate = self.lib.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, 0, None, _INIT_PHONEME_EVENTS)
        if rate != ESPEAK_RATE:
            raise RuntimeError(f"libespeak-ng runs at {rate} Hz, expected {ESPEAK_RATE}")
        self.lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        self.lib.espeak_Synth.argtypes = [
            ctypes.c_char_p,
            ctypes.c_size_t,
            ctypes.c_uint,
            ctypes.c_int,
            ctypes.c_uint,
            ctypes.c_uint,
            ctypes.c_void_p,
            ctypes.c_void_p,
        ]
        self.samples = 0
        self.events: List[tuple] = []
        self._cb = _CALLBACK(self._on_audio)  # keep a reference: C holds it
        self.lib.espeak_SetSynthCallback(self._cb)

    def _on_audio(self, wav, num_samples: int, events) -> int:
        self.samples += max(num_samples, 0)
        i = 0
        while events[i].type != _EVENT_LIST_TERMINATED:
            ev = events[i]
            if ev.type == _EVENT_PHONEME:
                self.events.append((ev.id.string.decode("ascii"), ev.sample))
            i += 1
        return 0

    def run(self, text: str, speaker: Speaker) -> None:
        """Synthesise once; fills ``samples`` and ``events`` (mnemonic, sample)."""
        if self.lib.espeak_SetVoiceByName(speaker.espeak_voice.encode()) != 0:
            raise ValueError(f"libespeak-ng has no voice {speaker.espeak_voice!r}")
        self.lib.espeak_SetParameter(_PARAM_RATE, speaker.rate, 0)
        self.lib.espeak_SetParameter(_PARAM_PITCH, speaker.pitch, 0)
        self.samples, self.events = 0, []
        data = text.encode("utf-8")
        err = self.lib.espeak_Synth(
            data, len(data) + 1, 0, _POS_CHARACTER, 0, _CHARS_UTF8, None, None
        )
        if err != 0 or self.lib.espeak_Synchronize() != 0:
            raise RuntimeError(f"libespeak-ng failed ({err}) on {text!r}")


def _to_times(events: Sequence[tuple], total: int) -> List[PhoneTime]:
    """Phoneme (mnemonic, start sample) events -> times; a phone ends where the
    next starts, the last at ``total``. Zero-length entries are dropped."""
    out: List[PhoneTime] = []
    for k, (phone, start) in enumerate(events):
        end = events[k + 1][1] if k + 1 < len(events) else total
        if end > start:
            out.append(PhoneTime(phone, start / ESPEAK_RATE, end / ESPEAK_RATE))
    return out


def phone_times(text: str, speaker: Speaker) -> List[PhoneTime]:
    """Phonemes of ``text`` as spoken by ``speaker``, with times in seconds.

    The library keeps state between utterances (boundaries move by a few
    samples from one call to the next), so every call runs in a freshly forked
    child that initialises it: results then depend on the input only, like the
    command line's output. Raises ``RuntimeError`` with the child's error.
    """
    name = _library_name()
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child
        # The child inherits the parent's objects, some of which own threads that
        # did not survive the fork (a PyAV filter graph deadlocked freeing its
        # thread pool here): never let the garbage collector free them.
        gc.disable()
        status = 0
        try:
            os.close(read_fd)
            eng = _Engine(name)
            eng.run(text, speaker)
            payload = {"events": eng.events, "samples": eng.samples}
        except BaseException as err:  # report everything to the parent
            payload, status = {"error": f"{type(err).__name__}: {err}"}, 1
        with os.fdopen(write_fd, "w") as f:
            json.dump(payload, f)
        os._exit(status)
    os.close(write_fd)
    with os.fdopen(read_fd) as f:
        raw = f.read()
    os.waitpid(pid, 0)
    try:
        payload = json.loads(raw)
    except json.JSONDecodeError as err:
        raise RuntimeError(f"libespeak-ng child died on {text!r}") from err
    if "error" in payload:
        raise RuntimeError(f"libespeak-ng failed on {text!r}: {payload['error']}")
    return _to_times([tuple(e) for e in payload["events"]], payload["samples"])
