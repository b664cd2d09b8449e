"""Image tokens for 1,000,000 sizes: Rust vs NumPy vs a Python loop over ``image_tokens``.

The loop is the reference a user would write without the batch API; it runs on
a 20,000-size slice (scaled to 1,000,000 in ``extra_info``) to keep CI short.
"""

from __future__ import annotations

from types import ModuleType

import numpy as np
import pytest
from pytest_benchmark.fixture import BenchmarkFixture

from gemini_vision import tokens

N = 1_000_000
LOOP_N = 20_000
_rng = np.random.default_rng(0)
WIDTHS = _rng.integers(1, 8000, N, dtype=np.int64)
HEIGHTS = _rng.integers(1, 8000, N, dtype=np.int64)
RULES = [("pan_and_scan", 258), ("documented", 258), ("gemini3", 1120)]


@pytest.mark.parametrize(("rule", "budget"), RULES)
@pytest.mark.benchmark(group="image tokens x 1,000,000")
def test_tokens_batch_kernel(
    benchmark: BenchmarkFixture, kernels: ModuleType, rule: str, budget: int
) -> None:
    benchmark.extra_info.update(impl=kernels.__name__, rule=rule, sizes=N)
    out = benchmark(kernels.image_tokens_batch, WIDTHS, HEIGHTS, rule, budget)
    assert out.shape == (N,)
    assert out[:100].tolist() == [
        tokens.image_tokens(int(w), int(h), rule=rule, media_resolution="HIGH")
        for w, h in zip(WIDTHS[:100], HEIGHTS[:100], strict=True)
    ]


@pytest.mark.parametrize(("rule", "budget"), RULES)
@pytest.mark.benchmark(group="image tokens x 1,000,000")
def test_tokens_python_loop(benchmark: BenchmarkFixture, rule: str, budget: int) -> None:
    ws, hs = WIDTHS[:LOOP_N].tolist(), HEIGHTS[:LOOP_N].tolist()

    def loop() -> list[int]:
        return [tokens.image_tokens(w, h, rule=rule) for w, h in zip(ws, hs, strict=True)]

    benchmark.extra_info.update(
        impl="python loop over image_tokens", rule=rule, sizes=LOOP_N, scale_to=N // LOOP_N
    )
    out = benchmark(loop)
    assert len(out) == LOOP_N
