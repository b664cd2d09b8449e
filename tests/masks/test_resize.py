"""``masks.resize_bilinear`` / ``resize_threshold`` (SPEC M2, M3): Pillow's bytes, both backends.

The reference is the installed Pillow itself. The tests marked ``pillow_compat``
also run under Pillow 12 (``scripts/test-pillow12.sh``), where the pass order
differs; ``masks.installed_pillow_order()`` picks the matching mode. This module
imports only what that environment has: hypothesis, NumPy, Pillow.
"""

from __future__ import annotations

from types import ModuleType

import numpy as np
import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st
from PIL import Image

from gemini_vision import masks
from gemini_vision._numpy_kernels import resize as numpy_resize
from gemini_vision._numpy_kernels.resize import MAX_SIDE
from gemini_vision.errors import KernelInputError

ORDER = masks.installed_pillow_order()
OTHER_ORDER = 12 if ORDER == 13 else 13


def pillow_resize(mask: np.ndarray, width: int, height: int) -> np.ndarray:
    """The installed Pillow's BILINEAR resize of a mode "L" image."""
    image = Image.fromarray(mask)
    assert image.mode == "L"
    return np.asarray(image.resize((width, height), Image.Resampling.BILINEAR))


def make_mask(seed: int, height: int, width: int, kind: str) -> np.ndarray:
    """A reproducible test mask: grey noise, a binary 0/255 mask, or values near 127."""
    rng = np.random.default_rng(seed)
    if kind == "noise":
        return rng.integers(0, 256, size=(height, width), dtype=np.uint8)
    if kind == "binary":
        return np.where(rng.random((height, width)) < rng.random(), 255, 0).astype(np.uint8)
    return rng.integers(120, 136, size=(height, width), dtype=np.uint8)


kinds = st.sampled_from(["noise", "binary", "midpoint"])
seeds = st.integers(0, 2**32 - 1)
in_sides = st.one_of(st.integers(1, 8), st.integers(1, 300))
out_sides = st.one_of(st.integers(1, 8), st.integers(1, 600))
# One side a single pixel and the other long (1 -> 500, 500 -> 1, ...), either axis.
extreme_shapes = st.tuples(st.integers(1, 3), st.integers(300, 600)).flatmap(
    lambda short_long: st.permutations(short_long).map(tuple)
)


@pytest.mark.pillow_compat
@given(h=in_sides, w=in_sides, out_h=out_sides, out_w=out_sides, seed=seeds, kind=kinds)
def test_matches_installed_pillow(
    kernels: ModuleType, h: int, w: int, out_h: int, out_w: int, seed: int, kind: str
) -> None:
    """Any input size to any output size gives Pillow's bytes exactly."""
    mask = make_mask(seed, h, w, kind)
    out = kernels.resize_bilinear(mask, out_w, out_h, ORDER)
    assert out.dtype == np.uint8
    np.testing.assert_array_equal(out, pillow_resize(mask, out_w, out_h))


@pytest.mark.pillow_compat
@settings(max_examples=40)
@given(src=extreme_shapes, dst=extreme_shapes, seed=seeds, kind=kinds)
# A strip over 100 times taller than wide, shrunk in height: Pillow 12 takes
# the vertical pass first, in Python, so the fallback may not call the core alone.
@example(src=(300, 2), dst=(1, 300), seed=0, kind="noise")
def test_extreme_ratios_match_installed_pillow(
    kernels: ModuleType, src: tuple[int, int], dst: tuple[int, int], seed: int, kind: str
) -> None:
    """Strips stretched or squeezed by hundreds of times still give Pillow's bytes."""
    mask = make_mask(seed, *src, kind)
    out = kernels.resize_bilinear(mask, dst[1], dst[0], ORDER)
    np.testing.assert_array_equal(out, pillow_resize(mask, dst[1], dst[0]))


@pytest.mark.pillow_compat
@pytest.mark.parametrize(
    ("src", "dst"),
    [((1, 1), (500, 1)), ((1, 1), (1, 500)), ((1, 500), (1, 1)), ((500, 1), (1, 1)),
     ((1, 1), (600, 600)), ((300, 300), (1, 1)), ((7, 5), (7, 5)), ((2, 2), (3, 1))],
)  # fmt: skip
def test_edge_sizes_match_installed_pillow(
    kernels: ModuleType, src: tuple[int, int], dst: tuple[int, int]
) -> None:
    """Single pixels, single rows and unchanged sizes give Pillow's bytes."""
    mask = make_mask(7, *src, "noise")
    out = kernels.resize_bilinear(mask, dst[1], dst[0], ORDER)
    np.testing.assert_array_equal(out, pillow_resize(mask, dst[1], dst[0]))


def vertical_first(pillow: int, h: int, w: int, out_h: int, out_w: int) -> bool:
    """Pillow's choice of pass order, restated from its sources: Resample.c in 13,
    ``Image.resize`` in 12.2+ (which sends very tall images through two calls)."""
    if pillow == 12:
        return h > w * 100 and out_h < h
    return h - out_h > 0 and h - out_h > 2 * (w - out_w)


