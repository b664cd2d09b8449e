"""Segmentation masks (SPEC S5): pixel for pixel equal to the guide's procedure with Pillow.

The reference below is the image-understanding guide's segmentation sample
(``extract_segmentation_masks``), with only its bugs fixed:

- it skipped masks without the ``data:image/png;base64,`` prefix (fixed: both accepted);
- it resized the PNG in whatever mode it was decoded in, so palette, RGB and
  alpha PNGs were resized in the wrong mode and then compared as arrays of
  channels (fixed: ``convert("L")`` first, as its text says: a grey probability map);
- values past 0–1000 put the box outside the image (fixed: clamped first);
- reversed boxes were skipped (fixed: corners sorted);
- it thresholded at ``> 128`` while its text says 127 (the threshold is a parameter here).
"""

from __future__ import annotations

import base64
import io
import json
import pickle
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

import gemini_vision._backend
from gemini_vision import masks, spatial

PILLOW = masks.installed_pillow_order()
MODES = ("1", "L", "LA", "P", "RGB", "RGBA", "I;16")


def guide_reference(
    items: list[dict[str, Any]], size: tuple[int, int], threshold: int
) -> list[tuple[np.ndarray, np.ndarray] | None]:
    """(mask, probabilities) per item by the guide's steps; None where its box is empty."""
    width, height = size
    out: list[tuple[np.ndarray, np.ndarray] | None] = []
    for item in items:
        box = [min(max(float(v), 0.0), 1000.0) for v in item["box_2d"]]
        y0 = int(box[0] / 1000 * height)
        x0 = int(box[1] / 1000 * width)
        y1 = int(box[2] / 1000 * height)
        x1 = int(box[3] / 1000 * width)
        y0, y1 = sorted((y0, y1))
        x0, x1 = sorted((x0, x1))
        if y0 >= y1 or x0 >= x1:
            out.append(None)
            continue
        png_str = item["mask"].removeprefix("data:image/png;base64,")
        mask = Image.open(io.BytesIO(base64.b64decode(png_str)))
        mask = mask.convert("L")
        mask = mask.resize((x1 - x0, y1 - y0), Image.Resampling.BILINEAR)
        mask_array = np.array(mask)
        out.append((mask_array > threshold, mask_array))
    return out


