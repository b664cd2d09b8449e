"""COCO evaluation at scale: the batch's Arrow tables on all cores, on Dask, on Spark.

Matching is independent per image, so it runs where the predictions are: each
part (an Arrow table of the batch's items holding whole images, as the batch
writes them) is matched on its own by :func:`partial`, which returns the
per-detection and per-ground-truth outcome as a small Arrow table; the parts'
outcomes are then accumulated once by :func:`combine`. Images of the ground
truth that no part holds are matched with no predictions (their ground truths
are misses). The result equals :func:`~gemini_vision.evaluate.coco` in one
process on the same predictions: the accumulation sorts every detection by
(category, score, image, rank), so where a part was matched does not matter.

* :func:`coco_tables` — parts in one process over a thread pool (the Rust
  kernel releases the GIL, so the matching uses every core);
* :func:`coco_dask` — a Dask DataFrame of items, one task per partition;
* :func:`coco_spark` — a Spark DataFrame of items, through ``mapInArrow``.

>>> import pyarrow as pa
>>> from gemini_vision.batch.schema import output_schema
>>> gt = {"images": [{"id": i, "height": 20, "width": 20} for i in (1, 2)],
...       "categories": [{"id": 1, "name": "cat"}],
...       "annotations": [{"id": i, "image_id": i, "category_id": 1, "bbox": [0, 0, 10, 10],
...                        "area": 100} for i in (1, 2)]}
>>> row = {"id": 1, "item": 0, "kind": "box", "label": "cat", "x0": 0, "y0": 0, "x1": 10, "y1": 10}
>>> part = pa.Table.from_pylist([row], schema=output_schema())
>>> r = coco_tables(gt, [part])
>>> [round(float(v), 3) for v in r.stats[[0, 8]]]
[0.505, 0.5]
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

import numpy as np

from gemini_vision.errors import EvaluationError
from gemini_vision.evaluate.coco import (
    CocoResult,
    Matching,
    match,
)
from gemini_vision.evaluate.data import (
    GroundTruth,
    load_ground_truth,
    load_predictions,
    take_segmentations,
)
from gemini_vision.evaluate.labels import LabelMap
from gemini_vision.evaluate.params import IouType, Params
from gemini_vision.evaluate.sources import results_from_table

__all__ = ["coco_dask", "coco_spark", "coco_tables", "combine", "outcome_schema", "partial"]


def outcome_schema() -> Any:
    """The Arrow schema of :func:`partial`'s output (one row per detection, ground
    truth, or unmapped label)."""
    import pyarrow as pa

    return pa.schema(
        [
            pa.field("side", pa.string()),
            pa.field("img", pa.int64()),
            pa.field("cat", pa.int64()),
            pa.field("rank", pa.int64()),
            pa.field("score", pa.float64()),
            pa.field("matched", pa.list_(pa.bool_())),
            pa.field("ignore", pa.list_(pa.bool_())),
            pa.field("iou", pa.list_(pa.float64())),
            pa.field("label", pa.string()),
        ]
    )


def _subset(gt: GroundTruth, image_ids: set[Any]) -> GroundTruth:
    rows = [i for i, iid in enumerate(gt.image_id) if iid in image_ids]
    idx = np.array(rows, dtype=np.int64)
    return replace(
        gt,
        id=gt.id[idx],
        image_id=[gt.image_id[i] for i in rows],
        category_id=[gt.category_id[i] for i in rows],
        bbox=gt.bbox[idx].reshape(-1, 4),
        area=gt.area[idx],
        iscrowd=gt.iscrowd[idx],
        segmentation=take_segmentations(gt.segmentation, idx),
    )


def _params(gt: GroundTruth, iou_type: IouType, params: Params | None) -> Params:
    p = params if params is not None else Params(iouType=iou_type)
    if not len(p.imgIds):
        p = replace(p, imgIds=sorted(gt.image_ids))
    if not len(p.catIds):
        p = replace(p, catIds=sorted(gt.category_ids))
    return p.normalized()


def _outcome(mt: Matching, unmapped: list[dict[str, Any]], img_pos: dict[Any, int]) -> Any:
    import pyarrow as pa

    n_d, n_g, n_u = len(mt.dt_rank), len(mt.gt_img), len(unmapped)

    def lists(flat: np.ndarray, width: int, n: int, typ: Any) -> Any:
        offsets = np.arange(n + 1, dtype=np.int32) * width
        return pa.ListArray.from_arrays(pa.array(offsets), pa.array(flat.ravel(), typ))

    def cat(*parts: Any) -> Any:
        return pa.concat_arrays(parts)

    na = mt.gt_ignore.shape[1]
    nt = mt.dt_iou.shape[1]
    null_list_b = pa.nulls(n_u, pa.list_(pa.bool_()))
    return pa.table(
        {
            "side": pa.array(["dt"] * n_d + ["gt"] * n_g + ["unmapped"] * n_u),
            "img": pa.array(
                np.r_[mt.dt_img, mt.gt_img, [img_pos[u["image_id"]] for u in unmapped]].astype(
                    np.int64
                )
            ),
            "cat": pa.array(np.r_[mt.dt_cat, mt.gt_cat, np.zeros(n_u, np.int64)].astype(np.int64)),
            "rank": pa.array(np.r_[mt.dt_rank, np.zeros(n_g + n_u, np.int64)].astype(np.int64)),
            "score": pa.array(np.r_[mt.dt_score, np.zeros(n_g + n_u)].astype(np.float64)),
            "matched": cat(
                lists(mt.dt_matched, na * nt, n_d, pa.bool_()),
                pa.nulls(n_g, pa.list_(pa.bool_())),
                null_list_b,
            ),
            "ignore": cat(
                lists(mt.dt_ignore, na * nt, n_d, pa.bool_()),
                lists(mt.gt_ignore, na, n_g, pa.bool_()),
                null_list_b,
            ),
            "iou": cat(
                lists(mt.dt_iou, nt, n_d, pa.float64()),
                pa.nulls(n_g + n_u, pa.list_(pa.float64())),
            ),
            "label": pa.array(
                [None] * (n_d + n_g) + [str(u["label"]) for u in unmapped], pa.string()
            ),
        },
        schema=outcome_schema(),
    )


def partial(
    ground_truth: Any,
    items: Any,
    iou_type: IouType = "bbox",
    params: Params | None = None,
    labels: LabelMap | None = None,
) -> Any:
    """Match one part of the batch's items (whole images) against the ground truth.

    Returns an Arrow table of :func:`outcome_schema`, for :func:`combine`.
    """
    gt = load_ground_truth(ground_truth)
    p = _params(gt, iou_type, params)
    if labels is None:
        labels = LabelMap(gt.category_names)
    ids = set(items.column("id").to_pylist()) if items.num_rows else set()
    missing = ids - gt.image_sizes.keys()
    if missing:
        raise EvaluationError(
            f"the items name images the ground truth lacks: {sorted(missing)[:5]}"
        )
    unmapped: list[dict[str, Any]] = []
    results = results_from_table(items, labels, unmapped)
    sub = _subset(gt, ids)
    mt = match(sub, load_predictions(results, sub), p)
    return _outcome(mt, unmapped, {iid: i for i, iid in enumerate(p.imgIds)})


def combine(
    ground_truth: Any,
    outcomes: Iterable[Any],
    iou_type: IouType = "bbox",
    params: Params | None = None,
) -> CocoResult:
    """Accumulate the parts' outcomes into one result (images in no part: all missed)."""
    import pyarrow as pa

    gt = load_ground_truth(ground_truth)
    p = _params(gt, iou_type, params)
    tables = [t for t in outcomes if t.num_rows]
    table = pa.concat_tables(tables) if tables else outcome_schema().empty_table()
    seen = set(table.column("img").to_pylist())
    unseen = {iid for i, iid in enumerate(p.imgIds) if i not in seen}
    if unseen:
        empty = load_predictions([], gt)
        extra = _outcome(match(_subset(gt, unseen), empty, p), [], {})
        table = pa.concat_tables([table, extra])
    side = np.array(table.column("side").to_pylist(), dtype=object)
    na, nt = len(p.areaRng), len(p.iouThrs)

    def col(name: str, mask: np.ndarray) -> np.ndarray:
        out: np.ndarray = np.asarray(table.column(name).to_numpy(zero_copy_only=False))[mask]
        return out

    def listcol(name: str, mask: np.ndarray, shape: tuple[int, ...], dtype: Any) -> np.ndarray:
        chunked = table.column(name).filter(pa.array(mask))
        values = [c.flatten().to_numpy(zero_copy_only=False) for c in chunked.chunks]
        arr = np.concatenate(values).astype(dtype) if values else np.zeros(0, dtype)
        return arr.reshape((int(mask.sum()), *shape))

    d, g, u = side == "dt", side == "gt", side == "unmapped"
    n_d, n_g = int(d.sum()), int(g.sum())
    mt = Matching(
        params=p,
        gt_rows=np.full(n_g, -1, np.int64),
        dt_rows=np.full(n_d, -1, np.int64),
        gt_img=col("img", g).astype(np.int64),
        gt_cat=col("cat", g).astype(np.int64),
        dt_img=col("img", d).astype(np.int64),
        dt_cat=col("cat", d).astype(np.int64),
        dt_rank=col("rank", d).astype(np.int64),
        dt_score=col("score", d).astype(np.float64),
        dt_gt=np.full((n_d, na, nt), -1, np.int64),
        dt_matched=listcol("matched", d, (na, nt), np.bool_),
        dt_ignore=listcol("ignore", d, (na, nt), np.bool_),
        gt_ignore=listcol("ignore", g, (na,), np.bool_),
        dt_iou=listcol("iou", d, (nt,), np.float64),
    )
    unmapped: dict[Any, int] = {}
    for i in col("img", u).tolist():
        unmapped[p.imgIds[i]] = unmapped.get(p.imgIds[i], 0) + 1
    return CocoResult.of(mt, gt.category_names, unmapped)


