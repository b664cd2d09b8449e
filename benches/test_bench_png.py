"""PNG decode to grey: Rust vs NumPy vs Pillow on 256x256 masks like Gemini's.

Gemini answers a segmentation prompt with one small PNG probability map per
item: an 8-bit grey image that is mostly 0 and 255 with a soft edge. The RGB
case is a colour PNG of the same picture (every pixel through the luma path).
"""

from __future__ import annotations

import io
from types import ModuleType

import numpy as np
import pytest
from PIL import Image
from pytest_benchmark.fixture import BenchmarkFixture

LIMIT = 4096 * 4096


def _soft_mask(size: int = 256) -> np.ndarray:
    """A soft-edged ellipse with a little noise: the shape of a model's probability map."""
    y, x = np.mgrid[0:size, 0:size].astype(np.float64)
    r = np.hypot((x - size * 0.45) / (size * 0.33), (y - size * 0.55) / (size * 0.25))
    noise = np.random.default_rng(0).normal(0, 0.03, (size, size))
    return (np.clip((1.1 - r) * 5 + noise, 0, 1) * 255).round().astype(np.uint8)


def _png(im: Image.Image) -> bytes:
    buf = io.BytesIO()
    im.save(buf, "PNG")
    return buf.getvalue()


MASK = _soft_mask()
GREY_PNG = _png(Image.fromarray(MASK))
RGB_PNG = _png(Image.fromarray(np.stack([MASK, MASK // 2, 255 - MASK], axis=-1)))
CASES = {"grey": GREY_PNG, "rgb": RGB_PNG}


def pillow_decode(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("L"))


@pytest.mark.parametrize("case", ["grey", "rgb"])
def test_decode_png(benchmark: BenchmarkFixture, kernels: ModuleType, case: str) -> None:
    benchmark.group = f"decode_png 256x256 {case}"
    benchmark.extra_info["impl"] = kernels.__name__
    data = CASES[case]
    out = benchmark(kernels.decode_png, data, LIMIT)
    np.testing.assert_array_equal(out, pillow_decode(data))


@pytest.mark.parametrize("case", ["grey", "rgb"])
def test_decode_png_pillow(benchmark: BenchmarkFixture, case: str) -> None:
    benchmark.group = f"decode_png 256x256 {case}"
    benchmark.extra_info["impl"] = "Pillow Image.open().convert('L')"
    data = CASES[case]
    out = benchmark(pillow_decode, data)
    assert out.shape == (256, 256)
