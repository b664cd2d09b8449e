"""Make the demo's ground truth (python/gemini_vision/data/demo_ground_truth.json).

Written by hand from the scene that scripts/make_demo_sample.py draws: the
same boxes and the same shapes (the sun and the ball are ellipses, the house
a roof triangle over a wall rectangle, the tree three stacked triangles over a
trunk), as COCO polygons in pixel coordinates. ``area`` is each shape's pixel
count. The categories are the English names; the recorded answer labels the
tree and the ball in Russian and Hebrew, which the demo's synonym table
(demo_synonyms.json) maps.

    python scripts/make_demo_ground_truth.py [OUT_DIR]
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "python" / "gemini_vision" / "data"
WIDTH, HEIGHT = 640, 480


def ellipse(x0: float, y0: float, x1: float, y1: float, n: int = 48) -> list[float]:
    cx, cy, rx, ry = (x0 + x1) / 2, (y0 + y1) / 2, (x1 - x0) / 2, (y1 - y0) / 2
    pts: list[float] = []
    for i in range(n):
        t = 2 * math.pi * i / n
        pts += [round(cx + rx * math.cos(t), 2), round(cy + ry * math.sin(t), 2)]
    return pts


def rect(x0: float, y0: float, x1: float, y1: float) -> list[float]:
    return [x0, y0, x1, y0, x1, y1, x0, y1]


def house(x0: float, y0: float, x1: float, y1: float) -> list[list[float]]:
    roof = y0 + (y1 - y0) * 0.42
    inset = (x1 - x0) * 0.08
    return [[x0, roof, (x0 + x1) / 2, y0, x1, roof], rect(x0 + inset, roof, x1 - inset, y1)]


def tree(x0: float, y0: float, x1: float, y1: float) -> list[list[float]]:
    w, h = x1 - x0, y1 - y0
    parts = [rect(x0 + 0.42 * w, y0 + 0.7 * h, x0 + 0.58 * w, y1)]
    for k in range(3):
        top = y0 + k * 0.22 * h
        bottom = top + 0.38 * h
        spread = 0.3 + 0.1 * k
        parts.append(
            [x0 + (0.5 - spread) * w, bottom, x0 + 0.5 * w, top, x0 + (0.5 + spread) * w, bottom]
        )
    return parts


# The boxes of scripts/make_demo_sample.py's OBJECTS (end pixels inclusive there,
# so the shapes here reach one pixel further).
OBJECTS = [
    ("sun", [ellipse(470, 40, 581, 151)]),
    ("house", house(90, 180, 301, 391)),
    ("tree", tree(340, 150, 451, 401)),
    ("ball", [ellipse(470, 360, 541, 431)]),
]


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else OUT
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "python"))
    from gemini_vision.evaluate.data import load_ground_truth, masks_of

    image = {"id": 1, "file_name": "demo_scene.png", "height": HEIGHT, "width": WIDTH}
    cats = [{"id": i + 1, "name": name} for i, (name, _) in enumerate(OBJECTS)]
    frame = load_ground_truth({"images": [image]})
    anns = []
    for i, (_, polys) in enumerate(OBJECTS):
        m = masks_of([polys], [1], frame)
        x, y, w, h = m.bboxes()[0].tolist()
        anns.append(
            {
                "id": i + 1,
                "image_id": 1,
                "category_id": i + 1,
                "segmentation": polys,
                "area": float(m.areas()[0]),
                "bbox": [x, y, w, h],
                "iscrowd": 0,
            }
        )
    gt = {"images": [image], "categories": cats, "annotations": anns}
    (out / "demo_ground_truth.json").write_text(json.dumps(gt, indent=1) + "\n", encoding="utf-8")
    synonyms = {"ёлка": "tree", "כדור": "ball"}
    (out / "demo_synonyms.json").write_text(
        json.dumps(synonyms, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    print(f"wrote {out / 'demo_ground_truth.json'} and {out / 'demo_synonyms.json'}")


if __name__ == "__main__":
    main()
