"""Side-by-side costs of the reliability work (README "Reliability").

    git show 144ca87:python/gemini_vision/spatial/polygon.py > /tmp/old_polygon.py
    .venv/bin/python scripts/measure_costs.py /tmp/old_polygon.py

Prints, for comb polygons (every edge crosses every row), the old and the new
rasterisation time and whether they agree; then the time and peak memory of
reading a 50 MB answer and a million-item answer under the default ``Limits``.
Absolute times depend on the machine's load; compare the ratios.
"""

from __future__ import annotations

import importlib.util
import resource
import sys
import time

from gemini_vision import spatial
from gemini_vision.spatial.polygon import rasterize


def comb(teeth: int, width: int, height: int) -> list[list[tuple[float, float]]]:
    ring: list[tuple[float, float]] = []
    for t in range(teeth):
        x = t * width / teeth
        ring += [(x, 0.0), (x + width / teeth / 2, float(height))]
    return [[*ring, (float(width), 0.0)]]


def main(old_path: str) -> None:
    spec = importlib.util.spec_from_file_location("old_polygon", old_path)
    assert spec is not None and spec.loader is not None
    old = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(old)
    for teeth, width, height in [(2048, 1000, 1000), (2048, 4000, 4000), (17500, 1000, 1000)]:
        rings, box = comb(teeth, width, height), (0, 0, width, height)
        start = time.perf_counter()
        new_mask = rasterize(rings, box)
        new = time.perf_counter() - start
        start = time.perf_counter()
        old_mask = old.rasterize(rings, box)
        before = time.perf_counter() - start
        print(
            f"comb of {2 * teeth + 1} vertices on {width}x{height}: before {before:.2f} s, "
            f"now {new:.2f} s ({before / new:.1f}x), equal: {bool((old_mask == new_mask).all())}"
        )
    item = '{"box_2d": [10, 20, 300, 400], "label": "a"}'
    text = "[" + ", ".join([item] * (50_000_000 // len(item))) + "]"
    start = time.perf_counter()
    result = spatial.parse(text, (1000, 1000))
    print(f"50 MB answer: {time.perf_counter() - start:.2f} s, {len(result.items)} items")
    text = "[" + ", ".join(['{"point": [1, 2]}'] * 1_000_000) + "]"
    start = time.perf_counter()
    result = spatial.parse(text, (1000, 1000))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"1M items: {time.perf_counter() - start:.2f} s, {len(result.items)} items, "
        f"peak RSS {peak:.0f} MiB"
    )


if __name__ == "__main__":
    main(sys.argv[1])
