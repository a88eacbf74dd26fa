"""Assemble the mini corpus: sentences -> splits -> utterances -> data dirs.

Spoken text comes from Debian's fortune files (see :mod:`.text` for source and
licence): domain "B" (people, life, society) is spoken and gives the
in-domain LM text. Domain "A", the general LM text, is by default WordNet's
usage examples (:mod:`.wordnet`: short everyday sentences, a different style),
``general_sentences`` of them drawn with the seed; ``general_text="fortunes"``
takes it from the other fortune topics (computing, science, art, misc.)
instead. The vocabulary is the ``vocab_size`` most frequent words of
domain B that espeak-ng does not spell out; only domain-B sentences made of
vocabulary words are spoken.

Splits (sentences shuffled with the seed, then cut):

* ``test``: ``test_sentences`` sentences, each spoken once by a training
  speaker (seen voices: the headline number);
* ``dev``: ``dev_sentences`` other sentences, spoken the same way;
* ``test_unseen``: the ``test`` sentences spoken by speakers of held-out
  accents, so the accent gap is measured on identical text;
* ``train``: all remaining sentences, spoken in rounds (each round gives every
  sentence one more, different, speaker) until ``train_hours`` (estimated) or
  ``train_utts`` utterances are reached.

LM text (Kaldi ``text`` format): ``lm_general`` holds domain-A sentences,
``lm_indomain`` domain-B sentences; neither holds a dev/test sentence. By
default they keep sentences with out-of-vocabulary words (more text for the
LMs); ``lm_closed_vocab`` keeps only vocabulary sentences.

Everything random is drawn from generators seeded by ``seed`` (noise per
utterance from ``seed`` and the utterance id), so a seed gives identical
tables and identical WAV bytes whatever ``nj`` is.
"""

from __future__ import annotations

import json
import logging
import platform
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

from espnet_lowrank.corpora.mini import text as text_mod
from espnet_lowrank.corpora.mini.text import Sentence, iter_domain_sentences
from espnet_lowrank.corpora.mini.tts import (
    TARGET_RATE,
    Speaker,
    SynthJob,
    espeak_version,
    find_spelled_words,
    render_all,
)
from espnet_lowrank.corpora.mini.vocab import (
    in_vocabulary,
    select_vocabulary,
    word_counts,
)
from espnet_lowrank.corpora.mini.voices import VoiceConfig, draw_speakers
from espnet_lowrank.corpora.mini.wordnet import WORDNET_DIR, iter_wordnet_sentences
from espnet_lowrank.kaldi_dir import Utterance, write_data_dir

logger = logging.getLogger(__name__)

SPLITS = ("train", "dev", "test", "test_unseen")
SPOKEN_DOMAIN = "B"
GENERAL_DOMAIN = "A"
GENERAL_TEXTS = ("wordnet", "fortunes")


@dataclass(frozen=True)
class CorpusConfig:
    """Size and randomness knobs of the mini corpus (defaults: ~3 h of train)."""

    seed: int = 1
    vocab_size: int = 2000
    min_words: int = 3
    max_words: int = 16
    test_sentences: int = 700
    dev_sentences: int = 300
    train_hours: float = 3.0
    train_utts: Optional[int] = None
    snr_low: float = 15.0
    snr_high: float = 35.0
    lm_closed_vocab: bool = False
    phone_times: bool = True
    fortune_dir: str = str(text_mod.FORTUNE_DIR)
    general_text: str = "wordnet"  # or "fortunes": domain A's topic files
    general_sentences: Optional[int] = 20000  # domain-A sentences kept (None: all)
    wordnet_dir: str = str(WORDNET_DIR)
    voices: VoiceConfig = field(default_factory=VoiceConfig)

    @classmethod
    def smoke(cls, seed: int = 1) -> CorpusConfig:
        """A tiny corpus for CI: 60 train utterances, 20 per test set."""
        return cls(
            seed=seed,
            test_sentences=20,
            dev_sentences=20,
            train_utts=60,
            general_sentences=2000,
            voices=VoiceConfig(num_train_speakers=10, num_unseen_speakers=4),
        )

    def validate(self) -> None:
        """Raise ``ValueError`` naming the first bad setting."""
        if self.min_words < 1 or self.max_words < self.min_words:
            raise ValueError(
                f"need 1 <= min_words <= max_words, got {self.min_words}, {self.max_words}"
            )
        if self.test_sentences < 1 or self.dev_sentences < 1:
            raise ValueError("test_sentences and dev_sentences must be positive")
        if self.train_utts is None and self.train_hours <= 0:
            raise ValueError(f"train_hours must be positive, got {self.train_hours}")
        if self.train_utts is not None and self.train_utts < 1:
            raise ValueError(f"train_utts must be positive, got {self.train_utts}")
        if self.general_text not in GENERAL_TEXTS:
            raise ValueError(
                f"general_text must be one of {GENERAL_TEXTS}, got {self.general_text!r}"
            )
        if self.general_sentences is not None and self.general_sentences < 1:
            raise ValueError(
                f"general_sentences must be positive or None, got {self.general_sentences}"
            )
        if self.snr_low > self.snr_high:
            raise ValueError(f"snr range is empty: {self.snr_low} > {self.snr_high}")
        self.voices.validate()


