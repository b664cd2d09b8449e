"""Polygon masks to pixels: the rasterization rule, stated exactly.

A pixel ``(px, py)`` belongs to the mask iff its centre ``(px + 0.5, py + 0.5)``
is inside the polygon by the **even-odd rule**, where an edge from ``(xa, ya)``
to ``(xb, yb)`` crosses the row of centre ``cy`` iff ``(ya > cy) != (yb > cy)``
(half-open in y, so a vertex exactly on the row is counted once), at
``x = xa + (cy - ya) * (xb - xa) / (yb - ya)`` computed in IEEE double in that
order, and the centre ``(cx, cy)`` is inside iff an odd number of crossings have
``x > cx`` (equivalently, with the crossings of the row sorted ``a0 <= a1 <= ...``,
iff ``a(2k) <= cx < a(2k+1)`` for some k). Vertices are in
pixel units (``x / 1000 * width``, ``y / 1000 * height``, floats, not rounded).
Several rings combine by the same rule, so a ring inside another is a hole.

The rule is deterministic and independent of drawing libraries. Pillow's
``ImageDraw.polygon`` also fills the outline pixels, so it can differ on
boundary pixels; interiors agree.

>>> rasterize([[(1.0, 1.0), (4.0, 1.0), (4.0, 3.0), (1.0, 3.0)]], (0, 0, 5, 4)).astype(int)
array([[0, 0, 0, 0, 0],
       [0, 1, 1, 1, 0],
       [0, 1, 1, 1, 0],
       [0, 0, 0, 0, 0]])
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt

from gemini_vision.spatial.diagnostics import Diagnostic
from gemini_vision.spatial.values import fmt, to_number

__all__ = ["polygon_box", "rasterize", "read_polygon"]

# Work per step: at most about this many edge-row crossings, and a toggle
# table of at most this many cells (a band of rows), so temporaries stay small.
_CROSSINGS_PER_STEP = 1 << 20
_CELLS_PER_STEP = 1 << 22


def rasterize(
    rings: list[list[tuple[float, float]]], box: tuple[int, int, int, int]
) -> npt.NDArray[np.bool_]:
    """The box-local mask of a polygon (pixel-space rings) by the rule above.

    Args:
        rings: closed rings of ``(x, y)`` vertices in pixels (the last vertex
            connects back to the first).
        box: ``(x0, y0, x1, y1)``; the result has shape ``(y1 - y0, x1 - x0)``.

    Cost: a scanline with an active-edge table, in bands of rows. Each edge
    gives one crossing per pixel row it spans (the rows are known from its end
    points, so no edge is tested against rows it misses); each crossing toggles
    one cell; a running XOR along each row fills the pixels. ``O(E + C + P)``
    work for ``E`` edges, ``C`` edge-row crossings inside the box and ``P`` box
    pixels (plus ``E`` per band to find the band's active edges), and bounded
    temporaries — no per-row sort and no edges-times-rows table. ``C`` is at
    most ``E`` times the box height; ``Limits.max_polygon_vertices`` bounds ``E``.

    >>> rasterize([[(0.0, 0.0), (2.0, 0.0), (0.0, 2.0)]], (0, 0, 2, 2)).tolist()
    [[True, False], [False, False]]
    """
    x0, y0, x1, y1 = box
    width, height = max(x1 - x0, 0), max(y1 - y0, 0)
    out = np.zeros((height, width), dtype=np.bool_)
    if width == 0 or height == 0:
        return out
    edges = _edges(rings)
    lo, hi = _row_span(edges[1], edges[3], y0, height)
    rows_per_band = max(
        1, min(_CELLS_PER_STEP // (width + 1), _CROSSINGS_PER_STEP // max(lo.size, 1))
    )
    for first in range(0, height, rows_per_band):
        last = min(first + rows_per_band, height)
        active = np.flatnonzero((lo < last) & (hi > first))
        if active.size:
            out[first:last] = _fill_band(edges, lo, hi, active, first, last, x0, y0, width)
    return out


def _edges(
    rings: list[list[tuple[float, float]]],
) -> tuple[npt.NDArray[np.float64], ...]:
    starts = [v for ring in rings for v in ring]
    ends = [ring[(i + 1) % len(ring)] for ring in rings for i in range(len(ring))]
    a = np.array(starts, dtype=np.float64).reshape(-1, 2)
    b = np.array(ends, dtype=np.float64).reshape(-1, 2)
    # Horizontal edges never cross a row under the half-open rule: drop them.
    keep = a[:, 1] != b[:, 1]
    return a[keep, 0], a[keep, 1], b[keep, 0], b[keep, 1]


def _row_span(
    ya: npt.NDArray[np.float64], yb: npt.NDArray[np.float64], y0: int, height: int
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Per edge, a range of box rows holding every row it crosses (one row of
    slack each side: the exact test in ``_fill_band`` decides)."""
    lo = np.floor(np.minimum(ya, yb) - y0 - 0.5) - 1
    hi = np.ceil(np.maximum(ya, yb) - y0 - 0.5) + 1
    return np.clip(lo, 0, height).astype(np.int64), np.clip(hi, 0, height).astype(np.int64)


def _fill_band(
    edges: tuple[npt.NDArray[np.float64], ...],
    lo: npt.NDArray[np.int64],
    hi: npt.NDArray[np.int64],
    active: npt.NDArray[np.intp],
    first: int,
    last: int,
    x0: int,
    y0: int,
    width: int,
) -> npt.NDArray[np.bool_]:
    """Rows ``first:last`` of the mask, from the edges in ``active``."""
    xa, ya, xb, yb = edges
    start = np.maximum(lo[active], first)
    counts = np.minimum(hi[active], last) - start
    edge = np.repeat(active, counts)
    # Each candidate's row: its edge's first row plus its place in the edge's run.
    offsets = np.arange(edge.size) - np.repeat(np.cumsum(counts) - counts, counts)
    rows = np.repeat(start, counts) + offsets
    cy = (rows + y0).astype(np.float64) + 0.5
    ys = ya[edge]
    keep = (ys > cy) != (yb[edge] > cy)  # the rule's half-open test, exactly
    rows, edge, cy, ys = rows[keep], edge[keep], cy[keep], ys[keep]
    xs = xa[edge]
    x = xs + (cy - ys) * (xb[edge] - xs) / (yb[edge] - ys)
    # Centre px + 0.5 >= a  <=>  px >= ceil(a - 0.5), exactly (a - 0.5 is exact for
    # 0.25 <= a < 2**52, and below 0.25 no integer lies between a - 0.5 and its rounding).
    bounds = np.clip(np.ceil(x - 0.5) - x0, 0, width).astype(np.intp)
    cells = (rows - first) * (width + 1) + bounds
    size = (last - first) * (width + 1)
    # Pixel px is inside iff an odd number of crossings lie at or left of its
    # centre: the running parity of the toggles up to its column.
    toggles = (np.bincount(cells, minlength=size) & 1).astype(np.uint8)
    parity = np.bitwise_xor.accumulate(toggles.reshape(last - first, width + 1), axis=1)
    return parity[:, :width].astype(np.bool_)


def read_polygon(
    index: int, key: str, value: list[Any], size: tuple[int, int], diags: list[Diagnostic]
) -> list[list[tuple[float, float]]] | None:
    """Rings of pixel-space vertices from ``[[x, y], ...]`` or a list of such rings."""
    width, height = size
    rings_raw = value if value and isinstance(value[0], list) and _is_ring(value[0]) else [value]
    rings: list[list[tuple[float, float]]] = []
    clamped = False
    for ring in rings_raw:
        vertices = []
        if not isinstance(ring, list):
            ring = [ring]
        for vertex in ring:
            pair = [to_number(v) for v in vertex] if isinstance(vertex, list) else []
            if len(pair) != 2 or pair[0] is None or pair[1] is None:
                diags.append(
                    Diagnostic(
                        index,
                        "rejected",
                        "bad_polygon",
                        f"item {index}: {key} vertex {fmt(vertex)} is not an [x, y] pair of "
                        "numbers; kept without a mask",
                    )
                )
                return None
            x, y = min(max(pair[0], 0.0), 1000.0), min(max(pair[1], 0.0), 1000.0)
            clamped = clamped or (x, y) != (pair[0], pair[1])
            vertices.append((x / 1000 * width, y / 1000 * height))
        if len(vertices) < 3:
            diags.append(
                Diagnostic(
                    index,
                    "rejected",
                    "bad_polygon",
                    f"item {index}: a {key} ring has {len(vertices)} vertices (3 needed); "
                    "kept without a mask",
                )
            )
            return None
        rings.append(vertices)
    if clamped:
        diags.append(
            Diagnostic(
                index,
                "repaired",
                "clamped",
                f"item {index}: {key} vertices outside 0–1000 were clamped into it",
            )
        )
    return rings


def _is_ring(value: list[Any]) -> bool:
    return bool(value) and all(isinstance(v, list) for v in value)


def polygon_box(
    rings: list[list[tuple[float, float]]], size: tuple[int, int]
) -> tuple[int, int, int, int]:
    """The pixel box holding every pixel whose centre can be inside the polygon."""
    xs = [x for ring in rings for x, _ in ring]
    ys = [y for ring in rings for _, y in ring]
    width, height = size
    return (
        int(min(xs)),
        int(min(ys)),
        min(math.ceil(max(xs)), width),
        min(math.ceil(max(ys)), height),
    )
