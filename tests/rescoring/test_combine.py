import pytest

from espnet_lowrank.rescoring.combine import (
    ScoredHyp,
    combined,
    grid_search,
    load_weights,
    parse_grid,
    save_weights,
    select,
)


def H(text, asr, lm, length=None):
    return ScoredHyp(text, asr, lm, len(text.split()) if length is None else length)


def test_select_picks_best_combined_score():
    scored = {
        "u1": [H("a b", -1.0, -10.0), H("a b c", -1.5, -4.0), H("a", -0.5, -12.0)],
    }
    # totals with lm_weight 0.5, bonus 0.2: -5.6, -3.0 + ... computed by hand
    totals = [-1.0 - 5.0 + 0.4, -1.5 - 2.0 + 0.6, -0.5 - 6.0 + 0.2]
    assert [combined(h, 0.5, 0.2) for h in scored["u1"]] == pytest.approx(totals)
    assert select(scored, 0.5, 0.2) == {"u1": 1}
    assert select(scored, 0.0, 0.0) == {"u1": 2}  # ASR alone prefers the third


def test_ties_keep_the_decoder_order():
    scored = {"u1": [H("a", -1.0, -1.0), H("b", -1.0, -1.0)]}
    assert select(scored, 1.0, 0.0) == {"u1": 0}


def test_empty_list_is_named():
    with pytest.raises(ValueError, match="'u7'"):
        select({"u7": []}, 0.1, 0.0)


def test_grid_search_picks_lowest_dev_wer():
    refs = {"u1": "a b c", "u2": "d e"}
    scored = {
        # the LM must outweigh an ASR margin of 1.0 for the right answer
        "u1": [H("a b x", -1.0, -6.0), H("a b c", -2.0, -3.0)],
        # ... but not by more than an ASR margin of 2.0 here
        "u2": [H("d e", -1.0, -5.0), H("d x", -3.0, -4.0)],
    }
    # u1 right iff 3*lw > 1 ; u2 right iff lw < 2 (lw > 2 flips it)
    res = grid_search(scored, refs, [0.0, 0.2, 0.5, 1.0, 3.0], [0.0])
    assert res.lm_weight == 0.5 and res.wer == 0.0
    table = {lw: w for lw, _, w in res.table}
    assert table[0.0] == pytest.approx(1 / 5) and table[3.0] == pytest.approx(1 / 5)
    assert table[1.0] == 0.0  # a later tie does not replace the first best


def test_grid_search_uses_length_bonus():
    refs = {"u1": "a b c"}
    scored = {"u1": [H("a b", -1.0, -1.0), H("a b c", -1.5, -1.2)]}
    res = grid_search(scored, refs, [1.0], [0.0, 1.0])
    assert (res.length_bonus, res.wer) == (1.0, 0.0)


def test_grid_search_checks_reference_ids():
    with pytest.raises(ValueError, match="u2"):
        grid_search({"u1": [H("a", 0, 0)]}, {"u1": "a", "u2": "b"}, [0.1], [0.0])


def test_parse_grid():
    assert parse_grid("0:1:0.25") == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert parse_grid("0.1,0.3") == [0.1, 0.3]
    with pytest.raises(ValueError, match="start:stop:step"):
        parse_grid("0:1")


def test_weights_round_trip(tmp_path):
    p = save_weights(tmp_path / "w.yaml", 0.3, -0.5, dev_wer=0.1)
    assert load_weights(p) == (0.3, -0.5)
    (tmp_path / "bad.yaml").write_text("lm_weight: 1\n")
    with pytest.raises(ValueError, match="length_bonus"):
        load_weights(tmp_path / "bad.yaml")
