"""Paste, union, label map and full masks (SPEC M4): against a pixel-by-pixel
reference, both backends equal, bad arguments refused."""

from __future__ import annotations

from types import ModuleType

import numpy as np
import pytest
from hypothesis import given

from gemini_vision import masks
from gemini_vision.errors import KernelInputError
from tests.strategies import placed_masks, reference_full, reference_paste

Placed = tuple[list[np.ndarray], list[tuple[int, int]], tuple[int, int]]


def _offsets(offsets: list[tuple[int, int]]) -> np.ndarray:
    return np.array(offsets, dtype=np.int64).reshape(len(offsets), 2)


@given(placed=placed_masks())
def test_paste_is_a_clipped_or(kernels: ModuleType, placed: Placed) -> None:
    """Pasting sets exactly the frame pixels under the mask's on pixels and keeps the rest."""
    ms, offsets, shape = placed
    rng = np.random.default_rng(len(ms))
    frame = rng.random(shape) < 0.3
    expected = frame.copy()
    for m, (x0, y0) in zip(ms, offsets, strict=True):
        kernels.paste(frame, np.ascontiguousarray(m), x0, y0)
        reference_paste(expected, m, x0, y0)
    np.testing.assert_array_equal(frame, expected)


@given(placed=placed_masks())
def test_union_label_map_and_full_masks(kernels: ModuleType, placed: Placed) -> None:
    """Union is the OR of the full masks; the label map holds the last mask on at each pixel."""
    ms, offsets, shape = placed
    full = [reference_full(m, x0, y0, shape) for m, (x0, y0) in zip(ms, offsets, strict=True)]
    expected_full = np.array(full, dtype=np.bool_).reshape(len(ms), *shape)
    expected_labels = np.zeros(shape, dtype=np.int32)
    for i, f in enumerate(full):
        expected_labels[f] = i + 1
    offs = _offsets(offsets)
    got_full = kernels.full_masks(ms, offs, *shape)
    assert got_full.dtype == np.bool_ and got_full.shape == (len(ms), *shape)
    np.testing.assert_array_equal(got_full, expected_full)
    np.testing.assert_array_equal(kernels.union(ms, offs, *shape), expected_full.any(axis=0))
    labels = kernels.label_map(ms, offs, *shape)
    assert labels.dtype == np.int32
    np.testing.assert_array_equal(labels, expected_labels)


def test_label_map_later_masks_win() -> None:
    """Where two masks overlap the label of the later one is kept."""
    a, b = np.ones((2, 2), bool), np.ones((1, 1), bool)
    assert masks.label_map([a, b], [(0, 0), (1, 1)], (2, 3)).tolist() == [[1, 1, 0], [1, 2, 0]]
    assert masks.label_map([b, a], [(1, 1), (0, 0)], (2, 3)).tolist() == [[2, 2, 0], [2, 2, 0]]


def test_paste_copies_unless_inplace() -> None:
    """``paste`` leaves its input alone by default and writes into it with ``inplace=True``."""
    frame = np.zeros((2, 2), bool)
    out = masks.paste(frame, [[1]], (1, 1))
    assert out.tolist() == [[False, False], [False, True]] and not frame.any()
    assert masks.paste(frame, [[1]], (0, 0), inplace=True) is frame
    assert frame[0, 0]
    with pytest.raises(KernelInputError, match="inplace"):
        masks.paste(frame[:, ::-1], [[1]], (0, 0), inplace=True)


def test_boxes_far_outside_and_huge_offsets() -> None:
    """Offsets up to 2**62 in either direction clip to nothing instead of overflowing."""
    m = np.ones((3, 3), bool)
    for off in [(2**62, 0), (-(2**62), 5), (0, 2**62), (-3, -3), (5, 0)]:
        assert not masks.union([m], [off], (5, 5)).any()
    with pytest.raises(KernelInputError, match="offsets\\[0\\] x0"):
        masks.union([m], [(2**63, 0)], (5, 5))


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: masks.union([np.zeros((2, 2, 2), bool)], [(0, 0)], (2, 2)), "must be 2-D"),
        (lambda: masks.union([np.full((2, 2), 200, np.uint8)], [(0, 0)], (2, 2)), "threshold"),
        (lambda: masks.union([np.zeros((2, 2), np.float32)], [(0, 0)], (2, 2)), "dtype float32"),
        (lambda: masks.union([np.zeros((1, 1), bool)], [], (2, 2)), "0 entries for 1 masks"),
        (lambda: masks.union([np.zeros((1, 1), bool)], [(0.5, 0)], (2, 2)), "x0 must be an int"),
        (lambda: masks.union([], [], (2, -1)), "width must be in 0"),
        (lambda: masks.union([], [], (2**20, 2**20)), "pixels"),
        (lambda: masks.label_map("abc", [], (2, 2)), "sequence of 2-D masks"),
        (lambda: masks.full_masks([], [], 5), "\\(height, width\\) pair"),
        (lambda: masks.paste(np.zeros((2, 2), bool), [[1]], (1,)), "\\(x0, y0\\) pair"),
    ],
)
def test_bad_arguments_name_the_problem(call: object, message: str) -> None:
    """Wrong shapes, dtypes, lengths and sizes raise KernelInputError saying which."""
    with pytest.raises(KernelInputError, match=message):
        call()  # type: ignore[operator]


@given(placed=placed_masks())
def test_backends_agree(
    rust_kernels: ModuleType, numpy_kernels: ModuleType, placed: Placed
) -> None:
    """The Rust and NumPy kernels give identical frames and label maps."""
    ms, offsets, shape = placed
    offs = _offsets(offsets)
    for name in ("union", "label_map", "full_masks"):
        a = getattr(rust_kernels, name)(ms, offs, *shape)
        b = getattr(numpy_kernels, name)(ms, offs, *shape)
        assert a.dtype == b.dtype
        np.testing.assert_array_equal(a, b)


def test_kernels_refuse_mismatched_offsets(kernels: ModuleType) -> None:
    """Called directly, both kernels refuse an offsets array of the wrong shape."""
    with pytest.raises(KernelInputError, match="offsets must have shape"):
        kernels.union([np.zeros((1, 1), bool)], np.zeros((2, 2), np.int64), 2, 2)
