"""The fast COCO file reader (``eval_read_ground_truth`` / ``eval_read_results``).

References: pycocotools on the same files, the general Python reader on the
same data given as dicts, and the other backend's reader. Runs with whichever
backend is selected (the suite runs once per backend); the reader agreement
test runs both kernels directly.
"""

from __future__ import annotations

import itertools
import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gemini_vision import evaluate
from gemini_vision._backend import kernels
from gemini_vision.errors import EvaluationError
from gemini_vision.evaluate.data import (
    Segmentations,
    load_ground_truth,
    load_predictions,
    masks_of,
)
from tests.evaluate.strategies import coco_sets, mask_utils, reference


@contextmanager
def files(gt: Any, dt: Any, raw: bool = False) -> Iterator[tuple[str, str]]:
    """``gt`` and ``dt`` written as JSON files (``raw``: they are already bytes)."""
    with tempfile.TemporaryDirectory() as tmp:
        paths = os.path.join(tmp, "gt.json"), os.path.join(tmp, "dt.json")
        for path, value in zip(paths, (gt, dt), strict=True):
            with open(path, "wb") as f:
                f.write(value if raw else json.dumps(value).encode())
        yield paths


def _same_masks(a: Any, b: Any) -> None:
    np.testing.assert_array_equal(a.counts, b.counts)
    np.testing.assert_array_equal(a.offsets, b.offsets)
    np.testing.assert_array_equal(a.sizes, b.sizes)
    np.testing.assert_array_equal(a.areas(), b.areas())


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(data=coco_sets("segm"), iou_type=st.sampled_from(["bbox", "segm"]))
def test_files_equal_pycocotools_and_the_general_reader(data: Any, iou_type: str) -> None:
    gt, dt = data
    with files(gt, dt) as (gt_path, dt_path):
        with open(gt_path, "rb") as f:
            assert kernels.eval_read_ground_truth(f.read()) is not None
        with open(dt_path, "rb") as f:
            assert kernels.eval_read_results(f.read()) is not None
        fast_gt = load_ground_truth(gt_path)
        fast_dt = load_predictions(dt_path, fast_gt)
        ours = evaluate.coco(gt_path, dt_path, iou_type)  # type: ignore[arg-type]
    assert isinstance(fast_gt.segmentation, Segmentations)
    ref = reference(gt, dt, iou_type)
    np.testing.assert_array_equal(ours.stats, ref.stats)
    np.testing.assert_array_equal(ours.precision, ref.eval["precision"])
    np.testing.assert_array_equal(ours.recall, ref.eval["recall"])
    # Column by column, the general reader of the same data as dicts.
    slow_gt = load_ground_truth(gt)
    slow_dt = load_predictions(dt, slow_gt)
    for name in ("image_ids", "image_sizes", "category_ids", "category_names", "file_names"):
        assert getattr(fast_gt, name) == getattr(slow_gt, name), name
    assert fast_gt.image_id == slow_gt.image_id and fast_gt.category_id == slow_gt.category_id
    for name in ("id", "bbox", "area", "iscrowd"):
        np.testing.assert_array_equal(getattr(fast_gt, name), getattr(slow_gt, name), name)
    for name in ("image_id", "category_id", "area_from_box"):
        assert getattr(fast_dt, name) == getattr(slow_dt, name), name
    for name in ("score", "bbox", "area", "score_given"):
        np.testing.assert_array_equal(getattr(fast_dt, name), getattr(slow_dt, name), name)
    _same_masks(
        masks_of(fast_gt.segmentation, fast_gt.image_id, fast_gt),
        masks_of(slow_gt.segmentation, slow_gt.image_id, slow_gt),
    )
    _same_masks(
        masks_of(fast_dt.segmentation, fast_dt.image_id, fast_gt),
        masks_of(slow_dt.segmentation, slow_dt.image_id, slow_gt),
    )
    # A row taken from the columns reads back as the same mask as the dict's.
    rows = np.arange(len(slow_dt.image_id))[::-1].copy()
    _same_masks(
        masks_of(fast_dt.segmentation, fast_dt.image_id, fast_gt, rows=rows),
        masks_of(
            [slow_dt.segmentation[i] for i in rows], [dt[i]["image_id"] for i in rows], slow_gt
        ),
    )
    for i in range(len(fast_gt.image_id)):
        _same_masks(
            masks_of([fast_gt.segmentation[i]], [fast_gt.image_id[i]], fast_gt),
            masks_of([gt["annotations"][i]["segmentation"]], [fast_gt.image_id[i]], slow_gt),
        )


