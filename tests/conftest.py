"""Shared test setup: one thread per process (the CI machine has two cores)."""

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
# hypothesis keeps its files out of the checkout (no stray .hypothesis/ folder)
os.environ.setdefault(
    "HYPOTHESIS_STORAGE_DIRECTORY",
    os.path.join(os.environ.get("TMPDIR", "/tmp"), f"espnet_lowrank-hypothesis-{os.getuid()}"),
)

import torch  # noqa: E402

torch.set_num_threads(1)