def _order_sensitive_case(h: int, w: int, rule: int) -> tuple[np.ndarray, int, int]:
    """The first (mask, out_w, out_h) found where only Pillow ``rule``'s order rule
    triggers and the two modes give different bytes."""
    mask = make_mask(3, h, w, "noise")
    for out_h in range(1, h):
        for out_w in range(1, 2 * w + 2):
            if out_w == w or not vertical_first(rule, h, w, out_h, out_w):
                continue
            if vertical_first(25 - rule, h, w, out_h, out_w):
                continue  # both modes run the vertical pass first
            a = masks.resize_bilinear(mask, (out_w, out_h), pillow=12)
            b = masks.resize_bilinear(mask, (out_w, out_h), pillow=13)
            if not np.array_equal(a, b):
                return mask, out_w, out_h
    raise AssertionError("the two pass orders agree on every size tried")


@pytest.mark.pillow_compat
@pytest.mark.parametrize(("shape", "rule"), [((61, 47), 13), ((250, 2), 12)])
def test_only_the_installed_order_matches_pillow_where_a_rule_triggers(
    shape: tuple[int, int], rule: int
) -> None:
    """Where one Pillow's rule runs the vertical pass first and the other's does not,
    the modes differ by ±1 and only the installed Pillow's own mode reproduces it."""
    mask, out_w, out_h = _order_sensitive_case(*shape, rule)
    expected = pillow_resize(mask, out_w, out_h)
    same = masks.resize_bilinear(mask, (out_w, out_h), pillow=ORDER)
    other = masks.resize_bilinear(mask, (out_w, out_h), pillow=OTHER_ORDER)
    np.testing.assert_array_equal(same, expected)
    assert not np.array_equal(other, expected)
    assert np.abs(other.astype(int) - expected).max() == 1


@given(h=in_sides, w=in_sides, out_h=out_sides, out_w=out_sides, seed=seeds)
def test_pass_orders_agree_unless_the_rule_triggers(
    h: int, w: int, out_h: int, out_w: int, seed: int
) -> None:
    """Pillow 12 and 13 modes give the same bytes whenever both run the horizontal pass first."""
    assume(not vertical_first(12, h, w, out_h, out_w))
    assume(not vertical_first(13, h, w, out_h, out_w))
    mask = make_mask(seed, h, w, "noise")
    np.testing.assert_array_equal(
        masks.resize_bilinear(mask, (out_w, out_h), pillow=12),
        masks.resize_bilinear(mask, (out_w, out_h), pillow=13),
    )


@pytest.mark.pillow_compat
@pytest.mark.parametrize("hidden", ["_pillow_resize", "_core_resize"])
@given(h=in_sides, w=in_sides, out_h=out_sides, out_w=out_sides, seed=seeds, kind=kinds)
def test_numpy_paths_without_pillow_core_match_installed_pillow(
    hidden: str, h: int, w: int, out_h: int, out_w: int, seed: int, kind: str
) -> None:
    """The NumPy fallback's other paths give Pillow's bytes too: with
    ``_pillow_resize`` hidden, its own arithmetic (used where Pillow's order is
    not the one asked for, so it cannot call Pillow); with ``_core_resize``
    hidden (were Pillow's core interface to change), its call of the public
    ``Image.resize``."""
    mask = make_mask(seed, h, w, kind)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(numpy_resize, hidden, lambda *args, **kwargs: None)
        out = numpy_resize.resize_bilinear(mask, out_w, out_h, ORDER)
        fused = numpy_resize.resize_bilinear_threshold(mask, out_w, out_h, 127, ORDER)
    expected = pillow_resize(mask, out_w, out_h)
    np.testing.assert_array_equal(out, expected)
    np.testing.assert_array_equal(fused, expected > 127)


@pytest.mark.parametrize("pillow", [12, 13])
@given(h=in_sides, w=in_sides, out_h=out_sides, out_w=out_sides, seed=seeds, kind=kinds)
def test_rust_and_numpy_agree(
    rust_kernels: ModuleType,
    numpy_kernels: ModuleType,
    pillow: int,
    h: int,
    w: int,
    out_h: int,
    out_w: int,
    seed: int,
    kind: str,
) -> None:
    """Both backends give the same bytes in both pass orders."""
    mask = make_mask(seed, h, w, kind)
    np.testing.assert_array_equal(
        rust_kernels.resize_bilinear(mask, out_w, out_h, pillow),
        numpy_kernels.resize_bilinear(mask, out_w, out_h, pillow),
    )


@given(
    h=in_sides,
    w=in_sides,
    out_h=out_sides,
    out_w=out_sides,
    seed=seeds,
    kind=kinds,
    t=st.one_of(st.integers(-300, 300), st.sampled_from([-1, 0, 126, 127, 128, 254, 255])),
    pillow=st.sampled_from([12, 13]),
)
def test_fused_threshold_equals_resize_then_threshold(
    kernels: ModuleType,
    h: int,
    w: int,
    out_h: int,
    out_w: int,
    seed: int,
    kind: str,
    t: int,
    pillow: int,
) -> None:
    """The fused kernel turns on exactly the pixels whose resized value is above t."""
    mask = make_mask(seed, h, w, kind)
    grey = kernels.resize_bilinear(mask, out_w, out_h, pillow)
    fused = kernels.resize_bilinear_threshold(mask, out_w, out_h, t, pillow)
    assert fused.dtype == np.bool_
    np.testing.assert_array_equal(fused, grey.astype(np.int64) > t)


