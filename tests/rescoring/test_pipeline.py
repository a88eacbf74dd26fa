import pytest
import yaml

from espnet_lowrank.rescoring.combine import grid_search, select
from espnet_lowrank.rescoring.homophones import build_table
from espnet_lowrank.rescoring.lm_scorer import LMScorer, score_nbest
from espnet_lowrank.rescoring.nbest import read_nbest
from espnet_lowrank.rescoring.pipeline import nprr_report, nprr_sets, rescore_sets

from .conftest import write_nbest_dir

DEV = {
    "d1": [("the cat sat on mat", -2.0), ("the cat sat on a mat", -2.3)],
    "d2": [("to cat", -1.0), ("two cat", -1.1)],
}
TEST = {
    "t1": [("a mat", -1.0), ("the mat", -1.2), ("a cat", -3.0)],
    "t2": [("two", -0.5), ("too", -0.6)],
}
REFS = {"dev": "d1 the cat sat on a mat\nd2 two cat\n", "test": "t1 the mat\nt2 two\n"}
GRID = ([0.0, 0.5, 1.0], [0.0, 1.0])


@pytest.fixture
def layout(tmp_path):
    for name, hyps in (("dev", DEV), ("test", TEST)):
        write_nbest_dir(tmp_path / "nbest" / name, hyps)
        (tmp_path / "refs" / name).mkdir(parents=True)
        (tmp_path / "refs" / name / "text").write_text(REFS[name])
    return tmp_path


def _refs(name):
    return dict(line.split(" ", 1) for line in REFS[name].splitlines())


def test_rescore_sets_tunes_on_dev_and_applies_to_test(word_lm, layout):
    scorer = LMScorer.from_files(*word_lm)
    out = layout / "out" / "base"
    res = rescore_sets(
        scorer, layout / "nbest", layout / "refs", "dev", ["dev", "test"], out, *GRID
    )
    assert list(res) == ["dev", "test"]  # dev listed once
    dev_scored = score_nbest(read_nbest([layout / "nbest/dev"]), scorer)
    best = grid_search(dev_scored, _refs("dev"), *GRID)
    w = yaml.safe_load((out / "rescore_weights.yaml").read_text())
    assert (w["lm_weight"], w["length_bonus"], w["length_unit"]) == (
        best.lm_weight, best.length_bonus, "word",
    )  # fmt: skip
    assert res["dev"]["wer_rescored"] == pytest.approx(best.wer)
    # test: the same weights select the same hypotheses as the library
    test_nb = read_nbest([layout / "nbest/test"])
    pick = select(score_nbest(test_nb, scorer), best.lm_weight, best.length_bonus)
    lines = (out / "test/1best_recog/text").read_text().splitlines()
    assert lines == [f"{u} {test_nb[u][i].text}" for u, i in sorted(pick.items())]
    saved = yaml.safe_load((out / "test/rescore_result.yaml").read_text())
    assert saved == res["test"]
    assert saved["wer_oracle"] == 0.0 and saved["wer_1best"] == pytest.approx(1 / 3)
    assert saved["tuned_on"] == "dev"


def test_nprr_sets_uses_the_tuned_weights(word_lm, layout):
    scorer = LMScorer.from_files(*word_lm)
    out = layout / "out" / "base"
    with pytest.raises(FileNotFoundError, match="rescore_weights.yaml"):
        nprr_sets(scorer, layout / "nbest", layout / "refs", ["test"], out, {}, 0.5, [0], ["1best"])
    rescore_sets(scorer, layout / "nbest", layout / "refs", "dev", ["test"], out, *GRID)
    table = build_table({"two": [["T", "UW1"]], "too": [["T", "UW1"]], "to": [["T", "UW1"]]})
    res = nprr_sets(
        LMScorer.from_files(*word_lm),  # a fresh scorer: clean scores come from the file
        layout / "nbest",
        layout / "refs",
        ["test"],
        out,
        table,
        1.0,
        [0, 1],
        ["1best", "nbest"],
    )
    assert (out / "lm_scores.json").is_file()  # written by rescore_sets, read by nprr_sets
    w = yaml.safe_load((out / "rescore_weights.yaml").read_text())
    direct = nprr_report(
        scorer, read_nbest([layout / "nbest/test"]), _refs("test"), table,
        w["lm_weight"], w["length_bonus"], 1.0, [0, 1], ["1best", "nbest"],
    )  # fmt: skip
    assert res["test"] == direct
    assert yaml.safe_load((out / "test/nprr.yaml").read_text()) == direct
    with pytest.raises(ValueError, match="homophone table is empty"):
        nprr_report(
            scorer, read_nbest([layout / "nbest/test"]), _refs("test"), {}, 0, 0, 1, [0], ["1best"]
        )


def test_nprr_sets_at_a_common_lm_weight(word_lm, layout):
    """With common_lm_weight: the same NPRR at that weight, beta re-tuned on clean dev."""
    scorer = LMScorer.from_files(*word_lm)
    out = layout / "out" / "base"
    rescore_sets(scorer, layout / "nbest", layout / "refs", "dev", ["test"], out, *GRID)
    table = build_table({"two": [["T", "UW1"]], "too": [["T", "UW1"]], "to": [["T", "UW1"]]})
    args = (scorer, layout / "nbest", layout / "refs", ["test"], out, table, 1.0, [0, 1],
            ["1best", "nbest"])  # fmt: skip
    with pytest.raises(ValueError, match="dev_set and length_bonuses"):
        nprr_sets(*args, common_lm_weight=0.7)
    res = nprr_sets(*args, common_lm_weight=0.7, dev_set="dev", length_bonuses=GRID[1])
    beta = grid_search(score_nbest(read_nbest([layout / "nbest/dev"]), scorer), _refs("dev"),
                       [0.7], GRID[1]).length_bonus  # fmt: skip
    direct = nprr_report(
        scorer, read_nbest([layout / "nbest/test"]), _refs("test"), table,
        0.7, beta, 1.0, [0, 1], ["1best", "nbest"],
    )  # fmt: skip
    common = res["test"].pop("common")
    assert common.pop("tuned_on") == "dev"
    assert common == direct
    tuned = yaml.safe_load((out / "rescore_weights.yaml").read_text())
    assert res["test"]["lm_weight"] == tuned["lm_weight"]  # the main block keeps the tuned one