@dataclass(frozen=True)
class PlannedUtt:
    """An utterance to synthesise (``speaker``: a :class:`.tts.Speaker`, or an
    :class:`.engines.EngineVoice` in the multi-engine corpus)."""

    split: str
    sent_id: str
    sentence: Sentence
    speaker: Any

    @property
    def utt_id(self) -> str:
        return f"{self.speaker.spk_id}_{self.sent_id}"


def estimate_seconds(sentence: Sentence, speaker: Speaker) -> float:
    """Rough espeak-ng duration (fitted on this corpus: ~0.45 s + 8.7 s*chars/wpm)."""
    return 0.45 + 8.7 * len(sentence.spoken) / speaker.rate


def _cycle(speakers: Sequence[Speaker], rng: np.random.Generator):
    """Endless stream of speakers: a fresh shuffled pass over all, repeatedly."""
    while True:
        for j in rng.permutation(len(speakers)):
            yield speakers[int(j)]


def plan_eval(
    split: str,
    sents: Sequence[Tuple[str, Sentence]],
    speakers: Sequence[Speaker],
    rng: np.random.Generator,
) -> List[PlannedUtt]:
    """Each sentence once, speakers dealt in shuffled passes."""
    stream = _cycle(speakers, rng)
    return [PlannedUtt(split, sid, s, next(stream)) for sid, s in sents]


def plan_train(
    sents: Sequence[Tuple[str, Sentence]],
    speakers: Sequence[Speaker],
    rng: np.random.Generator,
    hours: float,
    max_utts: Optional[int],
    estimate: Callable[[Sentence, Any], float] = estimate_seconds,
) -> List[PlannedUtt]:
    """Rounds over the sentences, a new speaker per sentence per round.

    Stops at ``max_utts`` utterances if given, else when the audio estimated by
    ``estimate(sentence, speaker)`` reaches ``hours``, or when every sentence has
    been said by every speaker.
    """
    stream = _cycle(speakers, rng)
    used: Dict[str, set] = {sid: set() for sid, _ in sents}
    plan: List[PlannedUtt] = []
    seconds = 0.0
    target = hours * 3600.0

    def done() -> bool:
        if max_utts is not None:
            return len(plan) >= max_utts
        return seconds >= target

    for _ in range(len(speakers)):
        for sid, s in sents:
            if done():
                return plan
            # 2n draws hold a whole shuffled pass, so an unused speaker is met
            for _ in range(2 * len(speakers)):
                spk = next(stream)
                if spk.spk_id not in used[sid]:
                    break
            else:  # pragma: no cover - impossible: fewer rounds than speakers
                raise RuntimeError(f"no unused speaker left for sentence {sid}")
            used[sid].add(spk.spk_id)
            plan.append(PlannedUtt("train", sid, s, spk))
            seconds += estimate(s, spk)
    logger.warning(
        "every train sentence was given to every speaker: %d utterances, about "
        "%.2f h (asked for %s)",
        len(plan),
        seconds / 3600.0,
        f"{max_utts} utterances" if max_utts is not None else f"{hours} h",
    )
    return plan


