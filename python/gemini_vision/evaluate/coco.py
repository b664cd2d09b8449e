"""COCO detection and instance-segmentation metrics, equal to pycocotools' ``COCOeval``.

:func:`coco` reads the ground truth and the predictions, matches them per
(image, category) in one kernel call (Rust over all cores, or the NumPy twin),
accumulates the precision/recall tables with NumPy, and summarises them into
the twelve numbers of ``COCOeval.stats``, in the same order:

====  =========================================
 0    AP @[.50:.95], area all, maxDets 100
 1    AP @.50        2  AP @.75
 3-5  AP small / medium / large
 6-8  AR maxDets 1 / 10 / 100
 9-11 AR small / medium / large
====  =========================================

Every rule of pycocotools is kept: crowd regions are ignored, may match any
number of detections and divide the intersection by the detection's area;
area ranges read the ground truth's ``area`` field; detections are cut to
``maxDets`` per image and category after a stable sort by score (ties keep
their order); precision is interpolated at 101 recall points from its upper
envelope; a category without ground truth is -1 and left out of the means.

>>> gt = {"images": [{"id": 1, "height": 100, "width": 100}],
...       "categories": [{"id": 1, "name": "cat"}],
...       "annotations": [{"id": 1, "image_id": 1, "category_id": 1,
...                        "bbox": [10, 10, 40, 40], "area": 1600, "iscrowd": 0}]}
>>> dt = [{"image_id": 1, "category_id": 1, "bbox": [12, 10, 40, 40], "score": 0.9}]
>>> r = coco(gt, dt)
>>> [round(float(v), 4) for v in r.stats[:3]]
[0.9, 1.0, 1.0]
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import numpy.typing as npt

from gemini_vision._backend import kernels
from gemini_vision.errors import EvaluationError
from gemini_vision.evaluate.data import (
    GroundTruth,
    Masks,
    Predictions,
    load_ground_truth,
    masks_of,
)
from gemini_vision.evaluate.params import IouType, Params

__all__ = ["CocoResult", "Matching", "accumulate", "coco", "match", "summarize"]

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
B = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class Matching:
    """The per-detection outcome of the matching (pycocotools' ``evalImgs``, as columns).

    Detections are the kept ones (within ``maxDets[-1]`` of their image and
    category), grouped by (image, category), best score first.

    Attributes:
        params: the normalised parameters.
        gt_rows, dt_rows: each kept ground truth's / detection's row in the input.
        gt_img, gt_cat, dt_img, dt_cat: image and category positions in ``params.imgIds``
            and ``params.catIds``.
        dt_rank: the detection's place in its (image, category) after the score sort.
        dt_score: its score.
        dt_gt: ``(D, A, T)`` the matched ground truth (an index into the kept ones), or -1.
        dt_matched: ``(D, A, T)`` pycocotools' ``dtMatches != 0``.
        dt_ignore, gt_ignore: ``(D, A, T)`` and ``(G, A)`` pycocotools' ignore flags.
        dt_iou: ``(D, T)`` the IoU of the match in the first area range (0 if none).
    """

    params: Params
    gt_rows: I64
    dt_rows: I64
    gt_img: I64
    gt_cat: I64
    dt_img: I64
    dt_cat: I64
    dt_rank: I64
    dt_score: F64
    dt_gt: I64
    dt_matched: B
    dt_ignore: B
    gt_ignore: B
    dt_iou: F64


@dataclass(frozen=True)
class CocoResult:
    """What :func:`coco` measured.

    Attributes:
        stats: the twelve numbers of ``COCOeval.stats``.
        precision: ``(T, R, K, A, M)`` as ``COCOeval.eval["precision"]`` (-1: no ground truth).
        recall: ``(T, K, A, M)`` as ``COCOeval.eval["recall"]``.
        scores: ``(T, R, K, A, M)`` the score at each recall point.
        params: the parameters used (``imgIds``, ``catIds`` filled in and sorted).
        category_names: category id to name, from the ground truth.
        matching: the per-detection outcome, for galleries and further metrics.
        unmapped: per image, the items whose label mapped to no category.
        ground_truth, predictions: the inputs as read (for galleries).
    """

    stats: F64
    precision: F64
    recall: F64
    scores: F64
    params: Params
    category_names: dict[Any, str] = field(default_factory=dict)
    matching: Matching | None = field(default=None, repr=False)
    unmapped: dict[Any, int] = field(default_factory=dict)
    ground_truth: GroundTruth | None = field(default=None, repr=False)
    predictions: Predictions | None = field(default=None, repr=False)

    @classmethod
    def of(
        cls,
        matching: Matching,
        category_names: Mapping[Any, str],
        unmapped: Mapping[Any, int],
        *,
        ground_truth: GroundTruth | None = None,
        predictions: Predictions | None = None,
    ) -> CocoResult:
        """Accumulate and summarise ``matching`` (one process's or the engines' merged
        outcome) into the result."""
        precision, recall, scores = accumulate(matching)
        return cls(
            stats=summarize(precision, recall, matching.params),
            precision=precision,
            recall=recall,
            scores=scores,
            params=matching.params,
            category_names=dict(category_names),
            matching=matching,
            unmapped=dict(unmapped),
            ground_truth=ground_truth,
            predictions=predictions,
        )

    def per_category(
        self, area: str = "all", max_dets: int | None = None
    ) -> dict[Any, dict[str, float]]:
        """``{category id: {"AP", "AP50", "AP75", "AR"}}``; -1 without ground truth.

        AP averages the interpolated precision over IoU thresholds and recall points, as
        ``stats[0]`` does for all categories at once.
        """
        a = self.params.areaRngLbl.index(area)
        m = self.params.maxDets.index(max_dets if max_dets is not None else self.params.maxDets[-1])
        out: dict[Any, dict[str, float]] = {}
        thrs = self.params.iouThrs
        for k, cat in enumerate(self.params.catIds if self.params.useCats else [-1]):
            p = self.precision[:, :, k, a, m]
            r = self.recall[:, k, a, m]

            def mean(x: F64) -> float:
                v = x[x > -1]
                return float(np.mean(v)) if v.size else -1.0

            out[cat] = {
                "AP": mean(p),
                "AP50": mean(p[np.flatnonzero(thrs == 0.5)]),
                "AP75": mean(p[np.flatnonzero(thrs == 0.75)]),
                "AR": mean(r),
            }
        return out

    def pr_curve(
        self, category: Any = None, iou: float = 0.5, area: str = "all", max_dets: int | None = None
    ) -> tuple[F64, F64]:
        """``(recall points, precision)`` at one IoU, for one category or averaged over all.

        Categories without ground truth are left out of the average; -1 if none has any.
        """
        t = int(np.flatnonzero(np.isclose(self.params.iouThrs, iou))[0])
        a = self.params.areaRngLbl.index(area)
        m = self.params.maxDets.index(max_dets if max_dets is not None else self.params.maxDets[-1])
        p = self.precision[t, :, :, a, m]
        if category is not None:
            k = list(self.params.catIds).index(category)
            return self.params.recThrs.copy(), p[:, k].copy()
        valid = p[0] > -1
        if not valid.any():
            return self.params.recThrs.copy(), -np.ones(len(self.params.recThrs))
        return self.params.recThrs.copy(), p[:, valid].mean(axis=1)

    def summary(self) -> str:
        """pycocotools' twelve summary lines (``COCOeval.summarize`` prints the same)."""
        p = self.params
        lines = []
        specs = _stat_specs(p)
        for (ap, thr, area, md), v in zip(specs, self.stats.tolist(), strict=True):
            title = "Average Precision" if ap else "Average Recall"
            kind = "(AP)" if ap else "(AR)"
            iou = f"{p.iouThrs[0]:0.2f}:{p.iouThrs[-1]:0.2f}" if thr is None else f"{thr:0.2f}"
            where = f"IoU={iou:<9} | area={area:>6s} | maxDets={md:>3d}"
            lines.append(f" {title:<18} {kind} @[ {where} ] = {v:0.3f}")
        return "\n".join(lines)


def _stat_specs(p: Params) -> list[tuple[bool, float | None, str, int]]:
    md = p.maxDets
    last = md[2] if len(md) > 2 else -1
    return [
        (True, None, "all", 100),
        (True, 0.5, "all", last),
        (True, 0.75, "all", last),
        (True, None, "small", last),
        (True, None, "medium", last),
        (True, None, "large", last),
        (False, None, "all", md[0]),
        (False, None, "all", md[1] if len(md) > 1 else -1),
        (False, None, "all", last),
        (False, None, "small", last),
        (False, None, "medium", last),
        (False, None, "large", last),
    ]


def _group_sort(keys: I64, scores: F64 | None, sub: I64) -> tuple[I64, I64]:
    """The stable order by key (then by descending score, then ``sub``), and each row's rank."""
    order = np.lexsort((sub, keys)) if scores is None else np.lexsort((sub, -scores, keys))
    ks = keys[order]
    n = len(ks)
    starts = np.flatnonzero(np.r_[True, ks[1:] != ks[:-1]]) if n else np.zeros(0, np.int64)
    lens = np.diff(np.r_[starts, n])
    rank = np.arange(n) - np.repeat(starts, lens)
    return order.astype(np.int64), rank.astype(np.int64)


def _positions(values: list[Any], ids: list[Any]) -> I64:
    """Each value's position in ``ids`` (sorted by ``Params.normalized``), -1 if absent."""
    if values and ids:
        v, s = np.asarray(values), np.asarray(ids)
        if v.ndim == 1 and s.ndim == 1 and v.dtype.kind in "iu" and s.dtype.kind in "iu":
            # Integer ids (the usual case): a binary search instead of a dict per value.
            pos = np.minimum(np.searchsorted(s, v), len(s) - 1)
            return np.where(s[pos] == v, pos, -1).astype(np.int64)
    where = {v: i for i, v in enumerate(ids)}
    return np.array([where.get(v, -1) for v in values], dtype=np.int64)


def match(gt: GroundTruth, dt: Predictions, params: Params) -> Matching:
    """pycocotools' ``evaluate``: every (image, category) matched, in one kernel call."""
    p = params
    n_cat = len(p.catIds) if p.useCats else 1
    g_img = _positions(gt.image_id, p.imgIds)
    d_img = _positions(dt.image_id, p.imgIds)
    g_pos = _positions(gt.category_id, p.catIds)
    d_pos = _positions(dt.category_id, p.catIds)
    if p.useCats:
        g_cat, d_cat = g_pos, d_pos
        g_sub = np.zeros(len(g_img), dtype=np.int64)
        d_sub = np.zeros(len(d_img), dtype=np.int64)
    else:
        # One pool per image, gathered category by category as pycocotools does
        # (which orders ties in score by category first).
        g_cat = np.zeros(len(g_img), dtype=np.int64)
        d_cat = np.zeros(len(d_img), dtype=np.int64)
        g_sub, d_sub = g_pos, d_pos
    g_keep = np.flatnonzero((g_img >= 0) & (g_pos >= 0))
    d_keep = np.flatnonzero((d_img >= 0) & (d_pos >= 0))
    g_key = g_img[g_keep] * n_cat + g_cat[g_keep]
    d_key = d_img[d_keep] * n_cat + d_cat[d_keep]
    g_order, _ = _group_sort(g_key, None, g_sub[g_keep])
    d_order, d_rank = _group_sort(d_key, dt.score[d_keep], d_sub[d_keep])
    top = d_rank < p.maxDets[-1]
    d_order, d_rank = d_order[top], d_rank[top]
    g_rows = g_keep[g_order]
    d_rows = d_keep[d_order]
    gk, dk = g_key[g_order], d_key[d_order]
    groups = np.union1d(gk, dk)
    g_off = np.r_[np.searchsorted(gk, groups, side="left"), len(gk)].astype(np.int64)
    d_off = np.r_[np.searchsorted(dk, groups, side="left"), len(dk)].astype(np.int64)
    area_rng = np.asarray(p.areaRng, dtype=np.float64).reshape(-1, 2)
    gt_masks = dt_masks = None
    if p.iouType == "segm":
        gm = masks_of(gt.segmentation, _ids(gt.image_id), gt, rows=g_rows)
        if dt.masks is not None:
            dm = dt.masks.take(d_rows)
        else:
            dm = masks_of(dt.segmentation, _ids(dt.image_id), gt, rows=d_rows)
        gt_masks, dt_masks = _mask_args(gm), _mask_args(dm)
    dt_gt, dt_ig, dt_iou, gt_ig = kernels.eval_match(
        g_off,
        d_off,
        np.ascontiguousarray(gt.bbox[g_rows]),
        np.ascontiguousarray(dt.bbox[d_rows]),
        np.ascontiguousarray(gt.area[g_rows]),
        np.ascontiguousarray(gt.iscrowd[g_rows]),
        np.ascontiguousarray(gt.id[g_rows] != 0),
        np.ascontiguousarray(dt.area[d_rows]),
        np.ascontiguousarray(p.iouThrs, dtype=np.float64),
        area_rng,
        gt_masks,
        dt_masks,
    )
    nonzero = gt.id[g_rows] != 0
    matched = dt_gt >= 0
    if not nonzero.all():
        matched &= nonzero[np.maximum(dt_gt, 0)]
    return Matching(
        params=p,
        gt_rows=g_rows,
        dt_rows=d_rows,
        gt_img=g_img[g_rows],
        gt_cat=g_cat[g_rows],
        dt_img=d_img[d_rows],
        dt_cat=d_cat[d_rows],
        dt_rank=d_rank,
        dt_score=dt.score[d_rows],
        dt_gt=dt_gt,
        dt_matched=matched,
        dt_ignore=dt_ig,
        gt_ignore=gt_ig,
        dt_iou=dt_iou,
    )


def _ids(values: list[Any]) -> npt.NDArray[Any]:
    """Ids as an array: int64 for integer ids, else objects."""
    arr = np.asarray(values)
    if arr.ndim != 1 or arr.dtype.kind not in "iu":
        arr = np.empty(len(values), dtype=object)
        arr[:] = values
    return arr


def _mask_args(m: Masks) -> tuple[npt.NDArray[np.uint32], I64, I64]:
    return (
        np.ascontiguousarray(m.counts, dtype=np.uint32),
        np.ascontiguousarray(m.offsets, dtype=np.int64),
        np.ascontiguousarray(m.sizes, dtype=np.int64).reshape(-1, 2),
    )


def accumulate(mt: Matching) -> tuple[F64, F64, F64]:
    """pycocotools' ``accumulate``: ``(precision, recall, scores)`` tables from a matching.

    The detections are put in pycocotools' order (per category, best score
    first, ties by image then rank, as its mergesort over detections
    concatenated image by image) and handed to one kernel call
    (``eval_accumulate``: Rust over all cores, or the NumPy twin).
    """
    p = mt.params
    n_k = len(p.catIds) if p.useCats else 1
    n_a = len(p.areaRng)
    # Ground truths that count, per category and area range.
    npig = np.zeros((n_k, n_a), dtype=np.int64)
    for a in range(n_a):
        npig[:, a] = np.bincount(mt.gt_cat[~mt.gt_ignore[:, a]], minlength=n_k)[:n_k]
    order = np.lexsort((mt.dt_rank, mt.dt_img, -mt.dt_score, mt.dt_cat))
    bounds = np.searchsorted(mt.dt_cat[order], np.arange(n_k + 1), side="left").astype(np.int64)
    counted = ~mt.dt_ignore[order]
    matched = mt.dt_matched[order]
    return kernels.eval_accumulate(
        bounds,
        np.ascontiguousarray(mt.dt_rank[order], dtype=np.int64),
        np.ascontiguousarray(mt.dt_score[order], dtype=np.float64),
        np.ascontiguousarray(matched & counted),
        np.ascontiguousarray(~matched & counted),
        npig,
        np.asarray(p.maxDets, dtype=np.int64),
        np.ascontiguousarray(p.recThrs, dtype=np.float64),
    )


def summarize(precision: F64, recall: F64, params: Params) -> F64:
    """pycocotools' ``summarize``: the twelve stats, from the tables."""
    p = params
    stats = np.zeros((12,))
    for i, (ap, thr, area, md) in enumerate(_stat_specs(p)):
        aind = [j for j, lbl in enumerate(p.areaRngLbl) if lbl == area]
        mind = [j for j, m in enumerate(p.maxDets) if m == md]
        s = precision if ap else recall
        if thr is not None:
            s = s[np.where(thr == p.iouThrs)[0]]
        s = s[:, :, :, aind, mind] if ap else s[:, :, aind, mind]
        v = s[s > -1]
        stats[i] = -1 if len(v) == 0 else np.mean(v)
    return stats


def _sorted_ids(ids: list[Any], what: str) -> list[Any]:
    """The ground truth's ids in pycocotools' order; ids of mixed types cannot be ordered."""
    try:
        return sorted(ids)
    except TypeError:
        kinds = sorted({type(i).__name__ for i in ids})
        raise EvaluationError(
            f"the ground truth's {what} ids mix types ({', '.join(kinds)}); "
            "they must all be numbers or all strings"
        ) from None


def coco(
    ground_truth: Any,
    predictions: Any,
    iou_type: IouType = "bbox",
    *,
    params: Params | None = None,
    labels: Any = None,
    **overrides: Any,
) -> CocoResult:
    """COCO metrics of ``predictions`` against ``ground_truth``, equal to pycocotools'.

    Args:
        ground_truth: a COCO dict, or the path to its JSON file.
        predictions: a COCO results list or its JSON file; the batch's item table
            (``pyarrow.Table`` of ``batch.output_schema()``); or a mapping of image id
            to :class:`~gemini_vision.spatial.SpatialResult` (see :mod:`.sources`).
        iou_type: ``"bbox"`` or ``"segm"``.
        params: a :class:`Params` to start from.
        labels: a :class:`~gemini_vision.evaluate.labels.LabelMap` for free-text labels.
        overrides: pycocotools' parameter names (``iouThrs``, ``recThrs``, ``maxDets``,
            ``areaRng``, ``areaRngLbl``, ``catIds``, ``imgIds``, ``useCats``).

    >>> gt = {"images": [{"id": 1, "height": 50, "width": 50}],
    ...       "categories": [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}],
    ...       "annotations": [{"id": 1, "image_id": 1, "category_id": 1,
    ...                        "bbox": [0, 0, 10, 10], "area": 100}]}
    >>> r = coco(gt, [{"image_id": 1, "category_id": 1, "bbox": [0, 0, 10, 10], "score": 1}])
    >>> round(float(r.stats[0]), 6), r.per_category()[2]["AP"]
    (1.0, -1.0)
    """
    from gemini_vision.evaluate.sources import as_predictions

    gt = load_ground_truth(ground_truth)
    dt = as_predictions(predictions, gt, labels=labels)
    base = params if params is not None else Params(iouType=iou_type)
    known = {f for f in Params.__dataclass_fields__ if f != "iouType"}
    unknown = set(overrides) - known
    if unknown:
        raise EvaluationError(f"unknown parameters {sorted(unknown)}; known: {sorted(known)}")
    p = replace(base, iouType=iou_type if params is None else base.iouType, **overrides)
    if not len(p.imgIds):
        p = replace(p, imgIds=_sorted_ids(gt.image_ids, "image"))
    if not len(p.catIds):
        p = replace(p, catIds=_sorted_ids(gt.category_ids, "category"))
    p = p.normalized()
    return CocoResult.of(
        match(gt, dt, p), gt.category_names, dt.unmapped, ground_truth=gt, predictions=dt
    )
