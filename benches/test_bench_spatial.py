"""One segmentation answer with 50 masks, decoded to pixels (issue 3, SPEC M4-M7).

Each mask is a 256x256 grey PNG (a soft-edged blob, as the model sends) whose
box covers about 10% of the image; the image is 1920x1080 and 4000x3000.

- ``reference``: the guide's procedure: PIL decode, Pillow resize, NumPy
  ``> 127``, each mask pasted into its own full-frame array.
- ``opencv``: a box-local OpenCV pipeline (``cv2.imdecode``, ``cv2.resize``
  INTER_LINEAR, ``> 127``) on one thread; its resize does not anti-alias like
  Pillow's, so its masks differ ("exact": False). Skipped without ``cv2`` (the
  ``bench`` extra).
- ``rust-1``/``rust-all``, ``numpy-1``: ``masks.decode_masks`` on one thread and
  on every core (box-local masks, Pillow-exact).
- ``parse-1``/``parse-all``: ``spatial.parse`` of the model's whole text (fenced
  JSON, 50 items, their masks) on one thread and on every core: what a user
  times. The probability maps are not made (they are made when first read).

The overlay group composites the 50 masks onto the image: Pillow's
``alpha_composite`` of full-frame layers against ``masks.overlay``.

Run as tests (``--benchmark-disable``) every exact implementation is checked
against the reference.
"""

from __future__ import annotations

import base64
import importlib.util
import io
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from types import ModuleType
from typing import Any

import numpy as np
import pytest
from PIL import Image
from pytest_benchmark.fixture import BenchmarkFixture
from tests.conftest import NUMPY, RUST

from gemini_vision import masks, spatial
from gemini_vision.masks import pipeline as masks_pipeline

ORDER = masks.installed_pillow_order()
HAVE_CV2 = importlib.util.find_spec("cv2") is not None
N_MASKS = 50
IMAGES = [(1920, 1080), (4000, 3000)]  # (width, height)

Item = tuple[str, tuple[int, int, int, int]]


