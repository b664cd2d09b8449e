"""The evaluation kernels: polygons as pycocotools rasterises them; Rust and NumPy agree."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from gemini_vision.errors import KernelInputError
from tests.evaluate.strategies import mask_utils, polygons


def _frame(counts: np.ndarray, h: int, w: int) -> np.ndarray:
    vals = np.repeat(np.arange(len(counts)) % 2 == 1, counts.astype(np.int64))
    return vals.reshape(w, h).T


def _ours(k: ModuleType, polys: list[list[float]], h: int, w: int) -> np.ndarray:
    coords = np.array([v for p in polys for v in p[: len(p) // 2 * 2]], dtype=np.float64)
    pts = np.r_[0, np.cumsum([len(p) // 2 for p in polys])].astype(np.int64)
    counts, offs = k.eval_polygons(coords, pts, np.array([0, len(polys)]), np.array([[h, w]]))
    assert offs.tolist() == [0, len(counts)]
    return _frame(counts, h, w)


@given(data=st.data(), h=st.integers(1, 30), w=st.integers(1, 30))
def test_polygons_cover_pycocotools_pixels(kernels: ModuleType, data: Any, h: int, w: int) -> None:
    polys = data.draw(polygons(h, w))
    ref = mask_utils.merge(mask_utils.frPyObjects(polys, h, w))
    # pycocotools' RLE to a frame without its (warning) decode.
    from gemini_vision.masks import rle_from_string

    expected = _frame(rle_from_string(ref["counts"]), h, w)
    np.testing.assert_array_equal(_ours(kernels, polys, h, w), expected)


@given(data=st.data(), h=st.integers(1, 20), w=st.integers(1, 20))
def test_single_polygon_counts_equal_pycocotools(
    kernels: ModuleType, data: Any, h: int, w: int
) -> None:
    """One polygon: the very counts pycocotools' rleFrPoly writes (merge keeps them)."""
    from gemini_vision.masks import rle_from_string

    poly = data.draw(polygons(h, w))[:1]
    ref = mask_utils.frPyObjects(poly, h, w)[0]
    coords = np.array(poly[0], dtype=np.float64)
    counts, _ = kernels.eval_polygons(
        coords, np.array([0, len(poly[0]) // 2]), np.array([0, 1]), np.array([[h, w]])
    )
    assert counts.tolist() == rle_from_string(ref["counts"]).tolist()


def test_match_backends_agree(rust_kernels: ModuleType, numpy_kernels: ModuleType) -> None:
    rng = np.random.default_rng(5)
    n_groups = 40
    g_len = rng.integers(0, 6, n_groups)
    d_len = rng.integers(0, 8, n_groups)
    g_off = np.r_[0, np.cumsum(g_len)].astype(np.int64)
    d_off = np.r_[0, np.cumsum(d_len)].astype(np.int64)
    ng, nd = int(g_off[-1]), int(d_off[-1])

    def boxes(n: int) -> np.ndarray:
        xy = rng.integers(0, 20, (n, 2)).astype(float)
        wh = rng.integers(1, 12, (n, 2)).astype(float)
        return np.ascontiguousarray(np.c_[xy, wh])

    args = (
        g_off,
        d_off,
        boxes(ng),
        boxes(nd),
        rng.choice([10.0, 100.0, 2000.0], ng),
        rng.random(ng) < 0.15,
        rng.random(ng) < 0.9,
        rng.choice([10.0, 100.0, 2000.0], nd),
        np.linspace(0.5, 0.95, 10),
        np.array([[0, 1e10], [0, 32**2], [32**2, 96**2], [96**2, 1e10]], dtype=np.float64),
    )
    a = rust_kernels.eval_match(*args)
    b = numpy_kernels.eval_match(*args)
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x, y)
    assert (a[0] >= 0).any() and (a[0] < 0).any()


def test_rle_strings_backends_agree(rust_kernels: ModuleType, numpy_kernels: ModuleType) -> None:
    strs = [b"52203", b"", b"0:0", b"6"]
    offs = np.r_[0, np.cumsum([len(s) for s in strs])].astype(np.int64)
    a = rust_kernels.eval_rle_strings(b"".join(strs), offs)
    b = numpy_kernels.eval_rle_strings(b"".join(strs), offs)
    assert a[0].tolist() == b[0].tolist() and a[1].tolist() == b[1].tolist()


@pytest.mark.parametrize(
    "call",
    [
        lambda k: k.eval_polygons(np.zeros(4), np.array([0, 2]), np.array([0, 1]), np.array([[2]])),
        lambda k: k.eval_polygons(
            np.zeros(4), np.array([0, 3]), np.array([0, 1]), np.array([[2, 2]])
        ),
        lambda k: k.eval_polygons(
            np.array([np.nan, 0.0]), np.array([0, 1]), np.array([0, 1]), np.array([[2, 2]])
        ),
        lambda k: k.eval_rle_strings(b"12", np.array([0, 5])),
        lambda k: k.eval_match(
            np.array([0, 2]),
            np.array([0, 0]),
            np.zeros((1, 4)),
            np.zeros((0, 4)),
            np.zeros(1),
            np.zeros(1, bool),
            np.ones(1, bool),
            np.zeros(0),
            np.array([0.5]),
            np.array([[0.0, 1.0]]),
        ),
    ],
)
def test_bad_arguments_raise(kernels: ModuleType, call: Any) -> None:
    with pytest.raises(KernelInputError):
        call(kernels)


@given(data=st.data())
def test_masks_backends_agree_and_follow_the_order_asked(
    rust_kernels: ModuleType, numpy_kernels: ModuleType, data: Any
) -> None:
    h, w = data.draw(st.integers(1, 12)), data.draw(st.integers(1, 12))
    polys = [data.draw(polygons(h, w)) for _ in range(data.draw(st.integers(1, 3)))]
    coords = np.array([v for ps in polys for p in ps for v in p[: len(p) // 2 * 2]], np.float64)
    point_offsets = np.r_[0, np.cumsum([len(p) // 2 for ps in polys for p in ps])].astype(np.int64)
    poly_offsets = np.r_[0, np.cumsum([len(ps) for ps in polys])].astype(np.int64)
    lists = [[h * w], [0, h * w], [0, 0, h * w, 0]]
    list_counts = np.array([v for c in lists for v in c], np.uint32)
    list_offsets = np.r_[0, np.cumsum([len(c) for c in lists])].astype(np.int64)
    strings = [mask_utils.frPyObjects({"size": [h, w], "counts": c}, h, w)["counts"] for c in lists]
    str_offsets = np.r_[0, np.cumsum([len(s) for s in strings])].astype(np.int64)
    picks = data.draw(
        st.lists(
            st.one_of(
                st.tuples(st.just(0), st.integers(0, len(polys) - 1)),
                st.tuples(st.sampled_from([1, 2]), st.integers(0, len(lists) - 1)),
            ),
            max_size=8,
        )
    )
    kinds = np.array([k for k, _ in picks], np.uint8)
    entries = np.array([e for _, e in picks], np.int64)
    sizes = np.array([[h, w]] * len(picks), np.int64).reshape(-1, 2)
    args = (kinds, entries, sizes, coords, point_offsets, poly_offsets, b"".join(strings))
    rest = (str_offsets, list_counts, list_offsets)
    ours = rust_kernels.eval_masks(*args, *rest)
    twin = numpy_kernels.eval_masks(*args, *rest)
    for a, b in zip(ours, twin, strict=True):
        np.testing.assert_array_equal(a, b)
    counts, offsets, sums, areas = ours
    # Polygons: each annotation's mask as eval_polygons makes them all at once.
    pc, po = rust_kernels.eval_polygons(
        coords, point_offsets, poly_offsets, np.array([[h, w]] * len(polys), np.int64)
    )
    for i, (k, e) in enumerate(picks):
        one = counts[offsets[i] : offsets[i + 1]]
        if k == 0:
            np.testing.assert_array_equal(one, pc[po[e] : po[e + 1]])
        else:
            np.testing.assert_array_equal(one, lists[e])  # strings and lists keep their zeros
        assert sums[i] == h * w and areas[i] == one[1::2].sum()


@given(data=st.data())
def test_accumulate_backends_agree(
    rust_kernels: ModuleType, numpy_kernels: ModuleType, data: Any
) -> None:
    n_k, n_a, n_t = data.draw(st.integers(1, 3)), data.draw(st.integers(1, 3)), 2
    per_cat = [data.draw(st.integers(0, 6)) for _ in range(n_k)]
    n_d = sum(per_cat)
    offsets = np.r_[0, np.cumsum(per_cat)].astype(np.int64)
    rank = np.array(data.draw(st.lists(st.integers(0, 4), min_size=n_d, max_size=n_d)), np.int64)
    score = np.sort(
        np.array(data.draw(st.lists(st.sampled_from([0.1, 0.5, 0.9]), min_size=n_d, max_size=n_d)))
    )[::-1].copy()
    outcome = data.draw(
        st.lists(st.integers(0, 2), min_size=n_d * n_a * n_t, max_size=n_d * n_a * n_t)
    )
    o = np.array(outcome, np.int64).reshape(n_d, n_a, n_t)
    tp, fp = o == 1, o == 2  # 0: ignored
    npig = np.array(data.draw(st.lists(st.integers(0, 4), min_size=n_k * n_a, max_size=n_k * n_a)))
    args = (
        offsets,
        rank,
        score,
        tp,
        fp,
        npig.reshape(n_k, n_a).astype(np.int64),
        np.array([1, 2, 10], np.int64),
        np.linspace(0, 1, 11),
    )
    for a, b in zip(
        rust_kernels.eval_accumulate(*args), numpy_kernels.eval_accumulate(*args), strict=True
    ):
        np.testing.assert_array_equal(a, b)