def split_by_coverage(
    sents: Sequence[Tuple[str, Sentence]], n_test: int, n_dev: int
) -> Tuple[List[Tuple[str, Sentence]], ...]:
    """Cut shuffled sentences into (test, dev, train), in their order.

    A sentence goes to test (then dev) only if each of its words still occurs
    in a sentence left for train, so every word of dev/test is heard in
    training (a closed vocabulary in the ASR sense). Raises ``ValueError`` if
    test and dev cannot be filled that way.
    """
    left: Counter = Counter(w for _, s in sents for w in s.words)
    test: List[Tuple[str, Sentence]] = []
    dev: List[Tuple[str, Sentence]] = []
    train: List[Tuple[str, Sentence]] = []
    for sid, s in sents:
        target = test if len(test) < n_test else dev if len(dev) < n_dev else None
        own = Counter(s.words)
        if target is not None and all(left[w] > c for w, c in own.items()):
            target.append((sid, s))
            left.subtract(own)
        else:
            train.append((sid, s))
    if len(test) < n_test or len(dev) < n_dev or not train:
        raise ValueError(
            f"cannot pick {n_test} test and {n_dev} dev sentences whose words all "
            f"occur in training from {len(sents)} in-vocabulary sentences: raise "
            f"vocab_size or lower the test/dev sizes"
        )
    return test, dev, train


def synth_jobs(
    plans: Dict[str, List[PlannedUtt]],
    wav_dir: Path,
    seed: int,
    snr_low: float,
    snr_high: float,
    phone_times: bool,
) -> List[SynthJob]:
    """One synthesis job per planned utterance, WAVs at ``wav_dir/<split>/<utt_id>.wav``."""
    return [
        SynthJob(
            utt_id=p.utt_id,
            spoken=p.sentence.spoken,
            speaker=p.speaker,
            wav_path=str(wav_dir / split / f"{p.utt_id}.wav"),
            seed=seed,
            snr_low=snr_low,
            snr_high=snr_high,
            phone_times=phone_times,
        )
        for split in SPLITS
        for p in plans[split]
    ]


def planned_utterances(
    split: str,
    planned: Sequence[PlannedUtt],
    wav_dir: Path,
    results: Dict,
    extra: Optional[Callable[[PlannedUtt], Dict[str, str]]] = None,
) -> List[Utterance]:
    """The data-dir rows of one split's synthesised utterances: text, speaker, WAV path,
    ``phonemes`` (from ``results``) and the tables ``extra(p)`` adds."""
    return [
        Utterance(
            utt_id=p.utt_id,
            spk_id=p.speaker.spk_id,
            wav=str(wav_dir / split / f"{p.utt_id}.wav"),
            text=p.sentence.text,
            extra={"phonemes": results[p.utt_id].phonemes, **(extra(p) if extra else {})},
        )
        for p in planned
    ]


def write_phones_ctm(path: Path, utt_ids: Sequence[str], results: Dict) -> None:
    """Write ``utt 1 start dur phone`` lines (ms precision), utterances in sorted order."""
    lines = [
        f"{utt} 1 {start:.3f} {end - start:.3f} {ph}\n"
        for utt in sorted(utt_ids)
        for ph, start, end in results[utt].phones
    ]
    path.write_text("".join(lines), encoding="utf-8")


def _kaldi_text(rows: Sequence[Tuple[str, Sentence]]) -> str:
    return "".join(f"{k} {s.text}\n" for k, s in sorted(rows, key=lambda r: r[0]))


def _general_source(cfg: CorpusConfig) -> str:
    """Where domain A comes from, for the notice."""
    if cfg.general_text == "fortunes":
        return "fortune topics " + ", ".join(text_mod.DOMAINS[GENERAL_DOMAIN])
    return f"""usage examples of WordNet 3.0 ({cfg.wordnet_dir}, Debian package
wordnet-base; WordNet 3.0 Copyright 2006 by Princeton University, all rights
reserved, used under the WordNet 3.0 licence, see
/usr/share/doc/wordnet-base/copyright)"""


