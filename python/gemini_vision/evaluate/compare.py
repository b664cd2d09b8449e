"""Two runs on the same images: each metric's difference with a paired bootstrap interval.

Two models, a base and a tuned model, or two prompts, evaluated on the same
ground truth: :func:`compare` draws the images with replacement ``n_boot``
times (seeded), re-accumulates both runs on each draw (the same images for
both: the pairing), and reports every metric's difference ``b - a`` with the
percentile interval of the differences. The metrics are the twelve COCO stats
and precision, recall and F1 at IoU 0.5 (:mod:`.unscored`).

Each draw re-runs the accumulation (not the matching), so the cost is about
``2 * n_boot`` accumulations.

>>> from gemini_vision.evaluate import coco
>>> gt = {"images": [{"id": i, "height": 50, "width": 50} for i in (1, 2)],
...       "categories": [{"id": 1, "name": "cat"}],
...       "annotations": [{"id": i, "image_id": i, "category_id": 1,
...                        "bbox": [0, 0, 10, 10], "area": 100} for i in (1, 2)]}
>>> a = coco(gt, [{"image_id": 1, "category_id": 1, "bbox": [0, 0, 10, 10], "score": 1}])
>>> b = coco(gt, [{"image_id": i, "category_id": 1, "bbox": [0, 0, 10, 10], "score": 1}
...               for i in (1, 2)])
>>> c = compare(a, b, n_boot=200, seed=0)
>>> c.rows["recall@0.5"]["difference"]
0.5
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from gemini_vision.errors import EvaluationError
from gemini_vision.evaluate.coco import CocoResult, Matching, accumulate, summarize
from gemini_vision.evaluate.unscored import counts

__all__ = ["STAT_NAMES", "Comparison", "compare", "metrics_of"]

STAT_NAMES = (
    "AP",
    "AP50",
    "AP75",
    "AP_small",
    "AP_medium",
    "AP_large",
    "AR1",
    "AR10",
    "AR100",
    "AR_small",
    "AR_medium",
    "AR_large",
)


@dataclass(frozen=True)
class Comparison:
    """``rows[metric] = {"a", "b", "difference", "low", "high"}``, differences as ``b - a``."""

    rows: dict[str, dict[str, float]]
    n_boot: int
    confidence: float
    seed: int

    def table(self) -> str:
        """A plain-text table, one metric a line.

        >>> Comparison({"AP": {"a": 0.1, "b": 0.2, "difference": 0.1, "low": 0.0,
        ...                    "high": 0.2}}, 10, 0.95, 0).table().splitlines()[1].split()
        ['AP', '0.1000', '0.2000', '+0.1000', '[+0.0000,', '+0.2000]']
        """
        lines = [f"{'metric':<12} {'a':>7} {'b':>7} {'b - a':>8}  {self.confidence:.0%} interval"]
        for name, r in self.rows.items():
            lines.append(
                f"{name:<12} {r['a']:7.4f} {r['b']:7.4f} {r['difference']:+8.4f}  "
                f"[{r['low']:+.4f}, {r['high']:+.4f}]"
            )
        return "\n".join(lines)


def metrics_of(mt: Matching, unmapped: int) -> dict[str, float]:
    """The compared metrics of one matching."""
    precision, recall, _ = accumulate(mt)
    stats = summarize(precision, recall, mt.params)
    out = {name: float(v) for name, v in zip(STAT_NAMES, stats.tolist(), strict=True)}
    tp, fp, fn, _ = counts(mt, unmapped)
    thrs = np.asarray(mt.params.iouThrs)
    hit = np.flatnonzero(np.isclose(thrs, 0.5))
    if hit.size:
        t = int(hit[0])
        p = tp[t] / (tp[t] + fp[t]) if tp[t] + fp[t] else 0.0
        r = tp[t] / (tp[t] + fn[t]) if tp[t] + fn[t] else 0.0
        out["precision@0.5"] = float(p)
        out["recall@0.5"] = float(r)
        out["f1@0.5"] = float(2 * p * r / (p + r)) if p + r else 0.0
    return out


def _take(
    n_items: int, owner: npt.NDArray[np.int64], draw: npt.NDArray[np.int64]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Rows of the drawn images (each as often as drawn) and their new image positions."""
    order = np.argsort(owner, kind="stable")
    starts = np.searchsorted(owner[order], np.arange(n_items), side="left")
    ends = np.searchsorted(owner[order], np.arange(n_items), side="right")
    lens = (ends - starts)[draw]
    out_starts = np.zeros(len(draw), dtype=np.int64)
    np.cumsum(lens[:-1], out=out_starts[1:])
    pos = np.repeat(starts[draw] - out_starts, lens) + np.arange(int(lens.sum()))
    return order[pos], np.repeat(np.arange(len(draw)), lens)


