"""End-to-end tests of the mini corpus builder, its CLI and local/data.sh.

A tiny corpus (a few dozen utterances) is built from the installed fortune
files with espeak-ng; the invariants checked are those the recipe relies on.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import wave
from pathlib import Path
from typing import Dict

import numpy as np
import pytest

from espnet_lowrank.corpora.mini.corpus import SPLITS, CorpusConfig, build_corpus
from espnet_lowrank.corpora.mini.text import FORTUNE_DIR
from espnet_lowrank.corpora.mini.voices import VoiceConfig
from espnet_lowrank.kaldi_dir import read_table

REPO = Path(__file__).resolve().parents[3]
TABLES = ("wav.scp", "text", "utt2spk", "spk2utt", "phonemes")

pytestmark = pytest.mark.skipif(
    shutil.which("espeak-ng") is None or not FORTUNE_DIR.is_dir(),
    reason="needs espeak-ng and the Debian 'fortunes' package",
)

TINY = CorpusConfig(
    seed=7,
    test_sentences=8,
    dev_sentences=6,
    train_utts=24,
    general_sentences=300,
    voices=VoiceConfig(num_train_speakers=6, num_unseen_speakers=3),
)


def _build(root: Path, cfg: CorpusConfig, nj: int) -> Dict:
    """Build in ``root`` with relative paths, as a recipe does."""
    root.mkdir(parents=True, exist_ok=True)
    cwd = os.getcwd()
    os.chdir(root)
    try:
        return build_corpus(cfg, "data", "downloads/wav", nj=nj)
    finally:
        os.chdir(cwd)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("mini") / "run1"
    _build(root, TINY, nj=1)
    return root


def _files(root: Path) -> Dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def test_vocabulary_closure(corpus: Path) -> None:
    vocab = set((corpus / "data/local/vocab.txt").read_text().split())
    info = json.loads((corpus / "data/local/corpus_info.json").read_text())
    assert len(vocab) == info["vocabulary_size"] == TINY.vocab_size
    for split in SPLITS:
        for utt, text in read_table(corpus / "data" / split / "text").items():
            words = text.split()
            assert words, utt
            assert set(words) <= vocab, (split, utt, set(words) - vocab)
            assert all(w.replace("'", "").isalpha() and w.isupper() for w in words)


def test_splits_disjoint(corpus: Path) -> None:
    texts = {s: set(read_table(corpus / "data" / s / "text").values()) for s in SPLITS}
    assert not texts["train"] & texts["dev"]
    assert not texts["train"] & texts["test"]
    assert not texts["dev"] & texts["test"]
    assert texts["test_unseen"] == texts["test"]
    spk = {s: set(read_table(corpus / "data" / s / "utt2spk").values()) for s in SPLITS}
    assert spk["dev"] <= spk["train"] and spk["test"] <= spk["train"]
    accent = {s: {x.split("-")[0] for x in spk[s]} for s in SPLITS}
    assert not accent["test_unseen"] & accent["train"]
    lm_in = set(read_table(corpus / "data/lm_indomain/text").values())
    lm_gen = set(read_table(corpus / "data/lm_general/text").values())
    assert texts["train"] <= lm_in
    assert not (texts["dev"] | texts["test"]) & (lm_in | lm_gen)
    assert not lm_in & lm_gen
    # the general domain is WordNet's usage examples by default, sampled to the size asked
    assert len(lm_gen) == TINY.general_sentences
    assert "WordNet 3.0" in (corpus / "data/local/README").read_text()


def test_data_dirs_sorted_and_consistent(corpus: Path) -> None:
    info = json.loads((corpus / "data/local/corpus_info.json").read_text())
    for split in SPLITS:
        d = corpus / "data" / split
        tables = {t: read_table(d / t) for t in TABLES}
        for t in TABLES:
            keys = [ln.split(" ", 1)[0] for ln in (d / t).read_text().splitlines()]
            assert keys == sorted(keys), (split, t)
        ids = list(tables["wav.scp"])
        for t in ("text", "utt2spk", "phonemes"):
            assert list(tables[t]) == ids, (split, t)
        spk2utt = {s: u.split() for s, u in tables["spk2utt"].items()}
        assert sorted(u for us in spk2utt.values() for u in us) == ids
        for utt, spk in tables["utt2spk"].items():
            assert utt.startswith(spk + "_") and utt in spk2utt[spk]
        for utt, wav in tables["wav.scp"].items():
            assert wav == f"downloads/wav/{split}/{utt}.wav"
            assert (corpus / wav).is_file()
        assert info["splits"][split]["utterances"] == len(ids)
        words = sum(len(x.split()) for x in tables["text"].values())
        assert info["splits"][split]["words"] == words
    assert info["splits"]["train"]["utterances"] == TINY.train_utts
    assert info["splits"]["test"]["sentences"] == TINY.test_sentences
    assert (corpus / "data/local/LICENSE-NOTE").read_text().count("fortunes") >= 1


def test_wavs_16k_mono_int16_nonsilent(corpus: Path) -> None:
    for split in ("train", "test_unseen"):
        wavs = read_table(corpus / "data" / split / "wav.scp")
        texts = read_table(corpus / "data" / split / "text")
        for utt, path in list(wavs.items())[:6]:
            with wave.open(str(corpus / path), "rb") as w:
                assert w.getframerate() == 16000
                assert w.getnchannels() == 1 and w.getsampwidth() == 2
                x = np.frombuffer(w.readframes(w.getnframes()), "<i2").astype(float)
            seconds = x.size / 16000
            n_words = len(texts[utt].split())
            # 150-180 wpm with pauses: between 0.2 and 0.8 s per word
            assert 0.2 * n_words < seconds < 0.8 * n_words + 1.0, (utt, seconds)
            assert np.sqrt(np.mean(x**2)) > 300, utt


@pytest.mark.slow
def test_deterministic_across_runs_and_nj(corpus: Path, tmp_path: Path) -> None:
    _build(tmp_path / "run2", TINY, nj=2)
    a, b = _files(corpus), _files(tmp_path / "run2")
    assert sorted(a) == sorted(b)
    diff = [k for k in a if a[k] != b[k]]
    assert not diff, diff[:5]


@pytest.mark.slow
def test_different_seed_differs(corpus: Path, tmp_path: Path) -> None:
    cfg = CorpusConfig(
        seed=8,
        test_sentences=8,
        dev_sentences=6,
        train_utts=4,
        voices=VoiceConfig(num_train_speakers=6, num_unseen_speakers=3),
    )
    _build(tmp_path / "seed8", cfg, nj=1)
    t7 = (corpus / "data/test/text").read_text()
    t8 = (tmp_path / "seed8/data/test/text").read_text()
    assert t7 != t8


def test_too_few_sentences_is_a_clear_error(tmp_path: Path) -> None:
    cfg = CorpusConfig(vocab_size=50, test_sentences=500, dev_sentences=10)
    with pytest.raises(ValueError, match="in-vocabulary sentences"):
        build_corpus(cfg, tmp_path / "data", tmp_path / "wav")


@pytest.mark.slow
def test_data_sh_runs_cli_in_smoke_mode(tmp_path: Path) -> None:
    script = REPO / "egs2/mini_lowrank/asr1/local/data.sh"
    path = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
    env = dict(os.environ, python=sys.executable, PYTHONPATH=path)
    proc = subprocess.run(
        [
            "bash",
            str(script),
            "--smoke",
            "true",
            "--nj",
            "2",
            "--seed",
            "3",
            "--",
            "--train_utts",
            "10",
            "--test_sentences",
            "5",
            "--dev_sentences",
            "5",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    info = json.loads((tmp_path / "data/local/corpus_info.json").read_text())
    assert info["splits"]["train"]["utterances"] == 10
    assert info["splits"]["test"]["utterances"] == 5
    assert info["seed"] == 3
    assert "espeak-ng" in proc.stderr  # the tqdm bar goes to stderr
    bad = subprocess.run(
        ["bash", str(script), "--smoke", "maybe"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 2 and "--smoke must be true or false" in bad.stderr


def test_plan_train_rounds_use_distinct_speakers() -> None:
    from espnet_lowrank.corpora.mini.corpus import plan_train
    from espnet_lowrank.corpora.mini.text import normalise_sentence
    from espnet_lowrank.corpora.mini.tts import Speaker

    sents = [
        (f"b{i:05d}", normalise_sentence(f"sentence number {w} here."))
        for i, w in enumerate(["one", "two", "three"])
    ]
    spks = [Speaker("en", "", 50, 150 + 5 * i, "gb") for i in range(4)]
    # more utterances than sentences x speakers: stops when all pairs are used
    plan = plan_train(sents, spks, np.random.default_rng(0), 1.0, max_utts=100)
    assert len(plan) == 12
    assert len({p.utt_id for p in plan}) == 12
    # round-robin: the first round gives every sentence once
    assert sorted(p.sent_id for p in plan[:3]) == [s for s, _ in sents]
    hours = plan_train(sents, spks, np.random.default_rng(0), 5 / 3600, max_utts=None)
    assert 1 <= len(hours) <= 3  # about 2.5 s per utterance, 5 s asked