def _notice(cfg: CorpusConfig) -> str:
    a = _general_source(cfg)
    b = ", ".join(text_mod.DOMAINS[SPOKEN_DOMAIN])
    return f"""Mini speech corpus for egs2/mini_lowrank (made by espnet_lowrank)

Text source: Debian packages "fortunes" and "fortunes-min" (fortune-mod 1.99.1
cookie files, {cfg.fortune_dir}). The collection is distributed under the BSD
licence of the Regents of the University of California; see
/usr/share/doc/fortunes/copyright. Quotations belong to their authors. This
folder holds normalised sentences derived from them (transcripts and LM
text); keep this note with any copy.

Domain A (general LM text, lm_general): {a}
Domain B (spoken sets and in-domain LM text, lm_indomain): {b}

Speech: synthesised with the espeak-ng program, GPL-3.0-or-later
({espeak_version()}).
Accents in train/dev/test: {", ".join(cfg.voices.train_accents)}.
Held-out accents (test_unseen only): {", ".join(cfg.voices.unseen_accents)}.
Noise added, resampled to {TARGET_RATE} Hz, 16-bit PCM mono WAV.
Seed: {cfg.seed}. Details: corpus_info.json.
"""


@dataclass(frozen=True)
class TextPools:
    """The text side of a corpus: both domains, the vocabulary, the spoken pool.

    Attributes:
        domains: domain letter -> usable sentences (A general, B spoken).
        rejected: domain letter -> reason -> sentences rejected.
        vocab: the closed vocabulary (most frequent first).
        spoken_pool: (sentence id ``b<index>``, sentence) of domain B in the vocabulary.
    """

    domains: Dict[str, List[Sentence]]
    rejected: Dict[str, Dict[str, int]]
    vocab: List[str]
    spoken_pool: List[Tuple[str, Sentence]]


def prepare_text(cfg: CorpusConfig, needed: int) -> TextPools:
    """Read both domains, pick the vocabulary and the in-vocabulary spoken sentences.

    Raises ``ValueError`` if fewer than ``needed`` in-vocabulary sentences exist.
    """
    rejected: Dict[str, Dict[str, int]] = {}
    domains: Dict[str, List[Sentence]] = {}
    for dom in (GENERAL_DOMAIN, SPOKEN_DOMAIN):
        rejected[dom] = {}
        if dom == GENERAL_DOMAIN and cfg.general_text == "wordnet":
            found = iter_wordnet_sentences(
                cfg.wordnet_dir, cfg.min_words, cfg.max_words, rejected[dom]
            )
        else:
            found = iter_domain_sentences(
                dom, cfg.fortune_dir, cfg.min_words, cfg.max_words, rejected[dom]
            )
        domains[dom] = text_mod.unique_sentences(list(found))
    # a sentence found in both domains (repeated across topic files) is B only
    spoken_texts = {s.text for s in domains[SPOKEN_DOMAIN]}
    general = [s for s in domains[GENERAL_DOMAIN] if s.text not in spoken_texts]
    if cfg.general_sentences is not None and len(general) > cfg.general_sentences:
        keep = np.random.default_rng([cfg.seed, 7]).choice(
            len(general), cfg.general_sentences, replace=False
        )
        general = [general[i] for i in sorted(keep)]
    domains[GENERAL_DOMAIN] = general
    for dom, sents in domains.items():
        logger.info("domain %s: %d usable sentences", dom, len(sents))

    vocab = select_vocabulary(
        word_counts(domains[SPOKEN_DOMAIN]), cfg.vocab_size, find_spelled_words
    )
    vocab_set = frozenset(vocab)
    spoken_pool = [
        (f"b{i:05d}", s)
        for i, s in enumerate(domains[SPOKEN_DOMAIN])
        if in_vocabulary(s, vocab_set)
    ]
    logger.info("vocabulary %d words: %d spoken-domain sentences", len(vocab), len(spoken_pool))
    if len(spoken_pool) < needed:
        raise ValueError(
            f"only {len(spoken_pool)} in-vocabulary sentences, need at least {needed} "
            f"(test + dev + train sentences): raise vocab_size or lower the test/dev sizes"
        )
    return TextPools(domains, rejected, vocab, spoken_pool)


def shuffled_pool(cfg: CorpusConfig, pools: TextPools) -> List[Tuple[str, Sentence]]:
    """The spoken pool in the seed's order (the order the splits are cut in)."""
    order = np.random.default_rng([cfg.seed, 0]).permutation(len(pools.spoken_pool))
    return [pools.spoken_pool[int(i)] for i in order]


