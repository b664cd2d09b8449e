"""COCO RLE (SPEC M6): encode, decode, strings, area, boxes and IoU equal to
pycocotools, from box-local masks, both backends; malformed RLEs raise RleError."""

from __future__ import annotations

import warnings
from types import ModuleType

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from gemini_vision import masks
from gemini_vision.errors import KernelInputError, RleError
from tests.strategies import bool_masks, placed_masks, reference_full

# The reference; the Pillow 12 environment (scripts/test-pillow12.sh) does not install it.
coco = pytest.importorskip("pycocotools.mask")

Placed = tuple[list[np.ndarray], list[tuple[int, int]], tuple[int, int]]


def coco_encode(frame: np.ndarray) -> dict[str, object]:
    """pycocotools' encoding of a whole frame."""
    return coco.encode(np.asfortranarray(frame.astype(np.uint8)))  # type: ignore[no-any-return]


def coco_decode(rle: dict[str, object]) -> np.ndarray:
    """pycocotools' decode, quiet about its NumPy 2 ``__array__`` deprecation warning."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "__array__ implementation", DeprecationWarning)
        return coco.decode(rle).astype(bool)


@given(placed=placed_masks(max_masks=3))
def test_encode_equals_pycocotools_of_the_full_frame(kernels: ModuleType, placed: Placed) -> None:
    """Counts from the box-local mask equal pycocotools' encode of the pasted full frame."""
    ms, offsets, shape = placed
    for m, (x0, y0) in zip(ms, offsets, strict=True):
        frame = reference_full(m, x0, y0, shape)
        expected = coco_encode(frame)
        counts = kernels.rle_encode(m, x0, y0, *shape)
        assert counts.dtype == np.uint32
        assert kernels.rle_to_string(counts) == expected["counts"]
        np.testing.assert_array_equal(kernels.rle_from_string(expected["counts"]), counts)
        np.testing.assert_array_equal(kernels.rle_decode(counts, *shape), frame)
        if frame.size:
            np.testing.assert_array_equal(coco_decode(expected), frame)
        assert kernels.rle_area(counts) == int(coco.area(expected))
        np.testing.assert_array_equal(kernels.rle_bbox(counts, *shape), coco.toBbox(expected))
        np.testing.assert_array_equal(kernels.mask_bbox(m, x0, y0, *shape), coco.toBbox(expected))


@given(
    placed=placed_masks(max_masks=1),
    box=st.tuples(*[st.integers(-8, 24)] * 2, *[st.integers(0, 14)] * 2),
)
def test_decode_box_is_the_frame_cut_to_the_box(
    kernels: ModuleType, placed: Placed, box: tuple[int, int, int, int]
) -> None:
    """Decoding into a box gives the full decode's pixels there, off outside the frame."""
    ms, offsets, shape = placed
    frame = np.zeros(shape, bool)
    for m, (x0, y0) in zip(ms, offsets, strict=True):
        frame |= reference_full(m, x0, y0, shape)
    counts = coco_encode(frame)["counts"]
    x0, y0, bw, bh = box
    padded = np.zeros((shape[0] + 80, shape[1] + 80), bool)
    padded[40 : 40 + shape[0], 40 : 40 + shape[1]] = frame
    expected = padded[40 + y0 : 40 + y0 + bh, 40 + x0 : 40 + x0 + bw]
    got = kernels.rle_decode_box(kernels.rle_from_string(counts), *shape, x0, y0, bh, bw)
    assert got.shape == (bh, bw)
    np.testing.assert_array_equal(got, expected)


@given(counts=st.lists(st.integers(0, 2**32 - 1), max_size=12))
def test_string_form_round_trips_any_counts(kernels: ModuleType, counts: list[int]) -> None:
    """Any uint32 counts survive to_string/from_string, and the string is pycocotools' alphabet."""
    arr = np.array(counts, dtype=np.uint32)
    s = kernels.rle_to_string(arr)
    assert all(48 <= c < 112 for c in s)
    np.testing.assert_array_equal(kernels.rle_from_string(s), arr)


