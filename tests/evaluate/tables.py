"""The batch's item table for a synthetic COCO set (whole images per part)."""

from __future__ import annotations

from typing import Any

import numpy as np

from gemini_vision.evaluate.synthetic import synthetic_coco


def item_tables(
    n_images: int, parts: int, seed: int = 3, segm: bool = False
) -> tuple[dict[str, Any], list[Any]]:
    """``(ground truth, [item table per part])``: images split over ``parts`` tables.

    Boxes become the integer pixel boxes the batch writes; a third of the items
    carry no confidence (ranked by their place), a few have a label that is not
    a category, and one image is left out of every part (its objects are missed).
    """
    import pyarrow as pa

    from gemini_vision.batch.schema import output_schema

    gt, dt = synthetic_coco(n_images=n_images, seed=seed, with_masks=segm)
    names = {c["id"]: c["name"] for c in gt["categories"]}
    rows: dict[int, list[dict[str, Any]]] = {}
    rng = np.random.default_rng(seed)
    for d in dt:
        x, y, w, h = d["bbox"]
        if w <= 0 or h <= 0:
            continue
        items = rows.setdefault(d["image_id"], [])
        row: dict[str, Any] = {
            "id": d["image_id"],
            "item": len(items),
            "kind": "segment" if segm else "box",
            "label": names[d["category_id"]] if rng.random() > 0.03 else "something else",
            "x0": int(x),
            "y0": int(y),
            "x1": int(x + w),
            "y1": int(y + h),
            "confidence": d["score"] if rng.random() > 0.33 else None,
        }
        if segm:
            row["rle_counts"] = d["segmentation"]["counts"]
            row["rle_size"] = d["segmentation"]["size"]
        items.append(row)
    ids = sorted(rows)[1:]  # the first image with predictions is in no part
    schema = output_schema()
    tables = []
    for k in range(parts):
        part = [r for i in ids[k::parts] for r in rows[i]]
        tables.append(pa.Table.from_pylist(part, schema=schema))
    return gt, tables