def write_lm_texts(
    cfg: CorpusConfig, pools: TextPools, data_dir: Path, eval_texts: set
) -> Dict[str, Dict]:
    """Write ``data_dir/{lm_general,lm_indomain}/text`` (no sentence of ``eval_texts``);
    returns their sizes and OOV rates for ``corpus_info``."""
    vocab_set = frozenset(pools.vocab)
    out: Dict[str, Dict] = {}
    for name, dom, prefix in (
        ("lm_general", GENERAL_DOMAIN, "a"),
        ("lm_indomain", SPOKEN_DOMAIN, "b"),
    ):
        rows = [
            (f"{prefix}{i:05d}", s)
            for i, s in enumerate(pools.domains[dom])
            if s.text not in eval_texts and (not cfg.lm_closed_vocab or in_vocabulary(s, vocab_set))
        ]
        (data_dir / name).mkdir(parents=True, exist_ok=True)
        (data_dir / name / "text").write_text(_kaldi_text(rows), encoding="utf-8")
        words = sum(len(s.words) for _, s in rows)
        out[name] = {
            "sentences": len(rows),
            "words": words,
            "oov_rate": round(
                sum(w not in vocab_set for _, s in rows for w in s.words) / max(1, words), 4
            ),
        }
    return out


def shared_info(
    cfg: CorpusConfig,
    pools: TextPools,
    plans: Dict[str, List[PlannedUtt]],
    train_available: int,
    speakers: Dict[str, Sequence],
    lm_text: Dict[str, Dict],
) -> Dict:
    """The ``corpus_info`` entries both corpus builders write: seed, rate, vocabulary,
    LM text sizes, sentence counts, domains and speaker ids (``speakers``: list name ->
    speakers with ``spk_id``)."""
    return {
        "seed": cfg.seed,
        "sample_rate": TARGET_RATE,
        "vocabulary_size": len(pools.vocab),
        "vocabulary_words_in_train": len({w for p in plans["train"] for w in p.sentence.words}),
        "lm_text": lm_text,
        "sentences": {
            "domain_A_usable": len(pools.domains[GENERAL_DOMAIN]),
            "domain_B_usable": len(pools.domains[SPOKEN_DOMAIN]),
            "domain_B_in_vocabulary": len(pools.spoken_pool),
            "train_sentences_available": train_available,
            "rejected": pools.rejected,
        },
        "domains": {
            GENERAL_DOMAIN: [f"wordnet:{cfg.wordnet_dir}"]
            if cfg.general_text == "wordnet"
            else list(text_mod.DOMAINS[GENERAL_DOMAIN]),
            SPOKEN_DOMAIN: list(text_mod.DOMAINS[SPOKEN_DOMAIN]),
        },
        "speakers": {name: [s.spk_id for s in spk] for name, spk in speakers.items()},
    }