def coco_tables(
    ground_truth: Any,
    tables: Iterable[Any],
    iou_type: IouType = "bbox",
    *,
    params: Params | None = None,
    labels: LabelMap | None = None,
    threads: int | None = None,
) -> CocoResult:
    """The batch's item tables (each holding whole images) on a pool of threads."""
    gt = load_ground_truth(ground_truth)
    with ThreadPoolExecutor(max_workers=threads) as pool:
        parts = list(pool.map(lambda t: partial(gt, t, iou_type, params, labels), tables))
    return combine(gt, parts, iou_type, params)


def coco_dask(
    ground_truth: Any, items: Any, iou_type: IouType = "bbox", *, params: Params | None = None
) -> CocoResult:
    """A Dask DataFrame of the batch's items (each partition holding whole images)."""
    import dask
    import pyarrow as pa

    gt = load_ground_truth(ground_truth)
    wanted = ["id", "item", "kind", "label", "x0", "y0", "x1", "y1", "confidence"]
    wanted += ["rle_counts", "rle_size"]

    def size(v: Any) -> Any:
        # Dask may turn list columns into text ("[480 640]"): read the numbers back.
        if isinstance(v, str):
            return [int(x) for x in re.findall(r"-?\d+", v)]
        return None if v is None else [int(x) for x in v]

    def one(frame: Any) -> Any:
        frame = frame[[c for c in wanted if c in frame.columns]]
        if "rle_size" in frame.columns:
            frame = frame.assign(rle_size=[size(v) for v in frame["rle_size"].tolist()])
        table = pa.Table.from_pandas(frame, preserve_index=False)
        return partial(gt, table, iou_type, params)

    parts = dask.compute(*[dask.delayed(one)(p) for p in items.to_delayed()])
    return combine(gt, parts, iou_type, params)


def coco_spark(
    ground_truth: Any, items: Any, iou_type: IouType = "bbox", *, params: Params | None = None
) -> CocoResult:
    """A Spark DataFrame of the batch's items, through ``mapInArrow`` (whole images per
    partition: repartition by ``id`` first if unsure)."""
    import pyarrow as pa

    gt = load_ground_truth(ground_truth)
    schema = outcome_schema()
    ddl = "side STRING, img BIGINT, cat BIGINT, rank BIGINT, score DOUBLE, matched ARRAY<BOOLEAN>, "
    ddl += "ignore ARRAY<BOOLEAN>, iou ARRAY<DOUBLE>, label STRING"

    def run(batches: Iterable[Any]) -> Iterable[Any]:
        batches = list(batches)
        if not batches:
            return
        table = pa.Table.from_batches(batches)
        yield from partial(gt, table, iou_type, params).cast(schema).to_batches()

    out = items.mapInArrow(run, ddl)
    rows = out.toPandas()
    table = pa.Table.from_pandas(rows, schema=schema, preserve_index=False)
    return combine(gt, [table], iou_type, params)