def _resample(mt: Matching, draw: npt.NDArray[np.int64]) -> Matching:
    n_img = len(mt.params.imgIds)
    d_rows, d_img = _take(n_img, mt.dt_img, draw)
    g_rows, g_img = _take(n_img, mt.gt_img, draw)
    return replace(
        mt,
        params=replace(mt.params, imgIds=list(range(len(draw)))),
        dt_img=d_img,
        dt_cat=mt.dt_cat[d_rows],
        dt_rank=mt.dt_rank[d_rows],
        dt_score=mt.dt_score[d_rows],
        dt_matched=mt.dt_matched[d_rows],
        dt_ignore=mt.dt_ignore[d_rows],
        dt_iou=mt.dt_iou[d_rows],
        dt_gt=mt.dt_gt[d_rows],
        gt_img=g_img,
        gt_cat=mt.gt_cat[g_rows],
        gt_ignore=mt.gt_ignore[g_rows],
    )


def _unmapped(result: CocoResult) -> npt.NDArray[np.int64]:
    ids = result.params.imgIds
    return np.array([result.unmapped.get(i, 0) for i in ids], dtype=np.int64)


def compare(
    a: CocoResult, b: CocoResult, *, n_boot: int = 1000, seed: int = 0, confidence: float = 0.95
) -> Comparison:
    """Each metric of ``b`` minus ``a``, with a paired bootstrap interval over images."""
    if a.matching is None or b.matching is None:
        raise EvaluationError("compare needs CocoResults that carry their matching")
    if list(a.params.imgIds) != list(b.params.imgIds) or list(a.params.catIds) != list(
        b.params.catIds
    ):
        raise EvaluationError("the two runs must be evaluated on the same images and categories")
    if n_boot < 1 or not 0 < confidence < 1:
        raise EvaluationError("n_boot must be >= 1 and confidence in (0, 1)")
    ua, ub = _unmapped(a), _unmapped(b)
    base_a = metrics_of(a.matching, int(ua.sum()))
    base_b = metrics_of(b.matching, int(ub.sum()))
    names = list(base_a)
    rng = np.random.default_rng(seed)
    n_img = len(a.params.imgIds)
    diffs = np.zeros((n_boot, len(names)))
    for i in range(n_boot):
        draw = rng.integers(0, n_img, size=n_img) if n_img else np.zeros(0, np.int64)
        ma = metrics_of(_resample(a.matching, draw), int(ua[draw].sum()))
        mb = metrics_of(_resample(b.matching, draw), int(ub[draw].sum()))
        diffs[i] = [mb[k] - ma[k] for k in names]
    lo_q, hi_q = (1 - confidence) / 2, 1 - (1 - confidence) / 2
    rows: dict[str, dict[str, float]] = {}
    for j, name in enumerate(names):
        rows[name] = {
            "a": base_a[name],
            "b": base_b[name],
            "difference": base_b[name] - base_a[name],
            "low": float(np.quantile(diffs[:, j], lo_q)),
            "high": float(np.quantile(diffs[:, j], hi_q)),
        }
    return Comparison(rows=rows, n_boot=n_boot, confidence=confidence, seed=seed)
