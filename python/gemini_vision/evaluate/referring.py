"""Referring expressions and pointing: one prediction per expression.

* :func:`referring_boxes` — one box per expression: accuracy at IoU >= 0.5
  (the REC convention; the threshold is a parameter) and the mean IoU.
* :func:`referring_masks` — one mask per expression: mean IoU (the average of
  per-expression IoUs), cumulative IoU (total intersection over total union)
  and precision at IoU 0.5 ... 0.9.
* :func:`point_accuracy` — one point per expression: the share of points
  inside the ground-truth mask or box.

Boxes are pixel ``(x0, y0, x1, y1)`` with exclusive ends (what
``SpatialItem.box`` holds); IoU is area-based, with no ``+1``. A missing
prediction (None) counts as wrong, with IoU 0. When a predicted and a
ground-truth mask are both empty the expression is correct (IoU 1): the
model rightly found nothing.

>>> referring_boxes([(0, 0, 10, 10), None], [(0, 0, 10, 8), (0, 0, 5, 5)])["accuracy"]
0.5
>>> point_accuracy([(2, 3), (9, 9)], [(0, 0, 5, 5), (0, 0, 5, 5)])
0.5
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from gemini_vision.errors import EvaluationError

__all__ = ["point_accuracy", "referring_boxes", "referring_masks"]

F64 = npt.NDArray[np.float64]


def _boxes(values: Sequence[Any], name: str) -> tuple[F64, npt.NDArray[np.bool_]]:
    present = np.array([v is not None for v in values], dtype=np.bool_)
    rows = [list(v) if v is not None else [0.0, 0.0, 0.0, 0.0] for v in values]
    try:
        arr = np.array(rows, dtype=np.float64).reshape(len(rows), 4)
    except (TypeError, ValueError):
        raise EvaluationError(f"every {name} box must be (x0, y0, x1, y1)") from None
    if not np.all(np.isfinite(arr)):
        raise EvaluationError(f"every {name} box must hold finite numbers")
    return arr, present


def _area(x: F64) -> F64:
    out: F64 = np.clip(x[:, 2] - x[:, 0], 0, None) * np.clip(x[:, 3] - x[:, 1], 0, None)
    return out


def _pair_iou(a: F64, b: F64) -> F64:
    w = np.clip(np.minimum(a[:, 2], b[:, 2]) - np.maximum(a[:, 0], b[:, 0]), 0, None)
    h = np.clip(np.minimum(a[:, 3], b[:, 3]) - np.maximum(a[:, 1], b[:, 1]), 0, None)
    inter = w * h
    union = _area(a) + _area(b) - inter
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(union > 0, inter / union, 0.0)


def referring_boxes(
    predicted: Sequence[Any], ground_truth: Sequence[Any], threshold: float = 0.5
) -> dict[str, Any]:
    """Accuracy at ``IoU >= threshold`` and mean IoU, one box per expression.

    >>> r = referring_boxes([(0, 0, 4, 4)], [(2, 0, 6, 4)])
    >>> r["accuracy"], round(r["mean_iou"], 4)
    (0.0, 0.3333)
    """
    if len(predicted) != len(ground_truth):
        raise EvaluationError(f"{len(predicted)} predictions for {len(ground_truth)} expressions")
    p, present = _boxes(predicted, "predicted")
    g, g_present = _boxes(ground_truth, "ground-truth")
    if not g_present.all():
        raise EvaluationError("every expression needs a ground-truth box")
    iou = np.where(present, _pair_iou(p, g), 0.0) if len(p) else np.zeros(0)
    n = len(iou)
    return {
        "n": n,
        "accuracy": float(np.mean(iou >= threshold)) if n else 0.0,
        "mean_iou": float(np.mean(iou)) if n else 0.0,
        "missing": int(n - present.sum()),
        "ious": iou,
    }


def _frame(mask: Any, shape: tuple[int, int] | None, name: str) -> npt.NDArray[np.bool_]:
    from gemini_vision import masks

    if isinstance(mask, (masks.Rle, dict)):
        arr = masks.rle_decode(mask)
    else:
        arr = np.asarray(mask, dtype=np.bool_)
    if arr.ndim != 2:
        raise EvaluationError(f"{name} must be a 2-D mask or a COCO RLE")
    if shape is not None and arr.shape != shape:
        raise EvaluationError(f"{name} has shape {arr.shape}, the ground truth {shape}")
    return arr


def referring_masks(
    predicted: Sequence[Any],
    ground_truth: Sequence[Any],
    thresholds: Sequence[float] = (0.5, 0.6, 0.7, 0.8, 0.9),
) -> dict[str, Any]:
    """Mean IoU, cumulative IoU and precision at ``thresholds``, one mask per expression.

    Masks are full-frame bool arrays, :class:`~gemini_vision.masks.Rle` or COCO RLE dicts.

    >>> import numpy as np
    >>> a = np.zeros((2, 4), bool); a[:, :2] = True
    >>> b = np.zeros((2, 4), bool); b[:, 1:3] = True
    >>> r = referring_masks([a, None], [b, b])
    >>> round(r["mean_iou"], 4), round(r["cumulative_iou"], 4)
    (0.1667, 0.2)
    """
    if len(predicted) != len(ground_truth):
        raise EvaluationError(f"{len(predicted)} predictions for {len(ground_truth)} expressions")
    inter = np.zeros(len(predicted), dtype=np.int64)
    union = np.zeros(len(predicted), dtype=np.int64)
    ious = np.zeros(len(predicted), dtype=np.float64)
    for i, (pm, gm) in enumerate(zip(predicted, ground_truth, strict=True)):
        g = _frame(gm, None, f"ground truth {i}")
        if pm is None:
            union[i] = int(np.count_nonzero(g))
            continue
        p = _frame(pm, g.shape, f"prediction {i}")
        inter[i] = int(np.count_nonzero(p & g))
        union[i] = int(np.count_nonzero(p | g))
        ious[i] = inter[i] / union[i] if union[i] else 1.0
    n = len(ious)
    total_union = int(union.sum())
    return {
        "n": n,
        "mean_iou": float(ious.mean()) if n else 0.0,
        "cumulative_iou": float(inter.sum() / total_union) if total_union else 0.0,
        "precision_at": {float(t): float(np.mean(ious >= t)) if n else 0.0 for t in thresholds},
        "ious": ious,
    }


def point_accuracy(points: Sequence[Any], ground_truth: Sequence[Any]) -> float:
    """The share of points inside their ground truth (a box or a mask).

    A point ``(x, y)`` is in pixel ``(floor(x), floor(y))``; a box
    ``(x0, y0, x1, y1)`` holds ``x0 <= x < x1`` and ``y0 <= y < y1``; a mask
    (bool array, ``Rle`` or COCO RLE dict) holds the pixels that are on. A
    missing point (None) is wrong.

    >>> import numpy as np
    >>> m = np.zeros((3, 3), bool); m[1, 2] = True
    >>> point_accuracy([(2.5, 1.2), (0, 0)], [m, m])
    0.5
    """
    if len(points) != len(ground_truth):
        raise EvaluationError(f"{len(points)} points for {len(ground_truth)} expressions")
    hits = 0
    for i, (pt, gt) in enumerate(zip(points, ground_truth, strict=True)):
        if pt is None:
            continue
        try:
            x, y = float(pt[0]), float(pt[1])
        except (TypeError, ValueError, IndexError):
            raise EvaluationError(f"point {i} must be (x, y)") from None
        if not (np.isfinite(x) and np.isfinite(y)):
            raise EvaluationError(f"point {i} must hold finite numbers")
        if isinstance(gt, (tuple, list)) and len(gt) == 4 and not isinstance(gt[0], (list, tuple)):
            x0, y0, x1, y1 = (float(v) for v in gt)
            hits += x0 <= x < x1 and y0 <= y < y1
        else:
            m = _frame(gt, None, f"ground truth {i}")
            px, py = int(np.floor(x)), int(np.floor(y))
            hits += 0 <= py < m.shape[0] and 0 <= px < m.shape[1] and bool(m[py, px])
    return hits / len(points) if len(points) else 0.0
