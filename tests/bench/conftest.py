"""Shared fixtures of the benchmark tests."""

import pytest
import torch


@pytest.fixture(autouse=True)
def _keep_threads():
    """The benchmarks pin torch's thread count; give it back after each test."""
    n = torch.get_num_threads()
    yield
    torch.set_num_threads(n)
