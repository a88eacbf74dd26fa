"""Side-by-side speed benchmarks: low-rank vs dense, measured interleaved in one run.

One module per benchmark (``layer``, ``train``, ``decode``, ``lm``, ``profile``), a shared
timing harness (:mod:`espnet_lowrank.bench.timing`), model builders
(:mod:`espnet_lowrank.bench.models`) and reporting (:mod:`espnet_lowrank.bench.report`).
Command line: ``python -m espnet_lowrank.bin.bench``.
"""
