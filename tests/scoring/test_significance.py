"""sc_stats' matched-pair test through :mod:`espnet_lowrank.scoring.significance`."""

from __future__ import annotations

import random

import pytest

from espnet_lowrank.scoring import significance
from espnet_lowrank.scoring.trn import write_trn

WORDS = "the cat sat on a mat and dog ran far away".split()


def _systems(tmp_path):
    rng = random.Random(0)
    refs = {f"u{i:03d}": [rng.choice(WORDS) for _ in range(8)] for i in range(80)}

    def noisy(p):
        return {
            u: [w if rng.random() > p else rng.choice(WORDS) for w in r] for u, r in refs.items()
        }

    spk = {u: u for u in refs}
    good = noisy(0.05)
    same = {u: list(h) for u, h in good.items()}
    same["u000"] = ["dog"] + same["u000"][1:]  # one word from "good": no significant difference
    ref = write_trn(tmp_path / "ref.trn", refs, spk)
    hyps = {
        "good": write_trn(tmp_path / "good.trn", good, spk),
        "bad": write_trn(tmp_path / "bad.trn", noisy(0.4), spk),
        "near good": write_trn(tmp_path / "same.trn", same, spk),
    }
    return ref, hyps


def test_pairs_and_verdicts(tmp_path):
    ref, hyps = _systems(tmp_path)
    pairs = significance.matched_pairs(ref, hyps)
    assert set(pairs) == {("good", "bad"), ("good", "near good"), ("bad", "near good")}
    assert pairs[("good", "bad")].better == "good"
    assert pairs[("good", "bad")].stars == "***"
    assert pairs[("bad", "near good")].better == "near good"
    close = pairs[("good", "near good")]
    assert close.better is None and close.stars == "n.s." and close.p_value > 0.05


def test_needs_two_systems_and_existing_files(tmp_path):
    ref, hyps = _systems(tmp_path)
    with pytest.raises(ValueError, match="at least two"):
        significance.matched_pairs(ref, {"good": hyps["good"]})
    with pytest.raises(FileNotFoundError, match="'x'"):
        significance.matched_pairs(ref, {"good": hyps["good"], "x": tmp_path / "none.trn"})


def test_text_to_trn(tmp_path):
    (tmp_path / "ref").write_text("a1 the cat\na2 a dog\n")
    (tmp_path / "hyp").write_text("a1 the cat\na2 dog\n")
    ref, hyp = significance.text_to_trn(tmp_path / "ref", tmp_path / "hyp", tmp_path / "o")
    assert hyp.read_text() == "the cat (a1-a1)\ndog (a2-a2)\n"
    assert ref.read_text().startswith("the cat (a1-a1)")


def test_parse_unified_rejects_unknown_cells():
    text = "|   MP    || S1 |  | what is this || MP |"
    with pytest.raises(ValueError, match="cannot read"):
        significance.parse_unified(text, ["S1", "S2"])
