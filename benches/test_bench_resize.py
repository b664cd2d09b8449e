"""Bilinear resize: Rust vs NumPy vs Pillow (the reference) vs OpenCV, per size.

Pillow is timed the way a caller holding a NumPy mask uses it: ``Image.fromarray``,
``resize``, and back to an array. OpenCV's INTER_LINEAR does no anti-aliasing when
shrinking, so its bytes differ ("exact": False); it runs only when ``cv2`` imports
(the ``bench`` extra). Run as tests (``--benchmark-disable``) every exact
implementation is also checked against Pillow.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from PIL import Image
from pytest_benchmark.fixture import BenchmarkFixture
from tests.conftest import NUMPY, RUST

from gemini_vision import masks

ORDER = masks.installed_pillow_order()
HAVE_CV2 = importlib.util.find_spec("cv2") is not None

# (input height, input width) -> (output width, output height), Pillow's order.
CASES = [
    ((64, 64), (500, 400)),
    ((64, 64), (2000, 1500)),
    ((256, 256), (500, 400)),
    ((1024, 1024), (100, 80)),
]


def _pillow(mask: np.ndarray, width: int, height: int) -> np.ndarray:
    image = Image.fromarray(mask).resize((width, height), Image.Resampling.BILINEAR)
    return np.asarray(image)


def _opencv(mask: np.ndarray, width: int, height: int) -> np.ndarray:
    import cv2

    out: np.ndarray = cv2.resize(mask, (width, height), interpolation=cv2.INTER_LINEAR)
    return out


def _implementation(name: str) -> Callable[[np.ndarray, int, int], Any]:
    if name == "rust":
        if RUST is None:
            pytest.skip("the Rust extension is not built")
        rust = RUST
        return lambda m, w, h: rust.resize_bilinear(m, w, h, ORDER)
    if name == "numpy":
        return lambda m, w, h: NUMPY.resize_bilinear(m, w, h, ORDER)
    if name == "pillow":
        return _pillow
    if not HAVE_CV2:
        pytest.skip("cv2 is not installed (the 'bench' extra)")
    return _opencv


@pytest.mark.parametrize("impl", ["rust", "numpy", "pillow", "opencv"])
@pytest.mark.parametrize(("src", "dst"), CASES, ids=lambda c: "x".join(map(str, c)))
def test_resize(
    benchmark: BenchmarkFixture,
    impl: str,
    src: tuple[int, int],
    dst: tuple[int, int],
) -> None:
    benchmark.group = f"resize {src[0]}x{src[1]} -> {dst[1]}x{dst[0]} (h x w)"
    benchmark.extra_info["impl"] = impl
    benchmark.extra_info["exact"] = impl != "opencv"
    mask = np.random.default_rng(0).integers(0, 256, size=src, dtype=np.uint8)
    run = _implementation(impl)
    out = benchmark(run, mask, *dst)
    assert out.shape == (dst[1], dst[0])
    if impl != "opencv":
        np.testing.assert_array_equal(out, _pillow(mask, *dst))


@pytest.mark.parametrize("impl", ["rust", "numpy", "pillow"])
def test_resize_threshold(benchmark: BenchmarkFixture, impl: str) -> None:
    """The per-mask step of the segmentation procedure: resize, then ``> 127``."""
    benchmark.group = "resize + threshold 64x64 -> 400x500 (h x w)"
    benchmark.extra_info["impl"] = impl + (" (fused)" if impl != "pillow" else "")
    mask = np.random.default_rng(1).integers(0, 256, size=(64, 64), dtype=np.uint8)
    if impl == "pillow":
        out = benchmark(lambda: _pillow(mask, 500, 400) > 127)
    else:
        if impl == "rust" and RUST is None:
            pytest.skip("the Rust extension is not built")
        backend = RUST if impl == "rust" else NUMPY
        out = benchmark(backend.resize_bilinear_threshold, mask, 500, 400, 127, ORDER)
    np.testing.assert_array_equal(out, _pillow(mask, 500, 400) > 127)
