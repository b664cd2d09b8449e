"""``masks.threshold`` (SPEC M3): ``value > t``, both backends equal."""

from __future__ import annotations

from types import ModuleType

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from gemini_vision import masks
from gemini_vision.errors import KernelInputError

grey_masks = hnp.arrays(np.uint8, hnp.array_shapes(min_dims=2, max_dims=2, min_side=0, max_side=40))


@given(mask=grey_masks, t=st.integers(-300, 300))
def test_each_backend_matches_numpy_comparison(
    kernels: ModuleType, mask: np.ndarray, t: int
) -> None:
    """Every pixel is on exactly when its value is strictly above the threshold."""
    expected = mask.astype(np.int64) > t
    out = kernels.threshold(np.ascontiguousarray(mask), t)
    assert out.dtype == np.bool_
    np.testing.assert_array_equal(out, expected)


def test_default_is_the_documented_midpoint() -> None:
    """127 stays off and 128 turns on with the default threshold."""
    out = masks.threshold(np.array([[126, 127, 128]], dtype=np.uint8))
    assert out.tolist() == [[False, False, True]]


def test_non_contiguous_input_is_accepted() -> None:
    """A strided view gives the same answer as its contiguous copy."""
    base = np.arange(64, dtype=np.uint8).reshape(8, 8) * 4
    view = base[::2, ::3]
    np.testing.assert_array_equal(masks.threshold(view, 100), view > 100)


@pytest.mark.parametrize(
    ("mask", "t", "message"),
    [
        (np.zeros((2, 2, 3), np.uint8), 127, "must be 2-D"),
        (np.zeros((2, 2), np.float32), 127, "uint8"),
        (np.full((2, 2), 300, np.int32), 127, "uint8"),
        (np.zeros((2, 2), np.uint8), 1.5, "threshold must be an integer"),
        (np.zeros((2, 2), np.uint8), True, "threshold must be an integer"),
    ],
)
def test_bad_arguments_name_the_problem(mask: np.ndarray, t: object, message: str) -> None:
    """Wrong shapes, dtypes and thresholds raise KernelInputError saying which."""
    with pytest.raises(KernelInputError, match=message):
        masks.threshold(mask, t)  # type: ignore[arg-type]
