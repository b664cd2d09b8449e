"""A synthetic COCO set: ground truth and predictions, seeded, any size.

For benchmarks and equality tests at COCO val2017's scale (5,000 images,
about 36,000 instances in 80 categories) without downloading anything. Ground
truths are polygons of 6 to 24 vertices around an ellipse, about 1% are
crowds (given as compressed RLE, as COCO does); ``area`` is the polygon's
pixel count. Predictions jitter the ground truths (some twice, some missed),
add false positives in random places and categories, carry scores rounded to
two decimals (so ties happen) and, for segmentation, compressed RLE masks.

>>> gt, dt = synthetic_coco(n_images=3, seed=1)
>>> len(gt["images"]), sorted(dt[0])
(3, ['bbox', 'category_id', 'image_id', 'score', 'segmentation'])
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gemini_vision.evaluate.data import load_ground_truth, masks_of

__all__ = ["synthetic_coco"]


def _polygon(rng: np.random.Generator, cx: float, cy: float, rx: float, ry: float) -> list[float]:
    k = int(rng.integers(6, 25))
    ang = np.sort(rng.uniform(0, 2 * np.pi, k))
    rad = rng.uniform(0.75, 1.0, k)
    xs = cx + rx * rad * np.cos(ang)
    ys = cy + ry * rad * np.sin(ang)
    out: list[float] = np.round(np.stack([xs, ys], axis=1).reshape(-1), 2).tolist()
    return out


def synthetic_coco(
    n_images: int = 5000,
    per_image: float = 7.3,
    n_categories: int = 80,
    seed: int = 0,
    with_masks: bool = True,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """``(ground truth dict, results list)``; ``per_image`` is the mean number of instances."""
    rng = np.random.default_rng(seed)
    sizes = [(480, 640), (640, 480), (427, 640), (640, 427), (500, 375)]
    images = []
    for i in range(n_images):
        h, w = sizes[int(rng.integers(len(sizes)))]
        images.append({"id": i + 1, "height": h, "width": w, "file_name": f"{i + 1:012d}.jpg"})
    cats = [{"id": c + 1, "name": f"category {c + 1}"} for c in range(n_categories)]
    anns: list[dict[str, Any]] = []
    dts: list[dict[str, Any]] = []
    for img in images:
        h, w = int(img["height"]), int(img["width"])  # type: ignore[call-overload]
        n = int(rng.poisson(per_image))
        for _ in range(n):
            # Sizes spread over COCO's small / medium / large ranges.
            r = float(np.exp(rng.uniform(np.log(3), np.log(min(h, w) / 2.2))))
            rx, ry = r * rng.uniform(0.6, 1.4), r * rng.uniform(0.6, 1.4)
            cx, cy = rng.uniform(0, w), rng.uniform(0, h)
            poly = _polygon(rng, cx, cy, rx, ry)
            xs, ys = poly[0::2], poly[1::2]
            x0, y0 = max(min(xs), 0.0), max(min(ys), 0.0)
            x1, y1 = min(max(xs), float(w)), min(max(ys), float(h))
            if x1 <= x0 or y1 <= y0:
                continue
            cat = int(rng.integers(1, n_categories + 1))
            anns.append(
                {
                    "id": len(anns) + 1,
                    "image_id": img["id"],
                    "category_id": cat,
                    "bbox": [round(x0, 2), round(y0, 2), round(x1 - x0, 2), round(y1 - y0, 2)],
                    "iscrowd": int(rng.random() < 0.01),
                    "segmentation": [poly],
                }
            )
            for _ in range(int(rng.choice([0, 1, 1, 1, 2]))):
                s = rng.uniform(0.0, 0.25)
                jx, jy = cx + rng.normal(0, s * rx), cy + rng.normal(0, s * ry)
                jp = _polygon(rng, jx, jy, rx * rng.uniform(0.8, 1.2), ry * rng.uniform(0.8, 1.2))
                dts.append({"image_id": img["id"], "category_id": cat, "poly": jp})
        for _ in range(int(rng.poisson(per_image * 0.6))):
            r = float(rng.uniform(4, min(h, w) / 4))
            jp = _polygon(rng, rng.uniform(0, w), rng.uniform(0, h), r, r)
            dts.append(
                {
                    "image_id": img["id"],
                    "category_id": int(rng.integers(1, n_categories + 1)),
                    "poly": jp,
                }
            )
    gt = {"images": images, "categories": cats, "annotations": anns}
    g = load_ground_truth(gt)
    # area: the polygon's pixel count; crowds become compressed RLE.
    gm = masks_of([a["segmentation"] for a in anns], [a["image_id"] for a in anns], g)
    areas = gm.areas()
    for i, a in enumerate(anns):
        a["area"] = float(areas[i])
        if a["iscrowd"]:
            a["segmentation"] = gm.get(i)
    dm = masks_of([[d["poly"]] for d in dts], [d["image_id"] for d in dts], g)
    boxes = dm.bboxes()
    scores = np.round(rng.uniform(0.05, 1.0, len(dts)), 2)
    results = []
    for i, d in enumerate(dts):
        res: dict[str, Any] = {
            "image_id": d["image_id"],
            "category_id": d["category_id"],
            "bbox": [float(v) for v in boxes[i]],
            "score": float(scores[i]),
        }
        if with_masks:
            res["segmentation"] = dm.get(i)
        results.append(res)
    return gt, results