def _blob_png(rng: np.random.Generator) -> str:
    """A 256x256 probability map: an ellipse with a soft, slightly wavy edge, as base64 PNG."""
    yy, xx = np.mgrid[0:256, 0:256] / 255.0
    cy, cx = rng.uniform(0.35, 0.65, size=2)
    ry, rx = rng.uniform(0.2, 0.45, size=2)
    d = ((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2
    wave = 0.08 * np.sin(np.arctan2(yy - cy, xx - cx) * rng.integers(3, 9))
    p = (1.0 + wave - d) * 600
    buf = io.BytesIO()
    Image.fromarray(np.clip(p, 0, 255).astype(np.uint8), "L").save(buf, "PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


@cache
def model_answer(width: int, height: int) -> str:
    """The model's text: 50 ``box_2d``/``mask`` objects, boxes ~10% of the image area."""
    rng = np.random.default_rng(width * height)
    objects = []
    for i in range(N_MASKS):
        bw, bh = (int(316 * rng.uniform(0.8, 1.2)) for _ in range(2))
        x0, y0 = int(rng.integers(0, 1000 - bw)), int(rng.integers(0, 1000 - bh))
        box_2d = [y0, x0, y0 + bh, x0 + bw]
        objects.append({"box_2d": box_2d, "mask": _blob_png(rng), "label": f"object {i}"})
    return "```json\n" + json.dumps(objects) + "\n```"


@cache
def answer(width: int, height: int) -> list[Item]:
    """The answer's 50 (base64 PNG, pixel box) items, by the guide's conversion."""
    items = []
    for obj in json.loads(model_answer(width, height).strip("`").removeprefix("json")):
        y0, x0, y1, x1 = obj["box_2d"]
        box = (int(x0 / 1000 * width), int(y0 / 1000 * height))
        end = (int(x1 / 1000 * width), int(y1 / 1000 * height))
        items.append((obj["mask"], (*box, *end)))
    return items


def reference(items: list[Item], width: int, height: int) -> list[np.ndarray]:
    """The guide's procedure (with its bugs fixed): one full-frame bool mask per item."""
    out = []
    for data, (x0, y0, x1, y1) in items:
        png = base64.b64decode(data.removeprefix("data:image/png;base64,"))
        mask = Image.open(io.BytesIO(png)).convert("L")
        mask = mask.resize((x1 - x0, y1 - y0), Image.Resampling.BILINEAR)
        full = np.zeros((height, width), dtype=bool)
        full[y0:y1, x0:x1] = np.array(mask) > 127
        out.append(full)
    return out


@cache
def _reference_masks(width: int, height: int) -> list[np.ndarray]:
    """The reference's output, computed once per image size for the exactness checks."""
    return reference(answer(width, height), width, height)


def opencv(items: list[Item], width: int, height: int) -> list[np.ndarray]:
    """Box-local OpenCV: imdecode, INTER_LINEAR resize, threshold."""
    import cv2

    out = []
    for data, (x0, y0, x1, y1) in items:
        png = np.frombuffer(base64.b64decode(data.split(",", 1)[1]), np.uint8)
        grey = cv2.imdecode(png, cv2.IMREAD_GRAYSCALE)
        out.append(cv2.resize(grey, (x1 - x0, y1 - y0), interpolation=cv2.INTER_LINEAR) > 127)
    return out


def _ours(kernels: ModuleType, threads: int) -> Callable[[list[Item], int, int], Any]:
    def run(items: list[Item], width: int, height: int) -> list[np.ndarray]:
        data = [d.encode() for d, _ in items]
        boxes = np.array([b for _, b in items], dtype=np.int64)
        n = len(items)
        raw = kernels.decode_masks(
            data,
            boxes,
            np.full(n, 127, np.int32),
            np.full(n, ORDER, np.int64),
            4096 * 4096,
            False,
            None,
            threads,
        )
        return [mask for _, _, mask, _, _ in raw]

    return run


def _parse(kernels: ModuleType, threads: int | None) -> Callable[[list[Item], int, int], Any]:
    """``spatial.parse`` of the model's text (JSON, items, masks) under ``kernels``."""

    def run(items: list[Item], width: int, height: int) -> list[np.ndarray]:
        text = model_answer(width, height)
        with _backend(kernels):
            result = spatial.parse(text, (width, height), pillow=ORDER, threads=threads)
        return [item.mask for item in result.items]

    return run


@contextmanager
def _backend(kernels: ModuleType) -> Iterator[None]:
    """Point the mask pipeline's facade at ``kernels`` (Rust or NumPy) for the duration."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(masks_pipeline, "kernels", kernels)
        yield


def _implementation(name: str) -> Callable[[list[Item], int, int], Any]:
    if name == "reference":
        return reference
    if name == "opencv":
        if not HAVE_CV2:
            pytest.skip("cv2 is not installed (the 'bench' extra)")
        import cv2

        cv2.setNumThreads(1)
        return opencv
    if name.startswith(("rust", "parse")) and RUST is None:
        pytest.skip("the Rust extension is not built")
    if name.startswith("parse"):
        return _parse(RUST, 1 if name == "parse-1" else None)
    if name.startswith("rust"):
        return _ours(RUST, 1 if name == "rust-1" else 0)
    return _ours(NUMPY, 1)


IMPLS = ["reference", "opencv", "rust-1", "rust-all", "parse-1", "parse-all", "numpy-1"]


@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("size", IMAGES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_decode_50_masks(benchmark: BenchmarkFixture, impl: str, size: tuple[int, int]) -> None:
    width, height = size
    if impl == "numpy-1" and width > 2000:
        pytest.skip("the NumPy fallback is timed on the small image only (CI time)")
    benchmark.group = f"50 masks on {width}x{height}"
    benchmark.extra_info["impl"] = impl
    benchmark.extra_info["exact"] = impl != "opencv"
    items = answer(width, height)
    run = _implementation(impl)
    out = benchmark.pedantic(run, args=(items, width, height), rounds=5, warmup_rounds=1)
    assert len(out) == N_MASKS
    if impl not in ("reference", "opencv"):
        expected = _reference_masks(width, height)
        for full, local, (_, (x0, y0, x1, y1)) in zip(expected, out, items, strict=True):
            np.testing.assert_array_equal(local, full[y0:y1, x0:x1])
            assert full.sum() == local.sum()


@cache
def _overlay_case(
    width: int, height: int
) -> tuple[np.ndarray, list[np.ndarray], list[tuple[int, int]]]:
    """The image and the 50 decoded box-local masks with their offsets."""
    items = answer(width, height)
    ms = _ours(RUST if RUST is not None else NUMPY, 0)(items, width, height)
    offsets = [(b[0], b[1]) for _, b in items]
    image = np.random.default_rng(1).integers(0, 256, size=(height, width, 3), dtype=np.uint8)
    return image, ms, offsets


COLOURS = [((37 * i) % 256, (91 * i) % 256, (151 * i) % 256) for i in range(N_MASKS)]


def pillow_overlay(
    image: np.ndarray, ms: list[np.ndarray], offsets: list[tuple[int, int]]
) -> np.ndarray:
    """The guide's overlay: a full-frame RGBA layer per mask, ``Image.alpha_composite`` each."""
    h, w, _ = image.shape
    base = Image.fromarray(image, "RGB").convert("RGBA")
    for m, (x0, y0), colour in zip(ms, offsets, COLOURS, strict=True):
        layer = np.zeros((h, w, 4), dtype=np.uint8)
        layer[y0 : y0 + m.shape[0], x0 : x0 + m.shape[1]][m] = (*colour, 128)
        base = Image.alpha_composite(base, Image.fromarray(layer, "RGBA"))
    return np.asarray(base.convert("RGB"))


@pytest.mark.parametrize("impl", ["pillow", "rust", "numpy"])
@pytest.mark.parametrize("size", IMAGES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_overlay_50_masks(benchmark: BenchmarkFixture, impl: str, size: tuple[int, int]) -> None:
    width, height = size
    benchmark.group = f"overlay 50 masks on {width}x{height} RGB"
    benchmark.extra_info["impl"] = impl
    benchmark.extra_info["exact"] = True
    if impl == "numpy" and width > 2000:
        pytest.skip("the NumPy fallback is timed on the small image only (CI time)")
    image, ms, offsets = _overlay_case(width, height)
    if impl == "pillow":
        run: Callable[[], np.ndarray] = lambda: pillow_overlay(image, ms, offsets)  # noqa: E731
    else:
        kernels = RUST if impl == "rust" else NUMPY
        if kernels is None:
            pytest.skip("the Rust extension is not built")
        offs = np.array(offsets, dtype=np.int64)
        colours = np.array([(*c, 128) for c in COLOURS], dtype=np.uint8)

        def run() -> np.ndarray:
            out = image.copy()
            kernels.overlay(out, ms, offs, colours)
            return out

    out = benchmark.pedantic(run, rounds=3, warmup_rounds=1)
    if impl != "pillow":
        np.testing.assert_array_equal(out, _pillow_result(width, height))


@cache
def _pillow_result(width: int, height: int) -> np.ndarray:
    """Pillow's overlay, computed once per image size for the exactness checks."""
    return pillow_overlay(*_overlay_case(width, height))