def write_local(
    data_dir: Path, wav_dir: Path, info: Dict, vocab: Sequence[str], notice: str
) -> None:
    """Write ``data_dir/local/{corpus_info.json,vocab.txt,README,LICENSE-NOTE}`` and
    ``wav_dir/LICENSE-NOTE``."""
    local = data_dir / "local"
    local.mkdir(parents=True, exist_ok=True)
    (local / "corpus_info.json").write_text(
        json.dumps(info, indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )
    (local / "vocab.txt").write_text("".join(f"{w}\n" for w in sorted(vocab)))
    (local / "README").write_text(notice, encoding="utf-8")
    (local / "LICENSE-NOTE").write_text(notice, encoding="utf-8")
    wav_dir.mkdir(parents=True, exist_ok=True)
    (wav_dir / "LICENSE-NOTE").write_text(notice, encoding="utf-8")


def split_info(planned: Sequence, samples: int) -> Dict:
    """Utterances, sentences, words, hours and speakers of one split's plan."""
    return {
        "utterances": len(planned),
        "sentences": len({p.sent_id for p in planned}),
        "words": sum(len(p.sentence.words) for p in planned),
        "hours": round(samples / TARGET_RATE / 3600.0, 4),
        "speakers": len({p.speaker.spk_id for p in planned}),
    }


def build_corpus(cfg: CorpusConfig, data_dir: Path | str, wav_dir: Path | str, nj: int = 1) -> Dict:
    """Make the whole corpus; returns the ``corpus_info`` dict it also writes.

    Writes ``data_dir/{train,dev,test,test_unseen}/{wav.scp,text,utt2spk,
    spk2utt,phonemes,phones.ctm}`` (``phonemes``: espeak-ng ``-x`` mnemonics,
    clauses split by ``|``; ``phones.ctm``: ``utt 1 start dur phone`` per
    phoneme, ``_``/``_:`` are pauses, only if ``phone_times``),
    ``data_dir/{lm_general,lm_indomain}/text`` and
    ``data_dir/local/{corpus_info.json,vocab.txt,README,LICENSE-NOTE}``; WAVs go
    to ``wav_dir/<split>/<utt_id>.wav`` and ``wav.scp`` names them by the
    path as given (keep it relative to the recipe for portable tables).
    """
    cfg.validate()
    t0 = time.time()
    data_dir, wav_dir = Path(data_dir), Path(wav_dir)
    pools = prepare_text(cfg, cfg.test_sentences + cfg.dev_sentences + 1)
    test_s, dev_s, train_s = split_by_coverage(
        shuffled_pool(cfg, pools), cfg.test_sentences, cfg.dev_sentences
    )

    spk_rng = np.random.default_rng([cfg.seed, 1])
    train_spk = draw_speakers(
        cfg.voices.train_accents, cfg.voices.num_train_speakers, cfg.voices, spk_rng
    )
    unseen_spk = draw_speakers(
        cfg.voices.unseen_accents, cfg.voices.num_unseen_speakers, cfg.voices, spk_rng
    )
    plans: Dict[str, List[PlannedUtt]] = {
        "train": plan_train(
            train_s,
            train_spk,
            np.random.default_rng([cfg.seed, 2]),
            cfg.train_hours,
            cfg.train_utts,
        ),
        "dev": plan_eval("dev", dev_s, train_spk, np.random.default_rng([cfg.seed, 3])),
        "test": plan_eval("test", test_s, train_spk, np.random.default_rng([cfg.seed, 4])),
        "test_unseen": plan_eval(
            "test_unseen", test_s, unseen_spk, np.random.default_rng([cfg.seed, 5])
        ),
    }
    jobs = synth_jobs(plans, wav_dir, cfg.seed, cfg.snr_low, cfg.snr_high, cfg.phone_times)
    t1 = time.time()
    results = render_all(jobs, nj=nj, desc="espeak-ng")
    t2 = time.time()

    info_splits: Dict[str, Dict] = {}
    for split in SPLITS:
        utts = planned_utterances(split, plans[split], wav_dir, results)
        write_data_dir(data_dir / split, utts)
        if cfg.phone_times:
            write_phones_ctm(
                data_dir / split / "phones.ctm", [p.utt_id for p in plans[split]], results
            )
        samples = sum(results[p.utt_id].num_samples for p in plans[split])
        info_splits[split] = {
            **split_info(plans[split], samples),
            "accents": sorted({p.speaker.voice for p in plans[split]}),
            "variants": sorted({p.speaker.variant or "base" for p in plans[split]}),
        }

    eval_texts = {s.text for _, s in test_s} | {s.text for _, s in dev_s}
    lm_text = write_lm_texts(cfg, pools, data_dir, eval_texts)
    speakers = {"train": train_spk, "test_unseen": unseen_spk}
    info = {
        **shared_info(cfg, pools, plans, len(train_s), speakers, lm_text),
        "espeak_ng_version": espeak_version(),
        "splits": info_splits,
        "config": config_dict(cfg),
    }
    write_local(data_dir, wav_dir, info, pools.vocab, _notice(cfg))
    logger.info(
        "corpus done in %.1f s (text %.1f s, synthesis %.1f s with nj=%d, python %s)",
        time.time() - t0,
        t1 - t0,
        t2 - t1,
        nj,
        platform.python_version(),
    )
    return info


def config_dict(cfg) -> Dict:
    """A corpus config dataclass with a ``voices`` field as JSON-ready dict (tuples -> lists)."""
    d = asdict(cfg)
    d["voices"] = {k: list(v) if isinstance(v, tuple) else v for k, v in d["voices"].items()}
    return d
