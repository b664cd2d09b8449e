"""evaluate.coco against pycocotools' COCOeval: the 12 stats and the tables, exactly.

Runs with whichever backend is selected (the suite runs once per backend).
"""

from __future__ import annotations

import json
import os
import tempfile
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gemini_vision import evaluate
from gemini_vision.evaluate.synthetic import synthetic_coco
from tests.evaluate.strategies import coco_sets, reference

PARAMS = st.sampled_from(
    [
        {},
        {"maxDets": [1, 2, 3]},
        {"maxDets": [1, 10, 100], "iouThrs": np.array([0.3, 0.5, 0.75, 0.9])},
        {"areaRng": [[0, 1e10], [0, 600], [600, 4000], [4000, 1e10]]},
    ]
)


def _check(
    gt: dict[str, Any], dt: list[dict[str, Any]], iou_type: str, params: dict[str, Any]
) -> None:
    ref = reference(gt, dt, iou_type, **params)
    ours = evaluate.coco(gt, dt, iou_type, **params)  # type: ignore[arg-type]
    np.testing.assert_array_equal(ours.stats, ref.stats)
    np.testing.assert_array_equal(ours.precision, ref.eval["precision"])
    np.testing.assert_array_equal(ours.recall, ref.eval["recall"])
    np.testing.assert_array_equal(ours.scores, ref.eval["scores"])


# pycocotools costs a few ms per example: fewer than the profile's default keep CI short.
@settings(max_examples=80)
@given(data=coco_sets("bbox"), params=PARAMS)
def test_bbox_equals_pycocotools(data: Any, params: dict[str, Any]) -> None:
    gt, dt = data
    _check(gt, dt, "bbox", params)


@settings(max_examples=80)
@given(data=coco_sets("segm"), params=PARAMS)
def test_segm_equals_pycocotools(data: Any, params: dict[str, Any]) -> None:
    gt, dt = data
    _check(gt, dt, "segm", params)


@settings(max_examples=25)
@given(data=coco_sets("bbox"), use_cats=st.booleans(), subset=st.booleans())
def test_ids_and_categories_settable_as_in_pycocotools(
    data: Any, use_cats: bool, subset: bool
) -> None:
    gt, dt = data
    params: dict[str, Any] = {"useCats": int(use_cats)}
    if subset:
        params["imgIds"] = [gt["images"][0]["id"]]
        params["catIds"] = [1]
    if not use_cats:
        # pycocotools accumulates nothing with useCats=0 unless catIds holds -1.
        params["catIds"] = [-1, *params.get("catIds", [c["id"] for c in gt["categories"]])]
    ref = reference(gt, dt, "bbox", **params)
    ours = evaluate.coco(gt, dt, "bbox", **params)
    np.testing.assert_array_equal(ours.stats, ref.stats)
    np.testing.assert_array_equal(ours.precision, ref.eval["precision"])


# The COCO-val-sized set takes pycocotools minutes; CI runs 300 images of it
# (EVAL_BIG_IMAGES=5000 for the full size).
BIG = int(os.environ.get("EVAL_BIG_IMAGES", "300"))


@pytest.fixture(scope="module")
def big_set() -> tuple[dict[str, Any], list[dict[str, Any]]]:
    return synthetic_coco(n_images=BIG, seed=7)


@pytest.mark.parametrize("iou_type", ["bbox", "segm"])
def test_synthetic_set_equals_pycocotools(big_set: Any, iou_type: str) -> None:
    gt, dt = big_set
    assert len(gt["images"]) == BIG
    ref = reference(gt, dt, iou_type)
    ours = evaluate.coco(gt, dt, iou_type)  # type: ignore[arg-type]
    # The same set from JSON files, as the fast reader reads them.
    with tempfile.TemporaryDirectory() as tmp:
        gt_path, dt_path = os.path.join(tmp, "gt.json"), os.path.join(tmp, "dt.json")
        for path, value in ((gt_path, gt), (dt_path, dt)):
            with open(path, "w") as f:
                json.dump(value, f)
        from_files = evaluate.coco(gt_path, dt_path, iou_type)  # type: ignore[arg-type]
    for r in (ours, from_files):
        np.testing.assert_array_equal(r.stats, ref.stats)
        np.testing.assert_array_equal(r.precision, ref.eval["precision"])
        np.testing.assert_array_equal(r.recall, ref.eval["recall"])
        np.testing.assert_array_equal(r.scores, ref.eval["scores"])
    assert ours.stats[0] > 0.05  # the set is not degenerate


def test_missing_image_is_an_error() -> None:
    from gemini_vision.errors import EvaluationError

    gt = {"images": [{"id": 1, "height": 5, "width": 5}], "categories": [], "annotations": []}
    with pytest.raises(EvaluationError, match="image 2"):
        evaluate.coco(gt, [{"image_id": 2, "category_id": 1, "bbox": [0, 0, 1, 1], "score": 1}])


def test_image_ids_of_mixed_types_are_an_error_not_a_type_error() -> None:
    from gemini_vision.errors import EvaluationError

    gt = {
        "images": [{"id": 1, "height": 5, "width": 5}, {"id": "b", "height": 5, "width": 5}],
        "categories": [{"id": 1}],
        "annotations": [],
    }
    with pytest.raises(EvaluationError, match=r"image ids mix types \(int, str\)"):
        evaluate.coco(gt, [{"image_id": 1, "category_id": 1, "bbox": [0, 0, 1, 1], "score": 1}])


def test_bad_segmentation_is_an_error() -> None:
    from gemini_vision.errors import EvaluationError

    gt = {
        "images": [{"id": 1, "height": 5, "width": 5}],
        "categories": [{"id": 1}],
        "annotations": [],
    }
    dt = [
        {
            "image_id": 1,
            "category_id": 1,
            "score": 1,
            "segmentation": {"size": [5, 5], "counts": "x"},
        }
    ]
    with pytest.raises(EvaluationError):
        evaluate.coco(gt, dt, "segm")
    dt[0]["segmentation"] = {"size": [5, 5], "counts": [3, 4]}
    with pytest.raises(EvaluationError, match="sum to 7"):
        evaluate.coco(gt, dt, "segm")
