"""Benchmark a model's spatial understanding against ground truth.

* :func:`coco` — COCO detection and instance-segmentation metrics, equal to
  pycocotools' ``COCOeval`` (the twelve ``stats``, per-category AP/AR,
  precision–recall curves), from COCO results, the batch's item table or
  parsed answers (:mod:`.sources`).
* :func:`prf` — for answers without scores: precision, recall and F1 at each
  IoU threshold with one-to-one matching, and the mean IoU of the matches.
* :class:`LabelMap` — free-text labels to categories; unmapped labels counted.
* :func:`referring_boxes`, :func:`referring_masks`, :func:`point_accuracy` —
  referring-expression and pointing metrics.
* :func:`compare` — two runs on the same images: each metric's difference with
  a paired bootstrap confidence interval.
* :mod:`.plots` — PR curves, per-category bars and an error gallery as PNG.

>>> from gemini_vision import evaluate
>>> gt = {"images": [{"id": 1, "height": 20, "width": 20}],
...       "categories": [{"id": 1, "name": "cat"}],
...       "annotations": [{"id": 1, "image_id": 1, "category_id": 1,
...                        "bbox": [0, 0, 10, 10], "area": 100}]}
>>> r = evaluate.coco(gt, [{"image_id": 1, "category_id": 1, "bbox": [0, 0, 10, 10], "score": 1}])
>>> round(float(r.stats[0]), 6)  # pycocotools' precision adds eps to its denominator
1.0
"""

from __future__ import annotations

from gemini_vision.evaluate.coco import CocoResult, Matching, coco
from gemini_vision.evaluate.compare import Comparison, compare
from gemini_vision.evaluate.data import (
    GroundTruth,
    Predictions,
    load_ground_truth,
    load_predictions,
)
from gemini_vision.evaluate.labels import LabelMap, normalize_label
from gemini_vision.evaluate.params import Params
from gemini_vision.evaluate.referring import point_accuracy, referring_boxes, referring_masks
from gemini_vision.evaluate.unscored import PRF, prf

__all__ = [
    "PRF",
    "CocoResult",
    "Comparison",
    "GroundTruth",
    "LabelMap",
    "Matching",
    "Params",
    "Predictions",
    "coco",
    "compare",
    "load_ground_truth",
    "load_predictions",
    "normalize_label",
    "point_accuracy",
    "prf",
    "referring_boxes",
    "referring_masks",
]