# pycocotools' rleToString allocates 6 bytes per count and writes a NUL after the
# last one, so a string of 6-character counts overruns its buffer and corrupts the
# heap. Only counts that need at most 5 characters (deltas within 25 signed bits)
# are given to it; ours handle any uint32 (test_string_form_round_trips_any_counts).
@given(counts=st.lists(st.integers(0, 2**24 - 1), min_size=1, max_size=12))
def test_string_form_equals_pycocotools(kernels: ModuleType, counts: list[int]) -> None:
    """pycocotools compresses uncompressed counts to the same string ours makes."""
    size = [1, sum(counts)]
    (expected,) = coco.frPyObjects([{"size": size, "counts": counts}], *size)
    assert kernels.rle_to_string(np.array(counts, np.uint32)) == expected["counts"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("7 2", "character ' '"),
        ("p", "character 'p'"),
        ("0P", "ends inside a number"),
        ("o" * 13, "too long"),
        ("00O", "outside 0..2\\*\\*32"),
    ],
)
def test_malformed_strings_raise_rle_error(kernels: ModuleType, text: str, message: str) -> None:
    """Characters out of range, numbers cut short or too long, negative counts: RleError."""
    with pytest.raises(RleError, match=message):
        kernels.rle_from_string(text.encode())


def test_counts_that_do_not_cover_the_frame_raise_rle_error(kernels: ModuleType) -> None:
    """Decoding counts whose sum is not height * width is refused, not read out of bounds."""
    with pytest.raises(RleError, match="sum to 2"):
        kernels.rle_decode(np.array([1, 1], np.uint32), 2, 2)
    with pytest.raises(RleError):
        kernels.rle_bbox(np.array([5], np.uint32), 2, 2)
    with pytest.raises(RleError):
        masks.Rle.from_coco({"size": [3, 4], "counts": "0"})
    with pytest.raises(RleError, match="ASCII"):
        masks.rle_from_string("72é")
    with pytest.raises(RleError):
        masks.Rle.from_coco({"size": [3, 4]})


@st.composite
def box_sets(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, list[int]]:
    coord = st.integers(-5, 30).map(float) | st.floats(-5, 30, allow_nan=False)
    size = st.integers(0, 20).map(float) | st.floats(0, 20, allow_nan=False)

    def boxes(n: int) -> np.ndarray:
        rows = [[draw(coord), draw(coord), draw(size), draw(size)] for _ in range(n)]
        return np.array(rows, dtype=np.float64).reshape(n, 4)

    dt, gt = boxes(draw(st.integers(0, 5))), boxes(draw(st.integers(0, 5)))
    crowd = [draw(st.integers(0, 1)) for _ in range(len(gt))]
    return dt, gt, crowd


@given(case=box_sets())
def test_box_iou_equals_pycocotools(
    kernels: ModuleType, case: tuple[np.ndarray, np.ndarray, list[int]]
) -> None:
    """IoU of boxes, iscrowd included, equals pycocotools' iou exactly."""
    dt, gt, crowd = case
    got = kernels.box_iou(dt, gt, np.array(crowd, dtype=bool))
    assert got.shape == (len(dt), len(gt))
    if len(dt) and len(gt):
        np.testing.assert_array_equal(got, coco.iou(dt, gt, crowd))


@given(
    dt=st.lists(st.tuples(bool_masks(8), st.integers(-4, 10), st.integers(-4, 10)), max_size=4),
    gt=st.lists(st.tuples(bool_masks(8), st.integers(-4, 10), st.integers(-4, 10)), max_size=4),
    shapes=st.sampled_from([((10, 12), (10, 12)), ((10, 12), (12, 10)), ((0, 3), (0, 3))]),
    data=st.data(),
)
def test_mask_iou_equals_pycocotools(
    dt: list[tuple[np.ndarray, int, int]],
    gt: list[tuple[np.ndarray, int, int]],
    shapes: tuple[tuple[int, int], tuple[int, int]],
    data: st.DataObject,
) -> None:
    """IoU of RLEs (size mismatch -1, crowd by detection area) equals pycocotools' iou."""
    dt_shape, gt_shape = shapes
    crowd = [data.draw(st.integers(0, 1)) for _ in gt]
    dt_rles = [masks.rle_encode(m, (x, y), dt_shape) for m, x, y in dt]
    # The second half of gt has the other shape when the shapes differ.
    gt_rles = [
        masks.rle_encode(m, (x, y), gt_shape if i % 2 else dt_shape)
        for i, (m, x, y) in enumerate(gt)
    ]
    got = masks.mask_iou(dt_rles, [r.to_coco() for r in gt_rles], crowd)
    assert got.shape == (len(dt), len(gt))
    if dt and gt:
        c_dt = [{"size": list(r.size), "counts": r.to_coco()["counts"].encode()} for r in dt_rles]
        c_gt = [{"size": list(r.size), "counts": r.to_coco()["counts"].encode()} for r in gt_rles]
        np.testing.assert_array_equal(got, coco.iou(c_dt, c_gt, crowd))


