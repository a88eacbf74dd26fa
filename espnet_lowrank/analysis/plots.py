"""PNG plots of effective ranks (matplotlib's Agg canvas; pyplot's global state is not used).

- :func:`plot_rank_by_depth`: one panel per part, the measure's ratio against block
  index, one line per group (global layers as dotted horizontal lines).
- :func:`plot_spectra`: one panel per group of a part, the normalised spectrum
  ``σ_i / σ_1`` against ``i / min(in, out)``, one line per block coloured by depth
  (viridis: dark = first block, yellow = last).
- :func:`plot_emergence`: one panel per part, the measure's ratio (mean over
  blocks) against epoch, one line per group.
"""

from __future__ import annotations

from pathlib import Path

from espnet_lowrank.analysis.collect import ModelAnalysis
from espnet_lowrank.analysis.emergence import Emergence
from espnet_lowrank.plotting import figure, save


def plot_rank_by_depth(analysis: ModelAnalysis, measure: str, path: Path | str) -> Path:
    """Effective-rank ratio by block depth, one line per group, one panel per part."""
    parts = list(analysis.parts.items())
    fig, axes = figure(len(parts), len(parts), (6.0, 4.2))
    for ax, (part, pa) in zip(axes, parts):
        for group in pa.groups():
            layers = pa.group_layers(group)
            ratios = [la.ratio(measure) for la in layers]
            if pa.is_block_group(group):
                blocks = [la.slot.block for la in layers]
                ax.plot(blocks, ratios, marker="o", markersize=3, label=group)
            else:
                ax.axhline(ratios[0], linestyle=":", color="gray", label=f"{group} (global)")
        ax.set_title(f"{part}: {measure}")
        ax.set_xlabel("block")
        ax.set_ylabel(f"{measure} / min(in, out)")
        ax.set_ylim(0.0, 1.05)
        if pa.num_blocks:
            ax.set_xticks(range(pa.num_blocks))
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, ncol=2)
    return save(fig, path)


def plot_spectra(analysis: ModelAnalysis, part: str, path: Path | str) -> Path:
    """Normalised singular values of every layer of ``part``, one panel per group."""
    from matplotlib import colormaps

    pa = analysis.parts[part]
    groups = pa.groups()
    fig, axes = figure(len(groups), 4, (3.6, 2.8))
    cmap = colormaps["viridis"]
    for ax, group in zip(axes, groups):
        for la in pa.group_layers(group):
            s = la.singular_values
            top = s[0] if s and s[0] > 0 else 1.0
            n = len(s)
            x = [(i + 1) / n for i in range(n)]
            y = [v / top for v in s]
            b = la.slot.block
            if b is None:
                ax.plot(x, y, color="black", label="global")
            else:
                shade = b / (pa.num_blocks - 1) if pa.num_blocks > 1 else 0.0
                edge = b in (0, pa.num_blocks - 1)  # legend: first and last block only
                ax.plot(x, y, color=cmap(shade), label=f"block {b}" if edge else None)
        ax.set_title(f"{part}.{group}", fontsize=9)
        ax.set_xlabel("i / min(in, out)", fontsize=8)
        ax.set_ylabel("sigma_i / sigma_1", fontsize=8)
        ax.set_ylim(0.0, 1.05)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=6)
    return save(fig, path)


def plot_emergence(em: Emergence, measure: str, path: Path | str) -> Path:
    """Mean effective-rank ratio per group against epoch, one panel per part."""
    parts = list(em.groups.items())
    fig, axes = figure(len(parts), len(parts), (6.0, 4.2))
    for ax, (part, groups) in zip(axes, parts):
        for group, per in groups.items():
            ax.plot(em.epochs, per[measure], marker="o", markersize=3, label=group)
        ax.set_title(f"{part}: {measure} over training")
        ax.set_xlabel("epoch")
        ax.set_ylabel(f"{measure} / min(in, out), mean over blocks")
        ax.set_ylim(0.0, 1.05)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, ncol=2)
    return save(fig, path)
