"""Threshold: Rust vs NumPy on a 1000x1000 mask."""

from __future__ import annotations

from types import ModuleType

import numpy as np
import pytest
from pytest_benchmark.fixture import BenchmarkFixture

MASK = np.random.default_rng(0).integers(0, 256, size=(1000, 1000), dtype=np.uint8)


@pytest.mark.benchmark(group="threshold 1000x1000")
def test_threshold(benchmark: BenchmarkFixture, kernels: ModuleType) -> None:
    benchmark.extra_info["impl"] = kernels.__name__
    out = benchmark(kernels.threshold, MASK, 127)
    np.testing.assert_array_equal(out, MASK > 127)