def test_rle_object_round_trips_through_pycocotools() -> None:
    """An Rle's COCO dict decodes in pycocotools to the pasted mask; from_coco reads it back."""
    m = np.array([[1, 0, 1], [1, 1, 0]], bool)
    rle = masks.rle_encode(m, (2, 1), (4, 6))
    coco_rle = rle.to_coco()
    assert isinstance(coco_rle["counts"], str)
    np.testing.assert_array_equal(
        coco_decode({"size": coco_rle["size"], "counts": coco_rle["counts"].encode()}),
        reference_full(m, 2, 1, (4, 6)),
    )
    assert masks.Rle.from_coco(coco_rle) == rle
    assert masks.Rle.from_coco(rle.to_coco(compressed=False)) == rle
    np.testing.assert_array_equal(rle.decode_box((2, 1, 5, 3)), m)
    np.testing.assert_array_equal(masks.rle_decode(coco_rle, (2, 1, 5, 3)), m)
    assert rle.area == 4 and rle.bbox() == masks.mask_bbox(m, (2, 1), (4, 6)) == (
        2.0,
        1.0,
        3.0,
        2.0,
    )
    assert [r.area for r in masks.rle_encode_many([m, m], [(0, 0), (5, 3)], (4, 6))] == [4, 1]


def test_box_iou_xyxy_and_bad_boxes() -> None:
    """``fmt="xyxy"`` converts corners to widths; non-finite or mis-shaped boxes are refused."""
    a = masks.box_iou([[0, 0, 2, 2]], [[1, 1, 3, 3]], fmt="xyxy")
    np.testing.assert_array_equal(a, masks.box_iou([[0, 0, 2, 2]], [[1, 1, 2, 2]]))
    assert masks.box_iou([], [[0, 0, 1, 1]]).shape == (0, 1)
    with pytest.raises(KernelInputError, match="finite"):
        masks.box_iou([[0, 0, float("nan"), 1]], [])
    with pytest.raises(KernelInputError, match="shape \\(n, 4\\)"):
        masks.box_iou([[0, 0, 1]], [])
    with pytest.raises(KernelInputError, match="one flag per ground truth"):
        masks.box_iou([[0, 0, 1, 1]], [[0, 0, 1, 1]], [1, 0])


@given(placed=placed_masks(max_masks=3))
def test_backends_agree(
    rust_kernels: ModuleType, numpy_kernels: ModuleType, placed: Placed
) -> None:
    """Both backends give the same counts, strings, boxes and decodes."""
    ms, offsets, shape = placed
    offs = np.array(offsets, dtype=np.int64).reshape(len(ms), 2)
    a = rust_kernels.rle_encode_many(ms, offs, *shape)
    b = numpy_kernels.rle_encode_many(ms, offs, *shape)
    assert [x.tolist() for x in a] == [x.tolist() for x in b]
    for counts in a:
        assert rust_kernels.rle_to_string(counts) == numpy_kernels.rle_to_string(counts)
        np.testing.assert_array_equal(
            rust_kernels.rle_bbox(counts, *shape), numpy_kernels.rle_bbox(counts, *shape)
        )
    sizes = np.array([shape] * len(a), np.int64).reshape(len(a), 2)
    crowd = np.zeros(len(a), bool)
    np.testing.assert_array_equal(
        rust_kernels.rle_iou(a, sizes, a, sizes, crowd),
        numpy_kernels.rle_iou(b, sizes, b, sizes, crowd),
    )
