"""Hypothesis strategies for COCO ground truth and predictions, and pycocotools as the reference."""

from __future__ import annotations

import contextlib
import copy
import io
from typing import Any

import numpy as np
from hypothesis import strategies as st

pytest_coco = __import__("pytest").importorskip("pycocotools")
from pycocotools import mask as mask_utils  # noqa: E402
from pycocotools.coco import COCO  # noqa: E402
from pycocotools.cocoeval import COCOeval  # noqa: E402


def reference(
    gt: dict[str, Any], dt: list[dict[str, Any]], iou_type: str, **params: Any
) -> COCOeval:
    """pycocotools' COCOeval, run on copies (it writes into its inputs)."""
    with contextlib.redirect_stdout(io.StringIO()):
        g = COCO()
        g.dataset = copy.deepcopy(gt)
        g.createIndex()
        d = g.loadRes(copy.deepcopy(dt))
        e = COCOeval(g, d, iou_type)
        for k, v in params.items():
            setattr(e.params, k, v)
        e.evaluate()
        e.accumulate()
        e.summarize()
    return e


def _rle_str(mask: np.ndarray) -> dict[str, Any]:
    r = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
    return {"size": [int(v) for v in r["size"]], "counts": r["counts"].decode("ascii")}


@st.composite
def polygons(draw: st.DrawFn, h: int, w: int) -> list[list[float]]:
    """One to three polygons of 3 to 7 points, some outside the frame, some repeated."""
    out = []
    for _ in range(draw(st.integers(1, 3))):
        n = draw(st.integers(3, 7))
        coord = st.floats(-3, max(w, h) + 3, allow_nan=False).map(lambda v: round(v, 2))
        pts: list[float] = []
        for _ in range(n):
            x, y = draw(coord), draw(coord)
            pts += [min(x, w + 3), min(y, h + 3)]
        if draw(st.booleans()) and n > 3:
            pts[2:4] = pts[0:2]  # a repeated point
        out.append(pts)
    return out


@st.composite
def random_mask(draw: st.DrawFn, h: int, w: int) -> np.ndarray:
    x0, y0 = draw(st.integers(0, w - 1)), draw(st.integers(0, h - 1))
    x1, y1 = draw(st.integers(x0 + 1, w)), draw(st.integers(y0 + 1, h))
    m = np.zeros((h, w), bool)
    m[y0:y1, x0:x1] = True
    if draw(st.booleans()):
        m[y0, x0] = False  # not a rectangle
    return m


@st.composite
def coco_sets(draw: st.DrawFn, iou_type: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Ground truth and predictions covering COCO's corner cases.

    Crowds (as uncompressed RLE), empty images, images without predictions,
    categories without ground truth, tied scores, boxes at and over the image
    edge, ground-truth ids from 0, masks as polygons and as RLE, results with
    and without a ``bbox`` (which decides pycocotools' detection area).
    """
    n_img = draw(st.integers(1, 5))
    n_cat = draw(st.integers(1, 4))
    first_id = draw(st.sampled_from([1, 1, 0]))
    images = [
        {"id": i + 1, "height": draw(st.integers(4, 40)), "width": draw(st.integers(4, 40))}
        for i in range(n_img)
    ]
    cats = [{"id": c + 1, "name": f"c{c + 1}"} for c in range(n_cat)]
    anns: list[dict[str, Any]] = []
    dts: list[dict[str, Any]] = []
    with_box = iou_type == "bbox" or draw(st.booleans())
    score = st.sampled_from([0.1, 0.5, 0.5, 0.9, 1.0])
    for img in images:
        h, w = img["height"], img["width"]
        for _ in range(draw(st.integers(0, 5))):
            crowd = draw(st.integers(0, 9)) == 0
            cat = draw(st.integers(1, n_cat))
            if crowd:
                m = draw(random_mask(h, w))
                enc = mask_utils.encode(np.asfortranarray(m.astype(np.uint8)))
                flat = m.flatten(order="F")
                runs, cur, n = [], 0, 0
                for v in flat:
                    if v != cur:
                        runs.append(n)
                        cur, n = v, 0
                    n += 1
                runs.append(n)
                seg: Any = {"size": [h, w], "counts": runs}
                bbox = [float(v) for v in mask_utils.toBbox(enc)]
            else:
                seg = draw(polygons(h, w))
                rle = mask_utils.merge(mask_utils.frPyObjects(seg, h, w))
                bbox = [float(v) for v in mask_utils.toBbox(rle)]
                if draw(st.booleans()):  # a box of its own, partly outside the image
                    bbox = [
                        draw(st.floats(-2, w, allow_nan=False)),
                        draw(st.floats(-2, h, allow_nan=False)),
                        draw(st.floats(0.5, w + 2, allow_nan=False)),
                        draw(st.floats(0.5, h + 2, allow_nan=False)),
                    ]
            area = draw(st.sampled_from([bbox[2] * bbox[3], 500.0, 1024.0, 5000.0, 20000.0]))
            anns.append(
                {
                    "id": first_id + len(anns),
                    "image_id": img["id"],
                    "category_id": cat,
                    "bbox": bbox,
                    "area": area,
                    "iscrowd": int(crowd),
                    "segmentation": seg,
                }
            )
        if draw(st.integers(0, 4)) == 0:
            continue  # an image without predictions
        for _ in range(draw(st.integers(0, 6))):
            cat = draw(st.integers(1, n_cat))
            src = [a for a in anns if a["image_id"] == img["id"]]
            if src and draw(st.booleans()):
                a = draw(st.sampled_from(src))
                dx, dy = draw(st.integers(-2, 2)), draw(st.integers(-2, 2))
                x, y, bw, bh = a["bbox"]
                box = [x + dx, y + dy, bw, bh]
                cat = a["category_id"] if draw(st.booleans()) else cat
            else:
                box = [
                    draw(st.floats(-2, w, allow_nan=False)),
                    draw(st.floats(-2, h, allow_nan=False)),
                    draw(st.floats(1, w, allow_nan=False)),
                    draw(st.floats(1, h, allow_nan=False)),
                ]
            res: dict[str, Any] = {"image_id": img["id"], "category_id": cat, "score": draw(score)}
            if with_box:
                res["bbox"] = box
            if iou_type == "segm":
                res["segmentation"] = _rle_str(draw(random_mask(h, w)))
            dts.append(res)
    if not dts:  # pycocotools cannot load an empty result list
        img = images[0]
        res = {"image_id": img["id"], "category_id": 1, "score": 0.5, "bbox": [0.0, 0.0, 2.0, 2.0]}
        if iou_type == "segm":
            m = np.zeros((img["height"], img["width"]), bool)
            m[:2, :2] = True
            res["segmentation"] = _rle_str(m)
        dts.append(res)
        if not with_box:
            for r in dts:
                r.pop("bbox", None)
    return {"images": images, "categories": cats, "annotations": anns}, dts
