"""Matplotlib figures for the package's PNG plots, on the Agg canvas (no display, and
pyplot's global figure state is not used, so plots made in one process do not leak).

- :func:`figure`: a grid of ``n_panels`` axes (unused cells hidden), a 20-colour cycle.
- :func:`save`: write the figure as PNG, making the parent folder.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Tuple


def figure(n_panels: int, ncols: int, size: Tuple[float, float]):
    """A figure of ``n_panels`` axes in rows of ``ncols``, each panel ``size`` inches.

    Returns ``(fig, axes)`` with ``len(axes) == n_panels``.
    """
    from matplotlib import colormaps
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    ncols = max(1, min(ncols, n_panels))
    nrows = math.ceil(n_panels / ncols)
    fig = Figure(figsize=(size[0] * ncols, size[1] * nrows), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel().tolist()
    for ax in axes[n_panels:]:
        ax.set_visible(False)
    tab20 = colormaps["tab20"]
    for ax in axes:  # up to 20 lines per panel: more distinct colours than the default 10
        ax.set_prop_cycle(color=[tab20(i) for i in (*range(0, 20, 2), *range(1, 20, 2))])
    return fig, axes[:n_panels]


def save(fig, path: Path | str) -> Path:
    """Write ``fig`` to ``path`` (PNG, 100 dpi); returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    return path
