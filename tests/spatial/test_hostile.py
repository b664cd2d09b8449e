"""Hostile answers (SPEC R1, R2, S4): parse never raises, never loses an item silently,
and stays inside its memory limits."""

from __future__ import annotations

import base64
import io
import json
import struct
import tracemalloc
import zlib
from typing import Any

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from gemini_vision import spatial
from gemini_vision.spatial import Limits

FRAGMENTS = [
    "[", "]", "{", "}", ",", ":", '"', "\\", "\\\"", " ", "\n", "```", "```json\n", "\n```",
    "~~~", '"box_2d"', '"bbox_2d"', '"point"', '"box_3d"', '"mask"', '"polygon"', '"label"',
    '"boxes"', '"items"', "[1, 2, 3, 4]", "[-5, 2000, 3, 4]", "[500, 500]", "NaN", "Infinity",
    "1e999", "-0", '"12"', "null", "true", '"data:image/png;base64,iVBORw0KGgo"',
    '"<seg_1>"', "[[0, 0], [1000, 0], [0, 1000]]", "Here is the JSON:", "חתול", "\u202e",
]  # fmt: skip

jsonish = st.lists(st.sampled_from(FRAGMENTS), max_size=60).map("".join)


def check_invariants(result: spatial.SpatialResult, size: tuple[int, int]) -> None:
    width, height = size
    for item in result.items:
        if item.box is not None:
            x0, y0, x1, y1 = item.box
            assert 0 <= x0 <= x1 <= width and 0 <= y0 <= y1 <= height
        if item.point is not None:
            assert 0 <= item.point[0] < width and 0 <= item.point[1] < height
        if item.mask is not None:
            assert item.mask.shape == (item.height, item.width)
    for diagnostic in result.diagnostics:
        assert diagnostic.message and diagnostic.action in ("rejected", "repaired", "note")


@given(text=st.text(max_size=400), size=st.tuples(st.integers(1, 64), st.integers(1, 64)))
def test_arbitrary_text_never_raises(text: str, size: tuple[int, int]) -> None:
    """Any string is an answer: items or diagnostics, never an exception."""
    check_invariants(spatial.parse(text, size), size)


@given(text=jsonish, size=st.tuples(st.integers(1, 64), st.integers(1, 64)))
def test_json_like_noise_never_raises(text: str, size: tuple[int, int]) -> None:
    """Brackets, quotes, fences, keys and odd numbers in any order: never an exception."""
    check_invariants(spatial.parse(text, size), size)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**20), 10**20) | st.floats() | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=5)
        | st.dictionaries(
            st.sampled_from(
                ["box_2d", "point", "box_3d", "mask", "polygon", "label", "confidence", "x"]
            ),
            children,
            max_size=4,
        )
    ),
    max_leaves=20,
)


@given(
    items=st.lists(json_values, max_size=8), size=st.tuples(st.integers(1, 64), st.integers(1, 64))
)
def test_every_item_is_kept_or_reported(items: list[Any], size: tuple[int, int]) -> None:
    """Arbitrary JSON items: each index of the list is an item or has a diagnostic."""
    text = json.dumps(items)  # NaN and Infinity included
    result = spatial.parse(text, size)
    check_invariants(result, size)
    kept = {item.index for item in result.items}
    reported = {d.index for d in result.diagnostics if d.index is not None}
    assert kept | reported == set(range(len(items)))


def png_bytes(width: int, height: int, mode: str = "L") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, (width, height)).save(buffer, "PNG")
    return buffer.getvalue()


def lying_png(width: int, height: int) -> bytes:
    """A PNG whose header declares width x height but whose data is a few bytes."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + chunk(b"IEND", b"")
    )


def answer_with(pngs: list[bytes], box: list[int] | None = None) -> str:
    items = [
        {"box_2d": box or [0, 0, 1000, 1000], "label": str(i), "mask": base64.b64encode(p).decode()}
        for i, p in enumerate(pngs)
    ]
    return json.dumps(items)


def peak_bytes(call: Any) -> tuple[Any, int]:
    tracemalloc.start()
    try:
        value = call()
        return value, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_png_header_over_the_pixel_limit_is_refused_before_decoding() -> None:
    """A 100000 x 100000 header is refused; nothing near its size is allocated."""
    text = answer_with([lying_png(100_000, 100_000)])
    result, peak = peak_bytes(lambda: spatial.parse(text, (64, 64)))
    (item,) = result.items
    assert item.kind == "box" and item.mask is None
    assert [d.code for d in result.diagnostics] == ["mask_png"]
    assert peak < 8 << 20


def test_decompression_bomb_is_refused_by_the_pixel_limit() -> None:
    """A small PNG of 3000 x 3000 zeros over a 1000 x 1000 limit is not decoded."""
    bomb = png_bytes(3000, 3000)
    assert len(bomb) < 100_000
    result = spatial.parse(answer_with([bomb]), (64, 64), limits=Limits(max_png_pixels=1000 * 1000))
    assert result.items[0].mask is None
    assert [d.code for d in result.diagnostics] == ["mask_png"]


def test_mask_pixels_per_response_are_bounded() -> None:
    """50 full-image masks on a 20000 x 20000 image: none exceeds the response's pixel budget."""
    text = answer_with([png_bytes(1, 1)] * 50)
    result, peak = peak_bytes(lambda: spatial.parse(text, (20_000, 20_000)))
    assert all(item.mask is None for item in result.items)
    assert [d.code for d in result.diagnostics] == ["limit"] * 50
    assert "limit of 134217728 mask pixels" in result.diagnostics[0].message
    assert peak < 8 << 20


def test_decoded_bytes_per_response_are_bounded() -> None:
    """Masks past the decoded-bytes budget are skipped, each with a diagnostic."""
    png = png_bytes(40, 40, "RGB")
    limit = len(png) * 2 + 16
    result = spatial.parse(answer_with([png] * 5), (40, 40), limits=Limits(max_decoded_bytes=limit))
    assert [item.mask is not None for item in result.items] == [True, True, False, False, False]
    assert [(d.index, d.code) for d in result.diagnostics] == [
        (2, "limit"),
        (3, "limit"),
        (4, "limit"),
    ]


@given(
    sides=st.lists(st.tuples(st.integers(1, 80), st.integers(1, 80)), min_size=1, max_size=6),
    size=st.tuples(st.integers(1, 200), st.integers(1, 200)),
    boxes=st.lists(
        st.lists(st.integers(-100, 1100), min_size=4, max_size=4), min_size=6, max_size=6
    ),
)
def test_limits_hold_for_any_answer(
    sides: list[tuple[int, int]], size: tuple[int, int], boxes: list[list[int]]
) -> None:
    """Under small limits, the kept masks never add up to more than allowed."""
    limits = Limits(max_decoded_bytes=600, max_png_pixels=2000, max_mask_pixels=5000)
    items = [
        {"box_2d": box, "mask": base64.b64encode(png_bytes(w, h)).decode()}
        for (w, h), box in zip(sides, boxes, strict=False)
    ]
    result = spatial.parse(json.dumps(items), size, limits=limits)
    check_invariants(result, size)
    assert sum(item.mask.size for item in result.segments) <= limits.max_mask_pixels
    for item in result.items:
        w, h = sides[item.index]
        if w * h > limits.max_png_pixels and item.width * item.height > 0:
            assert item.mask is None
    assert all(isinstance(item.mask, np.ndarray) for item in result.segments)
