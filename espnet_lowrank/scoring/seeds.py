"""Summaries over training seeds, as the RESULTS.md tables print them."""

from __future__ import annotations

import statistics
from typing import Sequence


def mean_std(values: Sequence[float], digits: int = 2, show_count: bool = True) -> str:
    """``"m ± s (n)"``: mean ± sample standard deviation over seeds, with ``digits``
    decimals; ``show_count`` adds the number of values. A single value has no spread:
    ``"m (1)"``; no value: ``"n/a"``."""
    if not values:
        return "n/a"
    text = f"{statistics.mean(values):.{digits}f}"
    if len(values) > 1:
        text += f" ± {statistics.stdev(values):.{digits}f}"
    return f"{text} ({len(values)})" if show_count else text
