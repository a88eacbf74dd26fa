"""Plot the per-layer ranks of a training config (as the mini recipe's RESULTS.md shows).

One panel per low-rank part: the rank of every block-wise group as a ratio of
``min(in, out)`` against block depth (dense layers at 1.0, drawn hollow), and the
global layers (subsampling projection, output layer) as points to the right.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Sequence

from espnet_lowrank.count_params import LOWRANK_PARTS, resolve_config


def plot_config_ranks(
    config: Path | str, out_png: Path | str, task: str = "asr", extra_args: Sequence[str] = ()
) -> Path:
    """Write ``out_png`` for ``config``; returns its path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    _, parts = resolve_config(config, task, extra_args)
    if not parts:
        names = sorted({n for ns in LOWRANK_PARTS[task].values() for n in ns})
        raise ValueError(f"{config}: no low-rank part ({', '.join(names)})")
    fig, axes = plt.subplots(1, len(parts), figsize=(6 * len(parts), 4), squeeze=False)
    for ax, (part, res) in zip(axes[0], parts.items()):
        plan = res.plan
        groups = {}
        for s in plan.slots:
            groups.setdefault(s.group, []).append(s)
        for group, slots in sorted(groups.items()):
            ratios = [(plan.ranks[s.name] or s.max_rank) / s.max_rank for s in slots]
            dense = [plan.ranks[s.name] is None for s in slots]
            xs = [s.block if s.block is not None else plan.num_blocks for s in slots]
            (line,) = ax.plot(xs, ratios, marker="o", label=group, alpha=0.8)
            ax.scatter(
                [x for x, d in zip(xs, dense) if d],
                [1.0] * sum(dense),
                facecolors="none",
                edgecolors=line.get_color(),
                s=80,
            )
        ax.set_title(f"{part}: rank / min(in, out)")
        ax.set_xlabel(f"block (global layers at {plan.num_blocks})")
        ax.set_ylim(0, 1.05)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    out = Path(out_png)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out


def main(argv=None) -> Path:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("config", help="an ESPnet training config (YAML) with low-rank parts")
    parser.add_argument("--out", required=True, help="PNG to write")
    parser.add_argument("--task", choices=sorted(LOWRANK_PARTS), default="asr")
    parser.add_argument("--token_list", help="token list, if the config does not name one")
    args = parser.parse_args(argv)
    extra = ["--token_list", args.token_list] if args.token_list else []
    return plot_config_ranks(args.config, args.out, args.task, extra)
