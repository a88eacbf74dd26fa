import pytest

from espnet_lowrank.rescoring.nbest import (
    Hypothesis,
    parse_score,
    read_nbest,
    write_nbest,
    write_onebest,
)


@pytest.mark.parametrize(
    "value,expected",
    [
        ("tensor(-8.34)", -8.34),
        ("tensor(-8.3400, device='cuda:0')", -8.34),
        ("-12.5", -12.5),
        ("tensor(1.5e-03)", 1.5e-3),
    ],
)
def test_parse_score(value, expected):
    assert parse_score(value, "x") == pytest.approx(expected)


def test_parse_score_error_names_the_place():
    with pytest.raises(ValueError, match="dir/score .u1."):
        parse_score("tensor(abc)", "dir/score (u1)")


def test_read_nbest_ragged(nbest_dir):
    d = nbest_dir(
        {"u1": [("a b", -1.0), ("a c", -2.0), ("a d", -3.0)], "u2": [("x", -0.5)]},
        token=True,
    )
    nb = read_nbest([d])
    assert [h.text for h in nb["u1"]] == ["a b", "a c", "a d"]
    assert [h.score for h in nb["u1"]] == [-1.0, -2.0, -3.0]
    assert len(nb["u2"]) == 1 and nb["u2"][0].token == "x"
    assert [h.text for h in read_nbest([d], nbest=2)["u1"]] == ["a b", "a c"]


def test_round_trip(nbest_dir, tmp_path):
    d = nbest_dir({"u1": [("a b", -1.0), ("", -2.0)], "u2": [("x", -0.5)]})
    nb = read_nbest([d])
    write_nbest(tmp_path / "copy", nb)
    assert read_nbest([tmp_path / "copy"]) == nb
    write_onebest(tmp_path / "one", {"u1": Hypothesis("a b", -1.0)})
    assert (tmp_path / "one/1best_recog/score").read_text() == "u1 tensor(-1.0000)\n"


def test_mismatched_ids_between_tables_are_named(nbest_dir):
    d = nbest_dir({"u1": [("a", -1.0)], "u2": [("b", -1.0)]})
    (d / "1best_recog/score").write_text("u1 tensor(-1.0)\nu3 tensor(-1.0)\n")
    with pytest.raises(ValueError, match=r"only in score: \['u3'\].*only in text: \['u2'\]"):
        read_nbest([d])


def test_utterance_missing_from_1best_is_an_error(nbest_dir):
    d = nbest_dir({"u1": [("a", -1.0), ("b", -2.0)]})
    (d / "2best_recog/text").write_text("u1 b\nu9 c\n")
    (d / "2best_recog/score").write_text("u1 tensor(-2.0)\nu9 tensor(-2.0)\n")
    with pytest.raises(ValueError, match="u9"):
        read_nbest([d])


def test_empty_nbest_is_an_error(tmp_path):
    (tmp_path / "dec").mkdir()
    with pytest.raises(FileNotFoundError, match="empty N-best"):
        read_nbest([tmp_path / "dec"])
    (tmp_path / "dec/1best_recog").mkdir()
    (tmp_path / "dec/1best_recog/text").write_text("")
    (tmp_path / "dec/1best_recog/score").write_text("")
    with pytest.raises(ValueError, match="empty 1-best"):
        read_nbest([tmp_path / "dec"])


def test_gap_in_ranks_is_an_error(nbest_dir):
    d = nbest_dir({"u1": [("a", -1.0), ("b", -2.0), ("c", -3.0)]})
    (d / "2best_recog").rename(d / "5best_recog")
    with pytest.raises(ValueError, match="not 1..N"):
        read_nbest([d])


def test_same_utterance_in_two_dirs_is_an_error(nbest_dir):
    a = nbest_dir({"u1": [("a", -1.0)]}, name="a")
    b = nbest_dir({"u1": [("a", -1.0)]}, name="b")
    with pytest.raises(ValueError, match="'u1' appears in two"):
        read_nbest([a, b])