# JSON values that replace one field of a valid document: each is either read
# the same way by both readers or sends both to the general reader.
ODD = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**64), 2**64),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=4),
    st.lists(st.integers(-3, 50), max_size=5),
    st.lists(st.lists(st.floats(-5, 50, allow_nan=False), max_size=9), max_size=3),
    st.fixed_dictionaries(
        {
            "size": st.lists(st.integers(-1, 9), max_size=3),
            "counts": st.sampled_from(["", "3", [9]]),
        }
    ),
)


def _mutate(doc: Any, path: list[Any], value: Any) -> Any:
    """``doc`` with the field at ``path`` set to ``value`` (or deleted for the marker)."""
    out = json.loads(json.dumps(doc))
    node = out
    for key in path[:-1]:
        node = node[key]
    if value == "<delete>":
        node.pop(path[-1], None)
    else:
        node[path[-1]] = value
    return out


def _equal(a: Any, b: Any) -> None:
    assert (a is None) == (b is None)
    if a is None:
        return
    assert a.keys() == b.keys()
    for k in a:
        if isinstance(a[k], np.ndarray):
            assert a[k].dtype == np.asarray(b[k]).dtype, k
            np.testing.assert_array_equal(a[k], b[k], k)
        else:
            assert a[k] == b[k], k


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(data=coco_sets("segm"), choice=st.data())
def test_rust_and_numpy_readers_agree(
    data: Any, choice: st.DataObject, rust_kernels: ModuleType, numpy_kernels: ModuleType
) -> None:
    gt, dt = data
    value = choice.draw(st.one_of(ODD, st.just("<delete>")))
    if gt["annotations"] and choice.draw(st.booleans()):
        i = choice.draw(st.integers(0, len(gt["annotations"]) - 1))
        key = choice.draw(
            st.sampled_from(
                ["id", "image_id", "category_id", "bbox", "area", "iscrowd", "segmentation"]
            )
        )
        gt = _mutate(gt, ["annotations", i, key], value)
    elif choice.draw(st.booleans()):
        key = choice.draw(st.sampled_from(["id", "height", "width", "file_name"]))
        gt = _mutate(gt, ["images", 0, key], value)
    i = choice.draw(st.integers(0, len(dt) - 1))
    key = choice.draw(st.sampled_from(["image_id", "category_id", "score", "bbox", "segmentation"]))
    if choice.draw(st.booleans()):
        dt = _mutate(dt, [i, key], value)
    for doc in (json.dumps(gt).encode(), json.dumps(gt, indent=1, ensure_ascii=True).encode()):
        _equal(rust_kernels.eval_read_ground_truth(doc), numpy_kernels.eval_read_ground_truth(doc))
    doc = json.dumps(dt).encode()
    _equal(rust_kernels.eval_read_results(doc), numpy_kernels.eval_read_results(doc))


@pytest.mark.parametrize(
    "doc",
    [
        b"",
        b"[1, 2",
        b'{"images": [}',
        b'{"images": [{"id": 1}]} x',
        b'\xef\xbb\xbf{"images": []}',
        b'{"images": [{"id": 1, "width": NaN}]}',
        b'{"a": "\\ud800"}',
        b'{"a": "\\x"}',
        b'{"a": "\x01"}',
        b'{"a": [1,]}',
        b'{"a": 01}',
        b'{"a": 1.}',
        b'{"a": -}',
        b'{"a": tru}',
        b'{"a": "\xff"}',
        b'{"images": [{"id": 1.5}]}',
        b'{"images": [{"id": 99999999999999999999}]}',
        b'{"annotations": [{"image_id": 1, "category_id": 1, "bbox": [0, 0, 1, 1e400]}]}',
        b"[" * 300 + b"]" * 300,
    ],
)
def test_readers_leave_what_they_do_not_handle(doc: bytes, kernels: ModuleType) -> None:
    assert kernels.eval_read_ground_truth(doc) is None
    assert kernels.eval_read_results(doc) is None


def test_readers_take_the_last_of_repeated_keys(kernels: ModuleType) -> None:
    doc = (
        b'{"images": [{"id": 1, "height": 2, "width": 2}], "images": [{"id": 3, "height": 4,'
        b' "width": 4, "width": 5}], "annotations": [{"image_id": 3, "category_id": 1,'
        b' "bbox": [0, 0, 1, 1], "segmentation": [[0, 0, 1, 1]],'
        b' "segmentation": {"size": [4, 5], "counts": [20]}}]}'
    )
    cols = kernels.eval_read_ground_truth(doc)
    assert cols is not None
    assert cols["img_id"].tolist() == [3] and cols["img_width"].tolist() == [5]
    assert cols["seg_kind"].tolist() == [4] and cols["list_counts"].tolist() == [20]


