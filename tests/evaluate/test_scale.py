"""Evaluation over the batch's Arrow tables on threads equals one process on the same items."""

from __future__ import annotations

import json
import pathlib
from typing import Any

import numpy as np
import pytest

from gemini_vision import evaluate
from gemini_vision.evaluate import scale
from tests.evaluate.tables import item_tables

pa = pytest.importorskip("pyarrow")


@pytest.mark.parametrize("from_file", [False, True])
@pytest.mark.parametrize("iou_type", ["bbox", "segm"])
def test_parts_on_threads_equal_one_process(
    iou_type: str, from_file: bool, tmp_path: pathlib.Path
) -> None:
    gt, tables = item_tables(n_images=120, parts=5, segm=iou_type == "segm")
    whole = evaluate.coco(gt, pa.concat_tables(tables), iou_type)  # type: ignore[arg-type]
    source: Any = gt
    if from_file:  # the ground truth as the fast file reader gives it (pooled masks)
        source = tmp_path / "gt.json"
        source.write_text(json.dumps(gt))
    parted = scale.coco_tables(source, tables, iou_type, threads=3)  # type: ignore[arg-type]
    np.testing.assert_array_equal(parted.stats, whole.stats)
    np.testing.assert_array_equal(parted.precision, whole.precision)
    np.testing.assert_array_equal(parted.recall, whole.recall)
    assert parted.unmapped == whole.unmapped and sum(whole.unmapped.values()) > 0
    p1, p2 = evaluate.prf(parted), evaluate.prf(whole)
    np.testing.assert_array_equal(p1.tp, p2.tp)
    np.testing.assert_array_equal(p1.fp, p2.fp)
    np.testing.assert_array_equal(p1.mean_iou, p2.mean_iou)
    assert whole.stats[0] > 0.05


def test_table_equals_coco_results_from_the_same_items() -> None:
    """The item table and the COCO results it stands for give the same metrics."""
    gt, tables = item_tables(n_images=40, parts=1)
    table = tables[0]
    names = {c["name"]: c["id"] for c in gt["categories"]}
    results = []
    place: dict[int, int] = {}
    for r in table.to_pylist():
        if r["label"] not in names:
            continue
        res = {
            "image_id": r["id"],
            "category_id": names[r["label"]],
            "bbox": [r["x0"], r["y0"], r["x1"] - r["x0"], r["y1"] - r["y0"]],
        }
        if r["confidence"] is not None:
            res["score"] = r["confidence"]
        place[r["id"]] = place.get(r["id"], 0) + 1
        results.append(res)
    a = evaluate.coco(gt, table)
    b = evaluate.coco(gt, results)
    np.testing.assert_array_equal(a.stats, b.stats)
