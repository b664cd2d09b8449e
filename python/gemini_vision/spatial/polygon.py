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

import numpy as np
import numpy.typing as npt

__all__ = ["rasterize"]

# Rows handled per step, so the (edges x rows) crossing table stays small.
_CELLS_PER_STEP = 1 << 20


def rasterize(
    rings: list[list[tuple[float, float]]], box: tuple[int, int, int, int]
) -> npt.NDArray[np.bool_]:
    """The box-local mask of a polygon (pixel-space rings) by the rule above.

    Args:
        rings: closed rings of ``(x, y)`` vertices in pixels (the last vertex
            connects back to the first).
        box: ``(x0, y0, x1, y1)``; the result has shape ``(y1 - y0, x1 - x0)``.

    >>> rasterize([[(0.0, 0.0), (2.0, 0.0), (0.0, 2.0)]], (0, 0, 2, 2)).tolist()
    [[True, False], [False, False]]
    """
    x0, y0, x1, y1 = box
    width, height = max(x1 - x0, 0), max(y1 - y0, 0)
    out = np.zeros((height, width), dtype=np.bool_)
    if width == 0 or height == 0:
        return out
    xa, ya, xb, yb = _edges(rings)
    if xa.size == 0:
        return out
    rows_per_step = max(1, _CELLS_PER_STEP // xa.size)
    for first in range(0, height, rows_per_step):
        rows = np.arange(first, min(first + rows_per_step, height))
        cy = (rows + y0).astype(np.float64) + 0.5
        _fill_rows(out, rows, cy, xa, ya, xb, yb, x0, width)
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


def _fill_rows(
    out: npt.NDArray[np.bool_],
    rows: npt.NDArray[np.int64],
    cy: npt.NDArray[np.float64],
    xa: npt.NDArray[np.float64],
    ya: npt.NDArray[np.float64],
    xb: npt.NDArray[np.float64],
    yb: npt.NDArray[np.float64],
    x0: int,
    width: int,
) -> None:
    """Fill the spans between sorted crossing pairs of each row in ``rows``."""
    cyc = cy[:, None]
    crosses = (ya[None, :] > cyc) != (yb[None, :] > cyc)
    with np.errstate(invalid="ignore", divide="ignore"):
        x = xa[None, :] + (cyc - ya[None, :]) * (xb - xa)[None, :] / (yb - ya)[None, :]
    x = np.where(crosses, x, np.inf)
    x.sort(axis=1)
    # Centre px + 0.5 >= a  <=>  px >= ceil(a - 0.5), exactly (a - 0.5 is exact for
    # 0.25 <= a < 2**52, and below 0.25 no integer lies between a - 0.5 and its rounding).
    bounds = np.clip(np.ceil(x - 0.5) - x0, 0, width)
    pairs = int(crosses.sum(axis=1).max()) // 2
    # +1 where a span starts, -1 where it ends; the running sum marks the inside.
    steps = np.zeros((rows.size, width + 1), dtype=np.int32)
    line = np.arange(rows.size)
    for k in range(pairs):
        lo, hi = bounds[:, 2 * k], bounds[:, 2 * k + 1]
        valid = np.isfinite(hi) & (hi > lo)
        np.add.at(steps, (line[valid], lo[valid].astype(np.intp)), 1)
        np.add.at(steps, (line[valid], hi[valid].astype(np.intp)), -1)
    out[rows] = np.cumsum(steps[:, :width], axis=1) > 0
