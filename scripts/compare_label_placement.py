"""Label-on-label overlaps: gemini-vision's placement against supervision's smart positioning.

For ten crowded real-style scenes (20 segments each, 640x480, the generator of
tests/spatial/test_labels.py) it counts the pairs of label boxes that overlap:
ours; supervision's smart positioning of label boxes of the same sizes; and
supervision's LabelAnnotator(smart_position=True) with its own label sizes.
Then the time to place 1,000 labels on a 1920x1080 image. Needs supervision.

    PYTHONPATH=. .venv/bin/python scripts/compare_label_placement.py
"""

from __future__ import annotations

import json
import time
import warnings

import numpy as np
from tests.spatial.test_labels import _pairs_overlapping, _supervision_smart, crowded_answer

from gemini_vision import spatial
from gemini_vision.spatial import draw


def main() -> None:
    warnings.simplefilter("ignore")  # supervision without OpenCV says so on import
    import supervision as sv

    totals = [0, 0, 0]
    print("scene  ours  supervision(same sizes)  supervision(own sizes)")
    for seed in range(10):
        result = spatial.parse(crowded_answer(seed=seed), (640, 480))
        boxes = draw.label_boxes(result)
        sizes = [(x1 - x0, y1 - y0) for _, (x0, y0, x1, y1) in boxes]
        annotator = sv.LabelAnnotator(smart_position=True)
        labels = [item.label for item in result.items]
        props = annotator._get_label_properties(result.to_supervision(), labels)
        own = annotator._adjust_labels_in_frame(result.image_size, labels, props)
        counts = [
            _pairs_overlapping([rect for _, rect in boxes]),
            _pairs_overlapping(_supervision_smart(result, sizes)),
            _pairs_overlapping([tuple(float(v) for v in row[:4]) for row in own]),
        ]
        totals = [t + c for t, c in zip(totals, counts, strict=True)]
        print(f"{seed:5d}  {counts[0]:4d}  {counts[1]:23d}  {counts[2]:22d}")
    print(f"total  {totals[0]:4d}  {totals[1]:23d}  {totals[2]:22d}")

    rng = np.random.default_rng(0)
    items = [
        {"box_2d": [int(y), int(x), int(y) + 50, int(x) + 50], "label": f"thing {k}"}
        for k, (y, x) in enumerate(rng.integers(0, 950, (1000, 2)))
    ]
    result = spatial.parse(json.dumps(items), (1920, 1080))
    start = time.perf_counter()
    draw.label_boxes(result)
    print(f"1000 labels on 1920x1080 placed in {time.perf_counter() - start:.2f} s")


if __name__ == "__main__":
    main()
