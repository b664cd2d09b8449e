"""Every cost bounded and linear (SPEC R2).

* Polygon rasterisation is a scanline over edge-row crossings (no per-row sort,
  no edges x rows table); it must give exactly the pixels of the rule's direct
  form, kept here as the reference: per row, sort the crossings and fill
  between pairs (the implementation before the change).
* ``Limits`` caps answer bytes, items per answer, vertices per polygon and mask
  pixels per response; each cap, when hit, is a ``limit`` diagnostic.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from hypothesis import given
from hypothesis import strategies as st

from gemini_vision import spatial
from gemini_vision.spatial import Limits
from gemini_vision.spatial.polygon import rasterize


def reference_rasterize(
    rings: list[list[tuple[float, float]]], box: tuple[int, int, int, int]
) -> npt.NDArray[np.bool_]:
    """The rule of ``spatial/polygon.py`` row by row: sorted crossings, filled in pairs."""
    x0, y0, x1, y1 = box
    width, height = max(x1 - x0, 0), max(y1 - y0, 0)
    out = np.zeros((height, width), dtype=np.bool_)
    edges = [
        (ring[i], ring[(i + 1) % len(ring)])
        for ring in rings
        for i in range(len(ring))
        if ring[i][1] != ring[(i + 1) % len(ring)][1]
    ]
    for r in range(height):
        cy = float(r + y0) + 0.5
        xs = sorted(
            xa + (cy - ya) * (xb - xa) / (yb - ya)
            for (xa, ya), (xb, yb) in edges
            if (ya > cy) != (yb > cy)
        )
        for lo, hi in zip(xs[::2], xs[1::2], strict=True):
            a = min(max(int(np.ceil(lo - 0.5)) - x0, 0), width)
            b = min(max(int(np.ceil(hi - 0.5)) - x0, 0), width)
            out[r, a:b] = True
    return out


coordinate = st.one_of(
    st.integers(-5, 60).map(float),
    st.floats(-5, 60, allow_nan=False).map(lambda v: round(v, 1)),
    st.floats(-5, 60, allow_nan=False),
    st.sampled_from([0.5, 1.5, 2.25, 10.5, 0.0]),
)
ring = st.lists(st.tuples(coordinate, coordinate), min_size=3, max_size=14)


@given(
    rings=st.lists(ring, min_size=1, max_size=3),
    x0=st.integers(-6, 20),
    y0=st.integers(-6, 20),
    w=st.integers(0, 45),
    h=st.integers(0, 45),
)
def test_scanline_equals_the_sorted_crossings_rule(
    rings: list[list[tuple[float, float]]], x0: int, y0: int, w: int, h: int
) -> None:
    box = (x0, y0, x0 + w, y0 + h)
    np.testing.assert_array_equal(rasterize(rings, box), reference_rasterize(rings, box))


def test_a_comb_crossing_every_row() -> None:
    """Every edge crosses every row: the case that was edges x rows with a sort per row."""
    teeth = 200
    ring = [(x * 0.5, 0.0 if x % 2 == 0 else 79.5) for x in range(2 * teeth)] + [(0.0, 90.0)]
    box = (0, 0, 2 * teeth // 2 + 1, 80)
    np.testing.assert_array_equal(rasterize([ring], box), reference_rasterize([ring], box))


def _codes(result: spatial.SpatialResult) -> list[str]:
    return [d.code for d in result.diagnostics]


def test_polygon_vertex_cap() -> None:
    polygon = [[10 + i % 7, 10 + i] for i in range(40)]
    text = '[{"polygon": ' + str(polygon) + ', "label": "p"}]'
    assert spatial.parse(text, (100, 100)).items[0].mask is not None
    capped = spatial.parse(text, (100, 100), limits=Limits(max_polygon_vertices=39))
    assert capped.items[0].mask is None and "limit" in _codes(capped)
    assert "more than the limit of 39" in str(capped.diagnostics)


def test_items_per_answer_cap() -> None:
    text = "[" + ", ".join('{"point": [500, 500], "label": "x"}' for _ in range(30)) + "]"
    result = spatial.parse(text, (10, 10), limits=Limits(max_items=12))
    assert len(result.items) == 12 and _codes(result).count("limit") == 1


def test_answer_bytes_cap() -> None:
    items = ", ".join(f'{{"point": [{i}, 500], "label": "é"}}' for i in range(200))
    text = f"[{items}]"
    result = spatial.parse(text, (10, 10), limits=Limits(max_answer_bytes=1000))
    assert 0 < len(result.items) < 200 and "limit" in _codes(result)
    assert "more than the limit of 1000" in str(result.diagnostics)


def test_mask_pixels_cap() -> None:
    polygon = [[0, 0], [1000, 0], [1000, 1000]]
    text = '[{"polygon": ' + str(polygon) + ', "label": "p"}]'
    result = spatial.parse(text, (100, 100), limits=Limits(max_mask_pixels=100))
    assert result.items[0].mask is None and "limit" in _codes(result)


def test_the_batch_lane_leaves_capped_answers_to_the_general_parser() -> None:
    import pytest

    pytest.importorskip("pyarrow")
    from gemini_vision import batch

    text = "[" + ", ".join('{"box_2d": [0, 0, 500, 500], "label": "x"}' for _ in range(30)) + "]"
    rows = batch.process(
        [{"width": 4, "height": 4, "text": text}], limits=Limits(max_items=5)
    ).to_pylist()
    assert len([r for r in rows if r["item"] is not None]) == 5
    assert any(d["code"] == "limit" for r in rows for d in r["diagnostics"])
