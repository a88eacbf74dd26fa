import pytest

from espnet_lowrank.rescoring.homophones import (
    build_table,
    cmudict_table,
    perturb_nbest,
    perturb_text,
)
from espnet_lowrank.rescoring.nbest import Hypothesis

PRON = {
    "to": [["T", "UW1"]],
    "too": [["T", "UW1"]],
    "two": [["T", "UW1"]],
    "sea": [["S", "IY1"]],
    "see": [["S", "IY1"]],
    "read": [["R", "IY1", "D"], ["R", "EH1", "D"]],
    "red": [["R", "EH1", "D"]],
    "reed": [["R", "IY1", "D"]],
    "cat": [["K", "AE1", "T"]],
    "record": [["R", "EH1", "K", "ER0", "D"]],
    "wrecord": [["R", "EH2", "K", "ER0", "D"]],
}


def test_build_table_groups_identical_pronunciations():
    t = build_table(PRON)
    assert t["to"] == ["too", "two"]
    assert t["read"] == ["red", "reed"]  # union over its pronunciations
    assert t["red"] == ["read"]
    assert "cat" not in t
    assert "record" not in t  # stress differs
    assert build_table(PRON, ignore_stress=True)["record"] == ["wrecord"]


def test_vocabulary_restricts_sources_and_replacements():
    t = build_table(PRON, vocabulary=["TO", "two", "sea", "cat"])
    assert t == {"to": ["two"], "two": ["to"]}


def test_perturb_text_probability_extremes_and_case():
    import random

    t = build_table(PRON)
    rng = random.Random(0)
    assert perturb_text("I SEE the sea cat", t, 0.0, rng) == "I SEE the sea cat"
    assert perturb_text("I SEE the Sea cat", t, 1.0, rng) == "I SEA the See cat"


def test_perturb_nbest_modes_and_seeding():
    t = build_table(PRON)
    nb = {"u1": [Hypothesis("see the sea", -1.0, token="x"), Hypothesis("see", -2.0)]}
    one = perturb_nbest(nb, t, 1.0, seed=0, mode="1best")
    assert [h.text for h in one["u1"]] == ["sea the see", "see"]
    assert one["u1"][0].score == -1.0 and one["u1"][0].token is None
    assert one["u1"][1] is nb["u1"][1]
    every = perturb_nbest(nb, t, 1.0, seed=0, mode="nbest")
    assert [h.text for h in every["u1"]] == ["sea the see", "sea"]
    a = perturb_nbest({"u": [Hypothesis("to " * 30, 0.0)]}, t, 0.5, seed=1, mode="nbest")
    b = perturb_nbest({"u": [Hypothesis("to " * 30, 0.0)]}, t, 0.5, seed=1, mode="nbest")
    c = perturb_nbest({"u": [Hypothesis("to " * 30, 0.0)]}, t, 0.5, seed=2, mode="nbest")
    assert a == b and a != c
    words = a["u"][0].text.split()
    assert 0 < sum(w != "to" for w in words) < 30


def test_bad_mode_and_probability():
    with pytest.raises(ValueError, match="1best, nbest"):
        perturb_nbest({}, {}, 0.1, 0, "all")
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        perturb_nbest({}, {}, 1.5, 0, "nbest")


def test_cmudict_table_has_common_homophones():
    t = cmudict_table(vocabulary=["two", "too", "to", "sea", "see", "cat"])
    assert set(t["two"]) == {"to", "too"}
    assert t["sea"] == ["see"]


def test_read_cmudict_parses_variants_and_comments(tmp_path):
    from espnet_lowrank.rescoring.homophones import read_cmudict

    path = tmp_path / "cmudict.dict"
    path.write_text("read R EH1 D\nread(2) R IY1 D\nreed R IY1 D # plant\n\n")
    assert read_cmudict(path) == {
        "read": [["R", "EH1", "D"], ["R", "IY1", "D"]],
        "reed": [["R", "IY1", "D"]],
    }
