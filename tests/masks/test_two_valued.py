"""Masks of two grey values (the model's: 0 and 255) through the fused resize + threshold.

The fused kernels have a shortcut for windows whose input rows each hold one
run of above-threshold pixels, which two-valued masks nearly always are. Here
random two-valued images (blobs, stripes, holes, noise; random sizes up and
down, random thresholds) go through ``decode_masks`` without probabilities
(the fused path) and ``png_masks_to_rle`` (the batch's), and must give the
installed Pillow's resize + ``> t`` exactly, and for the other pass order the
two-pass resize's bytes + ``> t``.
"""

from __future__ import annotations

import base64
import io
from types import ModuleType

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from gemini_vision import masks
from tests.strategies import reference_full

ORDER = masks.installed_pillow_order()
OTHER_ORDER = 12 if ORDER == 13 else 13
FRAME = (70, 90)


def two_valued(seed: int, h: int, w: int, kind: str, lo: int, hi: int) -> np.ndarray:
    """An ``h x w`` image of only ``lo`` and ``hi``: ellipses, holes, stripes or noise."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w]
    if kind == "noise":
        inside = rng.random((h, w)) < rng.random()
    elif kind == "stripes":
        inside = (xx + yy * rng.integers(-2, 3)) // max(1, int(rng.integers(1, 6))) % 2 == 0
    else:
        inside = np.zeros((h, w), bool)
        for _ in range(int(rng.integers(1, 4))):
            cy, cx = rng.uniform(-0.2, 1.2, 2) * (h, w)
            ry, rx = rng.uniform(0.1, 0.7, 2) * (h, w) + 0.5
            blob = ((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2 < 1
            # "holes": later blobs cut out of the earlier ones.
            inside = inside & ~blob if kind == "holes" and inside.any() else inside | blob
    return np.where(inside, hi, lo).astype(np.uint8)


def png_text(grey: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(grey, "L").save(buf, "PNG")
    return base64.b64encode(buf.getvalue())


def pillow_mask(grey: np.ndarray, width: int, height: int, t: int) -> np.ndarray:
    resized = Image.fromarray(grey, "L").resize((width, height), Image.Resampling.BILINEAR)
    return np.asarray(resized) > t


@st.composite
def cases(draw: st.DrawFn) -> tuple[np.ndarray, tuple[int, int, int, int], int]:
    h, w = draw(st.integers(1, 70)), draw(st.integers(1, 70))
    kind = draw(st.sampled_from(["blobs", "blobs", "holes", "stripes", "noise"]))
    lo, hi = draw(st.sampled_from([(0, 255), (0, 255), (10, 200), (0, 1), (128, 129)]))
    grey = two_valued(draw(st.integers(0, 2**32 - 1)), h, w, kind, lo, hi)
    x0, y0 = draw(st.integers(-10, 60)), draw(st.integers(-10, 50))
    box = (x0, y0, x0 + draw(st.integers(1, 100)), y0 + draw(st.integers(1, 100)))
    t = draw(st.sampled_from([127, 127, lo, hi - 1, hi]) | st.integers(-1, 256))
    return grey, box, t


@pytest.mark.pillow_compat
@given(case=cases())
def test_fused_path_equals_pillow_on_two_valued_masks(
    kernels: ModuleType, case: tuple[np.ndarray, tuple[int, int, int, int], int]
) -> None:
    grey, box, t = case
    x0, y0, x1, y1 = box
    width, height = x1 - x0, y1 - y0
    text = png_text(grey)
    for order in (ORDER, OTHER_ORDER):
        if order == ORDER:
            expected = pillow_mask(grey, width, height, t)
        else:
            expected = kernels.resize_bilinear(grey, width, height, order) > t
        [(error, message, mask, probs, counts)] = kernels.decode_masks(
            [text],
            np.array([box], np.int64),
            np.array([t], np.int32),
            np.array([order], np.int64),
            1 << 24,
            False,
            FRAME,
            1,
        )
        assert error is None, message
        assert probs is None
        np.testing.assert_array_equal(mask, expected)
        full = reference_full(expected, x0, y0, FRAME)
        np.testing.assert_array_equal(kernels.rle_decode(counts, *FRAME), full)
        [(error, text_counts, area)] = kernels.png_masks_to_rle(
            [text],
            np.array([box], np.int64),
            np.array([FRAME], np.int64),
            t,
            order,
            1 << 24,
            1,
        )
        assert error is None, text_counts
        assert area == int(full.sum())
        np.testing.assert_array_equal(
            kernels.rle_decode(kernels.rle_from_string(text_counts.encode()), *FRAME), full
        )