GT = {
    "images": [{"id": 1, "height": 8, "width": 8}, {"id": 2, "height": 8, "width": 8}],
    "categories": [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}],
    "annotations": [
        {"id": 1, "image_id": 1, "category_id": 1, "bbox": [1, 1, 4, 4], "area": 16,
         "segmentation": [[1, 1, 1, 5, 5, 5, 5, 1]]},
        {"id": 2, "image_id": 2, "category_id": 2, "bbox": [0, 0, 3, 3], "area": 9,
         "iscrowd": 1, "segmentation": {"size": [8, 8], "counts": [0, 3, 5, 3, 53]}},
    ],
}  # fmt: skip
DT = [
    {"image_id": 1, "category_id": 1, "bbox": [1, 1, 4, 3], "score": 0.9,
     "segmentation": [[1, 1, 1, 4, 5, 4, 5, 1]]},
    {"image_id": 2, "category_id": 2, "bbox": [0, 0, 2, 2], "score": 0.8,
     "segmentation": [[0, 0, 2, 2]]},
    {"image_id": 2, "category_id": 1, "bbox": [4, 4, 2, 2], "score": 0.7},
]  # fmt: skip


def _with(doc: Any, path: list[Any], value: Any) -> Any:
    return _mutate(doc, path, value)


@pytest.mark.parametrize(
    ("gt", "dt"),
    [
        (GT, DT),
        # The general reader's cases: ids of other JSON types, missing scores,
        # fields it defaults or converts.
        (_with(GT, ["annotations", 0, "category_id"], "1"), DT),
        (_with(GT, ["images", 0, "height"], 8.0), DT),
        (_with(GT, ["annotations", 1, "area"], "<delete>"), DT),
        (_with(GT, ["annotations", 0, "iscrowd"], False), DT),
        (_with(GT, ["categories", 0, "name"], None), DT),
        (GT, _with(DT, [0, "score"], "<delete>")),
        (GT, _with(DT, [1, "category_id"], 2.0)),
        (GT, _with(DT, [0, "score"], True)),
        (GT, _with(_with(DT[:2], [0, "bbox"], []), [1, "bbox"], None)),
        (
            {**GT, "images": [{**GT["images"][0], "id": "a"}, {**GT["images"][1], "id": "b"}],
             "annotations": [{**GT["annotations"][0], "image_id": "a"},
                             {**GT["annotations"][1], "image_id": "b"}]},
            [{**DT[0], "image_id": "a"}, {**DT[1], "image_id": "b"}],
        ),
    ],
)  # fmt: skip
@pytest.mark.parametrize("iou_type", ["bbox", "segm"])
def test_files_equal_dicts_whichever_reader_reads_them(gt: Any, dt: Any, iou_type: str) -> None:
    with files(gt, dt) as (gt_path, dt_path):
        from_files = evaluate.coco(gt_path, dt_path, iou_type)  # type: ignore[arg-type]
    from_dicts = evaluate.coco(gt, dt, iou_type)  # type: ignore[arg-type]
    np.testing.assert_array_equal(from_files.stats, from_dicts.stats)
    np.testing.assert_array_equal(from_files.precision, from_dicts.precision)


@pytest.mark.parametrize(
    ("gt", "dt", "message"),
    [
        (b'{"images": [', json.dumps(DT).encode(), "cannot read the ground truth"),
        (json.dumps(GT).encode(), b'[{"image_id": 1,', "cannot read the predictions"),
        (json.dumps(GT).encode(), b'{"image_id": 1}', "predictions must be a list"),
        (json.dumps(GT).encode(), b'[{"image_id": 9, "category_id": 1, "score": 1,'
         b' "bbox": [0, 0, 1, 1]}]', "image 9"),
        (json.dumps(_with(GT, ["annotations", 0, "image_id"], 7)).encode(),
         json.dumps(DT).encode(), "image 7"),
        (json.dumps(_with(GT, ["annotations", 0, "bbox"], [1, 2, 3])).encode(),
         json.dumps(DT).encode(), "bbox"),
        (json.dumps(_with(GT, ["annotations", 0, "bbox"], "<delete>")).encode(),
         json.dumps(DT).encode(), "bbox"),
        (json.dumps(GT).encode(), json.dumps(_with(DT, [0, "score"], "high")).encode(), "score"),
        (json.dumps(GT).encode(), json.dumps(_with(DT, [1, "bbox"], "<delete>")).encode(),
         "has no 'bbox'"),
        (json.dumps(_with(GT, ["annotations", 0, "id"], None)).encode(),
         json.dumps(DT).encode(), "id, area and iscrowd must be numbers"),
    ],
)  # fmt: skip
def test_malformed_files_raise_naming_what_is_wrong(gt: bytes, dt: bytes, message: str) -> None:
    with (
        files(gt, dt, raw=True) as (gt_path, dt_path),
        pytest.raises(EvaluationError, match=message),
    ):
        evaluate.coco(gt_path, dt_path, "bbox")


