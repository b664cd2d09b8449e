"""Predictions from wherever they are: COCO results, the batch's item table, parsed answers.

:func:`as_predictions` accepts

* a COCO results list, or the path to its JSON file (read as pycocotools' ``loadRes``);
* the batch's item table: a ``pyarrow.Table`` (or record batch) with the columns of
  ``gemini_vision.batch.output_schema()`` — ``id`` is the image id;
* a mapping of image id to :class:`~gemini_vision.spatial.SpatialResult`.

The last two carry the model's free-text labels: a :class:`LabelMap` turns them
into category ids (by default one built from the ground truth's category names);
an item whose label maps to nothing is left out of the COCO metrics and counted,
per image, in :attr:`Predictions.unmapped` (the score-less metrics count it as a
false positive). Only boxes and segments are detections: points and 3-D boxes
are not part of these metrics.

Scores: the model's ``confidence`` when it gave one; otherwise the item's place
among its answer's detections, as ``1 / (1 + place)``: the first of every
answer scores 1, the second 0.5, and so on, so earlier items rank first and
ties across images keep image order (pycocotools sorts stably). Mixing answers
with and without confidences in one evaluation is allowed but not meaningful.

>>> gt = {"images": [{"id": 7, "height": 4, "width": 4}],
...       "categories": [{"id": 1, "name": "cat"}], "annotations": []}
>>> from gemini_vision.evaluate.data import load_ground_truth
>>> g = load_ground_truth(gt)
>>> from gemini_vision.spatial import SpatialItem, SpatialResult
>>> res = SpatialResult(items=(SpatialItem(index=0, kind="box", label="Cat", box=(0, 0, 2, 2)),
...                            SpatialItem(index=1, kind="box", label="dog", box=(1, 1, 3, 3))),
...                     diagnostics=(), image_size=(4, 4))
>>> p = as_predictions({7: res}, g)
>>> p.category_id, p.score.tolist(), p.bbox.tolist(), p.unmapped
([1], [1.0], [[0.0, 0.0, 2.0, 2.0]], {7: 1})
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import numpy as np

from gemini_vision.errors import EvaluationError
from gemini_vision.evaluate.data import GroundTruth, Predictions, load_predictions
from gemini_vision.evaluate.labels import LabelMap

__all__ = ["as_predictions", "results_from_items", "results_from_table"]


def _is_table(obj: Any) -> bool:
    return hasattr(obj, "schema") and hasattr(obj, "column_names") and hasattr(obj, "to_pydict")


def _with_score(res: dict[str, Any], confidence: Any) -> dict[str, Any]:
    if confidence is not None and np.isfinite(confidence):
        res["score"] = float(confidence)
    return res


def _unmapped_item(image_id: Any, label: Any, box: Any) -> dict[str, Any]:
    x0, y0, x1, y1 = (float(v) for v in box)
    return {"image_id": image_id, "label": label, "bbox": [x0, y0, x1 - x0, y1 - y0]}


def results_from_table(
    table: Any, labels: LabelMap, unmapped: list[dict[str, Any]] | None = None
) -> list[dict[str, Any]]:
    """COCO results from the batch's item table (box and segment rows)."""
    cols = table.to_pydict()
    need = {"id", "kind", "label", "x0", "y0", "x1", "y1"}
    missing = need - set(cols)
    if missing:
        raise EvaluationError(f"the item table lacks the columns {sorted(missing)}")
    n = len(cols["id"])
    conf = cols.get("confidence") or [None] * n
    rle_counts = cols.get("rle_counts") or [None] * n
    rle_size = cols.get("rle_size") or [None] * n
    out: list[dict[str, Any]] = []
    for i in range(n):
        if cols["kind"][i] not in ("box", "segment") or cols["x0"][i] is None:
            continue
        cid = labels.category(cols["label"][i] or "")
        x0, y0, x1, y1 = cols["x0"][i], cols["y0"][i], cols["x1"][i], cols["y1"][i]
        if cid is None:
            if unmapped is not None:
                unmapped.append(_unmapped_item(cols["id"][i], cols["label"][i], (x0, y0, x1, y1)))
            continue
        res: dict[str, Any] = {
            "image_id": cols["id"][i],
            "category_id": cid,
            "bbox": [float(x0), float(y0), float(x1 - x0), float(y1 - y0)],
        }
        _with_score(res, conf[i])
        if rle_counts[i] is not None and rle_size[i] is not None:
            res["segmentation"] = {"size": list(rle_size[i]), "counts": rle_counts[i]}
        out.append(res)
    return out


def results_from_items(
    answers: Mapping[Any, Any],
    labels: LabelMap,
    gt: GroundTruth | None = None,
    unmapped: list[dict[str, Any]] | None = None,
) -> list[dict[str, Any]]:
    """COCO results from parsed answers: image id to ``SpatialResult``."""
    from gemini_vision import masks

    out: list[dict[str, Any]] = []
    for image_id, result in answers.items():
        width, height = result.image_size
        if gt is not None and image_id in gt.image_sizes:
            gh, gw = gt.image_sizes[image_id]
            if (gh, gw) != (height, width):
                raise EvaluationError(
                    f"image {image_id!r}: the answer was parsed for {width}x{height}, "
                    f"but the ground truth's image is {gw}x{gh}"
                )
        for it in result.items:
            if it.kind not in ("box", "segment") or it.box is None:
                continue
            cid = labels.category(it.label)
            x0, y0, x1, y1 = it.box
            if cid is None:
                if unmapped is not None:
                    unmapped.append(_unmapped_item(image_id, it.label, it.box))
                continue
            res: dict[str, Any] = {
                "image_id": image_id,
                "category_id": cid,
                "bbox": [float(x0), float(y0), float(x1 - x0), float(y1 - y0)],
            }
            _with_score(res, it.confidence)
            if it.mask is not None:
                res["segmentation"] = masks.rle_encode(it.mask, (x0, y0), (height, width)).to_coco()
            out.append(res)
    return out


def as_predictions(source: Any, gt: GroundTruth, labels: LabelMap | None = None) -> Predictions:
    """Predictions from any of the accepted forms (see the module docstring)."""
    if isinstance(source, Predictions):
        return source
    if labels is None:
        labels = LabelMap(gt.category_names)
    unmapped: list[dict[str, Any]] = []
    if _is_table(source):
        results = results_from_table(source, labels, unmapped)
    elif isinstance(source, Mapping):
        results = results_from_items(source, labels, gt, unmapped)
    else:
        return load_predictions(source, gt)
    per_image: dict[Any, int] = {}
    for u in unmapped:
        per_image[u["image_id"]] = per_image.get(u["image_id"], 0) + 1
    return replace(load_predictions(results, gt), unmapped=per_image, unmapped_items=unmapped)