BAD_KERNEL_CALLS = [
    ((3, 3), 0, 2, 13),
    ((3, 3), 2, 0, 13),
    ((3, 3), -4, 2, 13),
    ((3, 3), 2, 2, 11),
    ((3, 3), 2, 2, 14),
    ((0, 3), 2, 2, 13),
    ((3, 0), 2, 2, 13),
    ((3, 3), MAX_SIDE + 1, 2, 13),
]


@pytest.mark.parametrize(("shape", "width", "height", "pillow"), BAD_KERNEL_CALLS)
def test_backends_refuse_bad_arguments_alike(
    rust_kernels: ModuleType,
    numpy_kernels: ModuleType,
    shape: tuple[int, int],
    width: int,
    height: int,
    pillow: int,
) -> None:
    """Zero or negative sizes, unknown Pillow versions and empty masks raise the same
    class with the same message from both backends, for both kernels."""
    mask = np.zeros(shape, dtype=np.uint8)
    for name, extra in (("resize_bilinear", ()), ("resize_bilinear_threshold", (127,))):
        errors = []
        for backend in (rust_kernels, numpy_kernels):
            with pytest.raises(KernelInputError) as info:
                getattr(backend, name)(mask, width, height, *extra, pillow)
            errors.append(str(info.value))
        assert errors[0] == errors[1]


def test_result_shape_is_height_by_width() -> None:
    """``size`` is (width, height) as in Pillow; the array is (height, width)."""
    out = masks.resize_bilinear(np.zeros((4, 6), np.uint8), (10, 3))
    assert out.shape == (3, 10)
    assert out.dtype == np.uint8
    assert masks.resize_threshold(np.zeros((4, 6), np.uint8), (10, 3)).shape == (3, 10)


def test_same_size_is_a_copy() -> None:
    """An unchanged size returns equal bytes in a new array."""
    mask = make_mask(1, 9, 4, "noise")
    out = masks.resize_bilinear(mask, (4, 9))
    np.testing.assert_array_equal(out, mask)
    assert not np.shares_memory(out, mask)


def test_bool_and_strided_masks_are_accepted() -> None:
    """A bool mask resizes as 0/255; a strided view as its contiguous copy."""
    base = make_mask(2, 20, 30, "binary")
    view = base[::2, ::3]
    np.testing.assert_array_equal(
        masks.resize_bilinear(view, (17, 13)),
        masks.resize_bilinear(np.ascontiguousarray(view), (17, 13)),
    )
    np.testing.assert_array_equal(
        masks.resize_bilinear(base > 0, (17, 13)), masks.resize_bilinear(base, (17, 13))
    )


def test_default_threshold_is_the_documented_midpoint() -> None:
    """127 stays off and 128 turns on by default; huge thresholds saturate."""
    mask = np.array([[127, 128]], dtype=np.uint8)
    assert masks.resize_threshold(mask, (2, 1)).tolist() == [[False, True]]
    assert masks.resize_threshold(mask, (2, 1), 10**30).tolist() == [[False, False]]
    assert masks.resize_threshold(mask, (2, 1), -(10**30)).tolist() == [[True, True]]


@pytest.mark.parametrize(
    ("mask", "size", "pillow", "message"),
    [
        (np.zeros((2, 2, 3), np.uint8), (3, 3), 13, "must be 2-D"),
        (np.zeros((0, 4), np.uint8), (3, 3), 13, "empty mask"),
        (np.zeros((2, 2), np.float64), (3, 3), 13, "uint8"),
        (np.zeros((2, 2), np.uint8), (3,), 13, r"\(width, height\) pair"),
        (np.zeros((2, 2), np.uint8), 3, 13, r"\(width, height\) pair"),
        (np.zeros((2, 2), np.uint8), (3, 0), 13, "size must be positive"),
        (np.zeros((2, 2), np.uint8), (-1, 3), 13, "size must be positive"),
        (np.zeros((2, 2), np.uint8), (3.0, 3), 13, "size width must be an integer"),
        (np.zeros((2, 2), np.uint8), (3, True), 13, "size height must be an integer"),
        (np.zeros((2, 2), np.uint8), (3, 3), 11, "pillow must be 12 .* or 13"),
        (np.zeros((2, 2), np.uint8), (3, 3), "13", "pillow must be an integer"),
    ],
)
def test_bad_arguments_name_the_problem(
    mask: np.ndarray, size: object, pillow: object, message: str
) -> None:
    """Bad masks, sizes and Pillow versions raise KernelInputError saying which."""
    with pytest.raises(KernelInputError, match=message):
        masks.resize_bilinear(mask, size, pillow=pillow)  # type: ignore[arg-type]
    with pytest.raises(KernelInputError, match=message):
        masks.resize_threshold(mask, size, pillow=pillow)  # type: ignore[arg-type]