@pytest.mark.parametrize(
    ("seg", "message"),
    [
        (None, "must be polygons or a COCO RLE dict"),
        ({"size": [8, 8], "counts": [1, 2]}, "sum to 3"),
        ({"size": [8, 8], "counts": "x"}, "malformed"),
        ([], "empty polygon list"),
    ],
)
def test_bad_segmentations_raise_from_files(seg: Any, message: str) -> None:
    gt = _with(GT, ["annotations", 1, "segmentation"], seg)
    with files(gt, DT) as (gt_path, dt_path), pytest.raises(EvaluationError, match=message):
        evaluate.coco(gt_path, dt_path, "segm")


# --- Non-canonical RLEs: zero-length runs, a leading zero, counts in no canonical form.


@st.composite
def odd_counts(draw: st.DrawFn, h: int, w: int) -> list[int]:
    """Counts covering ``h * w`` pixels with zero-length runs anywhere (also first)."""
    total = h * w
    # Cut points with repeats (zero-length runs), at 0 (a leading zero run) and at the end.
    cuts = sorted(draw(st.lists(st.integers(0, total), max_size=10)))
    bounds = [0, *cuts, total]
    out = [b - a for a, b in itertools.pairwise(bounds)]
    if draw(st.booleans()):
        out = [0, *out]
    return out


@st.composite
def odd_rle_sets(draw: st.DrawFn) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    h, w = draw(st.integers(2, 9)), draw(st.integers(2, 9))
    n_gt, n_dt = draw(st.integers(1, 4)), draw(st.integers(1, 5))
    anns = []

    def compressed(counts: list[int]) -> str:
        # pycocotools compresses the counts exactly as given (zeros included).
        enc = mask_utils.frPyObjects({"size": [h, w], "counts": counts}, h, w)
        return str(enc["counts"].decode("ascii"))

    for i in range(n_gt):
        counts = draw(odd_counts(h, w))
        seg = {"size": [h, w], "counts": compressed(counts) if draw(st.booleans()) else counts}
        anns.append(
            {
                "id": i + 1,
                "image_id": 1,
                "category_id": 1,
                "bbox": [0.0, 0.0, float(w), float(h)],
                "area": float(draw(st.sampled_from([4, 30, 2000]))),
                "iscrowd": int(draw(st.integers(0, 3)) == 0),
                "segmentation": seg,
            }
        )
    dts = []
    for _ in range(n_dt):
        # pycocotools' loadRes takes results' RLEs compressed only.
        seg = {"size": [h, w], "counts": compressed(draw(odd_counts(h, w)))}
        dts.append(
            {
                "image_id": 1,
                "category_id": 1,
                "segmentation": seg,
                "score": draw(st.sampled_from([0.5, 0.9])),
            }
        )
    gt = {
        "images": [{"id": 1, "height": h, "width": w}],
        "categories": [{"id": 1, "name": "a"}],
        "annotations": anns,
    }
    return gt, dts


@settings(max_examples=120, suppress_health_check=[HealthCheck.too_slow])
@given(data=odd_rle_sets())
def test_non_canonical_rles_equal_pycocotools(data: Any) -> None:
    gt, dt = data
    ref = reference(gt, dt, "segm")
    ours = evaluate.coco(gt, dt, "segm")
    np.testing.assert_array_equal(ours.stats, ref.stats)
    np.testing.assert_array_equal(ours.precision, ref.eval["precision"])
    with files(gt, dt) as (gt_path, dt_path):
        from_files = evaluate.coco(gt_path, dt_path, "segm")
    np.testing.assert_array_equal(from_files.stats, ref.stats)
    np.testing.assert_array_equal(from_files.precision, ref.eval["precision"])
