"""Mean ± std over seeds as the tables print it."""

from __future__ import annotations

from espnet_lowrank.scoring.seeds import mean_std


def test_digits_and_count():
    assert mean_std([]) == mean_std([], show_count=False) == "n/a"
    assert mean_std([2.0, 4.0]) == "3.00 ± 1.41 (2)"
    assert mean_std([2.0, 4.0], digits=1, show_count=False) == "3.0 ± 1.4"
    assert mean_std([12.3], digits=1, show_count=False) == "12.3"
    assert mean_std([61.4, 70.2], digits=0, show_count=False) == "66 ± 6"
