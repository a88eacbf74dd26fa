"""Command-line tools: ``python -m espnet_lowrank.bin.<tool>``."""