def png_base64(mode: str, width: int, height: int, seed: int, smooth: bool) -> str:
    """A PNG of the given mode with random (or smooth, mask-like) content."""
    rng = np.random.default_rng(seed)
    if smooth:
        yy, xx = np.mgrid[0:height, 0:width]
        cy, cx = rng.uniform(0, height), rng.uniform(0, width)
        radius = rng.uniform(1, max(width, height))
        grey = np.clip(255 * (1.5 - np.hypot(yy - cy, xx - cx) / radius), 0, 255).astype(np.uint8)
    else:
        grey = rng.integers(0, 256, (height, width), dtype=np.uint8)
    if mode == "1":
        image = Image.fromarray(grey > 127)
    elif mode == "L":
        image = Image.fromarray(grey, "L")
    elif mode == "LA":
        image = Image.fromarray(np.dstack([grey, rng.integers(0, 256, grey.shape, np.uint8)]), "LA")
    elif mode == "P":
        image = Image.fromarray(grey // 16, "P")
        image.putpalette(rng.integers(0, 256, 768, dtype=np.uint8).tobytes())
    elif mode == "I;16":
        # 16-bit grey: the high byte follows the mask, the low byte is noise.
        wide = (grey.astype(np.uint16) << 8) | rng.integers(0, 256, grey.shape, dtype=np.uint16)
        image = Image.fromarray(wide)
        assert image.mode == "I;16"
    else:
        channels = [grey, *(rng.integers(0, 256, grey.shape, np.uint8) for _ in mode[1:])]
        image = Image.fromarray(np.dstack(channels), mode)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


coordinate = st.one_of(
    st.integers(-300, 1300),
    st.floats(-300, 1300, allow_nan=False),
    st.sampled_from([0, 1, 999, 1000]),
)
mask_item = st.fixed_dictionaries(
    {
        "box_2d": st.lists(coordinate, min_size=4, max_size=4),
        "mode": st.sampled_from(MODES),
        "png_size": st.tuples(st.integers(1, 48), st.integers(1, 48)),
        "seed": st.integers(0, 2**32 - 1),
        "smooth": st.booleans(),
        "prefix": st.booleans(),
    }
)


def make_answer(specs: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    items = []
    for number, spec in enumerate(specs):
        data = png_base64(spec["mode"], *spec["png_size"], spec["seed"], spec["smooth"])
        items.append(
            {
                "box_2d": spec["box_2d"],
                "label": f"object {number}",
                "mask": ("data:image/png;base64," if spec["prefix"] else "") + data,
            }
        )
    return "```json\n" + json.dumps(items) + "\n```", items


@contextmanager
def backend(module: ModuleType) -> Iterator[None]:
    """Point every facade module's ``kernels`` at ``module`` for the duration."""
    active = gemini_vision._backend.kernels
    with pytest.MonkeyPatch.context() as patch:
        for name, loaded in list(sys.modules.items()):
            if name.startswith("gemini_vision.") and getattr(loaded, "kernels", None) is active:
                patch.setattr(loaded, "kernels", module)
        yield


def assert_matches_reference(
    result: spatial.SpatialResult, items: list[dict[str, Any]], threshold: int
) -> None:
    reference = guide_reference(items, result.image_size, threshold)
    assert [item.index for item in result.items] == list(range(len(items)))
    for item, expected in zip(result.items, reference, strict=True):
        assert item.kind == "segment"
        assert item.mask is not None and item.probabilities is not None
        assert item.mask.shape == (item.height, item.width)
        if expected is None:
            assert item.mask.size == 0
            assert any(d.code == "empty_box" for d in result.diagnostics_for(item.index))
            continue
        mask, probabilities = expected
        np.testing.assert_array_equal(item.probabilities, probabilities)
        np.testing.assert_array_equal(item.mask, mask)


@pytest.mark.pillow_compat
@given(
    specs=st.lists(mask_item, min_size=1, max_size=4),
    size=st.tuples(st.integers(1, 300), st.integers(1, 300)),
    threshold=st.sampled_from([127, 128, 0, 254, 255]),
)
def test_masks_equal_the_guides_procedure(
    specs: list[dict[str, Any]], size: tuple[int, int], threshold: int
) -> None:
    """Random boxes (out of range, reversed, tiny) and PNG modes: same pixels as Pillow."""
    text, items = make_answer(specs)
    result = spatial.parse(text, size, threshold=threshold, pillow=PILLOW)
    assert_matches_reference(result, items, threshold)


@given(
    specs=st.lists(mask_item, min_size=1, max_size=3),
    size=st.tuples(st.integers(1, 200), st.integers(1, 200)),
)
def test_both_backends_give_the_same_masks(
    rust_kernels: ModuleType,
    numpy_kernels: ModuleType,
    specs: list[dict[str, Any]],
    size: tuple[int, int],
) -> None:
    """parse under the Rust and the NumPy kernels: equal masks, maps and diagnostics."""
    text, _ = make_answer(specs)
    with backend(rust_kernels):
        fast = spatial.parse(text, size)
        fast_maps = [item.probabilities for item in fast.items]  # made on first read
    with backend(numpy_kernels):
        slow = spatial.parse(text, size)
        slow_maps = [item.probabilities for item in slow.items]
    assert fast.diagnostics == slow.diagnostics
    for a, b in zip(fast.items, slow.items, strict=True):
        np.testing.assert_array_equal(a.mask, b.mask)
    for a_map, b_map in zip(fast_maps, slow_maps, strict=True):
        np.testing.assert_array_equal(a_map, b_map)


def test_the_documented_sample_threshold_is_one_call_away() -> None:
    """threshold=128 reproduces the guide's code; 127 (default) its text."""
    grey = np.full((4, 4), 128, np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(grey, "L").save(buffer, "PNG")
    item = {"box_2d": [0, 0, 1000, 1000], "mask": base64.b64encode(buffer.getvalue()).decode()}
    text = json.dumps([item])
    assert spatial.parse(text, (4, 4)).items[0].mask.all()  # type: ignore[union-attr]
    assert not spatial.parse(text, (4, 4), threshold=128).items[0].mask.any()  # type: ignore[union-attr]


def test_empty_pixel_box_keeps_the_item_with_an_empty_mask() -> None:
    """A box thinner than a pixel: the item stays, its mask has a zero side, and a note says so."""
    text = json.dumps([{"box_2d": [100, 100, 101, 500], "mask": png_base64("L", 4, 4, 1, True)}])
    r = spatial.parse(text, (100, 100))
    (item,) = r.items
    assert item.kind == "segment" and item.box == (10, 10, 50, 10)
    assert item.mask is not None and item.mask.shape == (0, 40)
    assert [(d.index, d.code) for d in r.diagnostics] == [(0, "empty_box")]


@pytest.mark.parametrize(
    ("mask", "code", "fragment"),
    [
        ("data:image/png;base64,!!!!", "mask_base64", "not valid base64"),
        ("data:image/png;base64,QUJD", "mask_png", "cannot be decoded"),
        ("data:image/jpeg;base64,QUJD", "mask_type", "not a 'data:image/png;base64,' PNG"),
        (12, "mask_type", "mask is a number"),
    ],
)
def test_undecodable_masks_keep_the_box(mask: Any, code: str, fragment: str) -> None:
    """Bad base64, bytes that are not PNG, other MIME types: a box remains, with a reason."""
    r = spatial.parse(json.dumps([{"box_2d": [0, 0, 500, 500], "mask": mask}]), (10, 10))
    (item,) = r.items
    assert item.kind == "box" and item.mask is None and item.box == (0, 0, 5, 5)
    (diag,) = r.diagnostics
    assert (diag.index, diag.code) == (0, code)
    assert fragment in diag.message


def test_base64_with_line_breaks_and_missing_padding_is_accepted() -> None:
    """Wrapped base64 lines and dropped '=' padding still decode."""
    data = png_base64("L", 5, 3, 7, False).rstrip("=")
    wrapped = "\n".join(data[i : i + 20] for i in range(0, len(data), 20))
    r = spatial.parse(json.dumps([{"box_2d": [0, 0, 1000, 1000], "mask": wrapped}]), (5, 3))
    assert r.items[0].kind == "segment" and r.diagnostics == ()


def test_polygon_masks_follow_the_stated_rule() -> None:
    """A polygon [[x, y], ...] in 0–1000 is filled by pixel centres, even-odd (see polygon.py)."""
    polygon = [[100, 100], [900, 100], [900, 700], [100, 700]]
    r = spatial.parse(json.dumps([{"polygon": polygon, "label": "sq"}]), (10, 10))
    (item,) = r.items
    assert item.kind == "segment" and item.mask_source == "polygon"
    assert item.box == (1, 1, 9, 7)
    assert item.mask is not None and item.mask.all()


def reference_polygon(
    rings: list[list[tuple[float, float]]], box: tuple[int, int, int, int]
) -> np.ndarray:
    """Per-pixel even-odd test of each pixel centre (scalar, independent of polygon.py)."""
    x0, y0, x1, y1 = box
    out = np.zeros((y1 - y0, x1 - x0), dtype=bool)
    for py in range(y0, y1):
        cy = py + 0.5
        for px in range(x0, x1):
            cx = px + 0.5
            inside = False
            for ring in rings:
                for k, (xa, ya) in enumerate(ring):
                    xb, yb = ring[(k + 1) % len(ring)]
                    if (ya > cy) != (yb > cy):
                        x = xa + (cy - ya) * (xb - xa) / (yb - ya)
                        if x > cx:
                            inside = not inside
            out[py - y0, px - x0] = inside
    return out


vertex = st.tuples(st.integers(-100, 1100), st.integers(-100, 1100))


@given(
    rings=st.lists(st.lists(vertex, min_size=3, max_size=7), min_size=1, max_size=2),
    size=st.tuples(st.integers(1, 40), st.integers(1, 40)),
    with_box=st.booleans(),
)
def test_polygon_rasterization_matches_a_per_pixel_reference(
    rings: list[list[tuple[int, int]]], size: tuple[int, int], with_box: bool
) -> None:
    """Random (self-intersecting, out-of-range, multi-ring) polygons: same pixels."""
    width, height = size
    raw: dict[str, Any] = {"mask": [[list(v) for v in ring] for ring in rings]}
    if with_box:
        raw["box_2d"] = [0, 0, 1000, 1000]
    r = spatial.parse(json.dumps([raw]), size)
    (item,) = r.items
    pixel_rings = [
        [
            (min(max(x, 0), 1000) / 1000 * width, min(max(y, 0), 1000) / 1000 * height)
            for x, y in ring
        ]
        for ring in rings
    ]
    assert item.box is not None and item.mask is not None
    np.testing.assert_array_equal(item.mask, reference_polygon(pixel_rings, item.box))
    # Nothing inside the polygon falls outside the box chosen for it.
    full = reference_polygon(pixel_rings, (0, 0, width, height))
    assert int(full.sum()) == int(item.mask.sum())


def test_probability_maps_are_made_only_when_read_and_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """parse takes the contour path; the first read of ``probabilities`` makes the map, once."""
    rng = np.random.default_rng(5)
    specs = [{"box_2d": [100, 100, 900, 800]}, {"box_2d": [0, 0, 500, 500]}]
    for spec in specs:
        buffer = io.BytesIO()
        Image.fromarray(rng.integers(0, 256, (9, 7), dtype=np.uint8), "L").save(buffer, "PNG")
        spec["mask"] = base64.b64encode(buffer.getvalue()).decode()
    calls: list[bool] = []
    real = masks.decode_masks

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append(bool(kwargs.get("want_probabilities", False)))
        return real(*args, **kwargs)

    monkeypatch.setattr(masks, "decode_masks", counting)
    result = spatial.parse(json.dumps(specs), (64, 48))
    assert calls == [False]  # one call for the masks, without the maps
    first = result.items[0]
    made = first.probabilities
    assert calls == [False, True]
    assert first.probabilities is made  # kept: the second read makes nothing
    assert calls == [False, True]
    assert_matches_reference(result, specs, 127)
    # An item travels (Dask, Spark, multiprocessing) with its map still to be made.
    copy = pickle.loads(pickle.dumps(result.items[1]))
    np.testing.assert_array_equal(copy.probabilities, result.items[1].probabilities)
    # A map given to the constructor is kept as given.
    given_map = np.zeros((2, 2), np.uint8)
    assert spatial.SpatialItem(0, "segment", "", probabilities=given_map).probabilities is given_map
    assert spatial.SpatialItem(0, "box", "").probabilities is None
