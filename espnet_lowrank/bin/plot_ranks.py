"""Plot a config's per-layer ranks: python -m espnet_lowrank.bin.plot_ranks CONFIG --out X.png"""

from espnet_lowrank.bin._cli import run
from espnet_lowrank.rank_plot import main

if __name__ == "__main__":
    run(main)
