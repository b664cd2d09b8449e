"""Metrics for answers without scores: precision, recall, F1 and mean IoU.

Gemini's answers carry no confidence, so a precision–recall curve has nothing
to sweep. What needs no score: at each IoU threshold, match detections to
ground truths one to one per image and category (COCO's greedy matching, in
answer order: an item without a score ranks by its place in the answer, see
:mod:`gemini_vision.evaluate.sources`), then count

* TP — detections matched to a ground truth that counts;
* FP — detections matched to nothing, plus every item whose label mapped to no
  category (:attr:`CocoResult.unmapped`);
* FN — ground truths that count and were not matched;

as COCO does, crowds and ground truths outside the area range neither count
nor penalise. The mean IoU of the matches is averaged over the true positives.

>>> gt = {"images": [{"id": 1, "height": 100, "width": 100}],
...       "categories": [{"id": 1, "name": "cat"}],
...       "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [0, 0, 10, 10],
...                        "area": 100}, {"id": 2, "image_id": 1, "category_id": 1,
...                        "bbox": [50, 50, 10, 10], "area": 100}]}
>>> dt = [{"image_id": 1, "category_id": 1, "bbox": [0, 0, 10, 8]},
...       {"image_id": 1, "category_id": 1, "bbox": [80, 80, 5, 5]}]
>>> m = prf(gt, dt)
>>> [float(v[0]) for v in (m.precision, m.recall, m.f1, m.mean_iou)]
[0.5, 0.5, 0.5, 0.8]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from gemini_vision.errors import EvaluationError
from gemini_vision.evaluate.coco import CocoResult, Matching, coco

__all__ = ["PRF", "counts", "prf"]

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]


@dataclass(frozen=True)
class PRF:
    """Counts and rates at each IoU threshold (``iou_thrs``), over all categories.

    ``per_category[cat]`` holds the same numbers for one category (without the
    unmapped labels, which belong to no category).
    """

    iou_thrs: F64
    tp: I64
    fp: I64
    fn: I64
    precision: F64
    recall: F64
    f1: F64
    mean_iou: F64
    unmapped: int
    per_category: dict[Any, dict[str, list[float]]]

    def at(self, iou: float = 0.5) -> dict[str, float]:
        """The numbers at one threshold.

        >>> import numpy as np
        >>> z = np.zeros(1)
        >>> PRF(np.array([0.5]), z, z, z, z, z, z, z, 0, {}).at(0.5)["f1"]
        0.0
        """
        t = int(np.flatnonzero(np.isclose(self.iou_thrs, iou))[0])
        return {
            "tp": float(self.tp[t]),
            "fp": float(self.fp[t]),
            "fn": float(self.fn[t]),
            "precision": float(self.precision[t]),
            "recall": float(self.recall[t]),
            "f1": float(self.f1[t]),
            "mean_iou": float(self.mean_iou[t]),
        }


def counts(mt: Matching, unmapped: int = 0) -> tuple[I64, I64, I64, F64]:
    """``(tp, fp, fn, sum of matched IoUs)`` at each threshold, area range "all", all categories."""
    matched = mt.dt_matched[:, 0, :]
    counted = ~mt.dt_ignore[:, 0, :]
    tp_mask = matched & counted
    tp = tp_mask.sum(axis=0).astype(np.int64)
    fp = (~matched & counted).sum(axis=0).astype(np.int64) + unmapped
    n_pos = int(np.count_nonzero(~mt.gt_ignore[:, 0]))
    fn = n_pos - tp
    # Summed in sorted order, so the total does not depend on where each image was matched.
    iou_sum = np.sort(np.where(tp_mask, mt.dt_iou, 0.0), axis=0).sum(axis=0)
    return tp, fp, fn, iou_sum


def _rates(tp: F64, fp: F64, fn: F64, iou_sum: F64) -> tuple[F64, F64, F64, F64]:
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(tp + fp > 0, tp / (tp + fp), 0.0)
        recall = np.where(tp + fn > 0, tp / (tp + fn), 0.0)
        f1 = np.where(precision + recall > 0, 2 * precision * recall / (precision + recall), 0.0)
        mean_iou = np.where(tp > 0, iou_sum / np.maximum(tp, 1), 0.0)
    return precision, recall, f1, mean_iou


def _subset(mt: Matching, dt: npt.NDArray[np.bool_], gt: npt.NDArray[np.bool_]) -> Matching:
    from dataclasses import replace

    return replace(
        mt,
        dt_matched=mt.dt_matched[dt],
        dt_ignore=mt.dt_ignore[dt],
        dt_iou=mt.dt_iou[dt],
        gt_ignore=mt.gt_ignore[gt],
    )


def prf(ground_truth: Any, predictions: Any = None, iou_type: str = "bbox", **kwargs: Any) -> PRF:
    """Precision, recall, F1 and mean IoU at each IoU threshold.

    Give a :class:`CocoResult`, or the same arguments as :func:`~gemini_vision.evaluate.coco`.
    """
    if isinstance(ground_truth, CocoResult):
        result = ground_truth
    else:
        if predictions is None:
            raise EvaluationError("prf needs predictions (or a CocoResult)")
        result = coco(ground_truth, predictions, iou_type, **kwargs)  # type: ignore[arg-type]
    mt = result.matching
    if mt is None:
        raise EvaluationError("this CocoResult carries no matching")
    unmapped = int(sum(result.unmapped.values()))
    tp, fp, fn, iou_sum = counts(mt, unmapped)
    precision, recall, f1, mean_iou = _rates(
        tp.astype(float), fp.astype(float), fn.astype(float), iou_sum
    )
    per_cat: dict[Any, dict[str, list[float]]] = {}
    cats = mt.params.catIds if mt.params.useCats else [-1]
    for k, cat in enumerate(cats):
        sub = _subset(mt, mt.dt_cat == k, mt.gt_cat == k)
        ctp, cfp, cfn, cs = counts(sub)
        cp, cr, cf, cm = _rates(ctp.astype(float), cfp.astype(float), cfn.astype(float), cs)
        per_cat[cat] = {
            "tp": ctp.tolist(),
            "fp": cfp.tolist(),
            "fn": cfn.tolist(),
            "precision": cp.tolist(),
            "recall": cr.tolist(),
            "f1": cf.tolist(),
            "mean_iou": cm.tolist(),
        }
    return PRF(
        iou_thrs=np.asarray(mt.params.iouThrs, dtype=np.float64).copy(),
        tp=tp,
        fp=fp,
        fn=fn,
        precision=precision,
        recall=recall,
        f1=f1,
        mean_iou=mean_iou,
        unmapped=unmapped,
        per_category=per_cat,
    )
