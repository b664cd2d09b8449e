"""The batch mask kernel ``png_masks_to_rle``: Rust and NumPy vs Pillow + pycocotools."""

from __future__ import annotations

import base64
import io
from types import ModuleType

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from gemini_vision import errors
from tests.batch_records import png_pool

coco_mask = pytest.importorskip("pycocotools.mask")
pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")

TEXTS = [p.encode() for p in png_pool(count=12, size=24)]


def reference(
    text: bytes, box: tuple[int, int, int, int], frame: tuple[int, int], t: int
) -> tuple[None, str, int]:
    """The guide's procedure with Pillow, then pycocotools on the full frame."""
    x0, y0, x1, y1 = box
    image = Image.open(io.BytesIO(base64.b64decode(text))).convert("L")
    grey = image.resize((x1 - x0, y1 - y0), Image.Resampling.BILINEAR)
    full = np.zeros(frame, dtype=np.uint8, order="F")
    full[y0:y1, x0:x1] = np.asarray(grey) > t
    rle = coco_mask.encode(full)
    return None, rle["counts"].decode(), int(coco_mask.area(rle))


@st.composite
def jobs(draw: st.DrawFn) -> tuple[list[bytes], np.ndarray, np.ndarray]:
    n = draw(st.integers(0, 6))
    texts, boxes, frames = [], [], []
    for _ in range(n):
        h, w = draw(st.integers(1, 60)), draw(st.integers(1, 60))
        x0, y0 = draw(st.integers(0, w - 1)), draw(st.integers(0, h - 1))
        x1, y1 = draw(st.integers(x0 + 1, w)), draw(st.integers(y0 + 1, h))
        texts.append(draw(st.sampled_from(TEXTS)))
        boxes.append((x0, y0, x1, y1))
        frames.append((h, w))
    return (
        texts,
        np.array(boxes, np.int64).reshape(-1, 4),
        np.array(frames, np.int64).reshape(-1, 2),
    )


@given(
    work=jobs(), t=st.sampled_from([-1, 0, 100, 127, 200, 255]), threads=st.sampled_from([0, 1, 2])
)
def test_masks_equal_pillow_and_pycocotools(
    kernels: ModuleType, work: tuple[list[bytes], np.ndarray, np.ndarray], t: int, threads: int
) -> None:
    """Each result is pycocotools' RLE of the Pillow-made mask, whatever the thread count."""
    texts, boxes, frames = work
    out = kernels.png_masks_to_rle(texts, boxes, frames, t, 13, 1 << 20, threads)
    expected = [
        reference(text, tuple(box), tuple(frame), t)
        for text, box, frame in zip(texts, boxes.tolist(), frames.tolist(), strict=True)
    ]
    assert out == expected


def test_failures_come_back_in_place_with_the_same_class_and_message(
    rust_kernels: ModuleType, numpy_kernels: ModuleType
) -> None:
    """Bad base64, a cut PNG, a pixel limit and an empty box fail alone; backends agree."""
    good = TEXTS[0]
    cut = base64.b64encode(base64.b64decode(good)[:40])
    texts = [good, cut, good, b"%%%%", b"data:image/png;base64," + good]
    boxes = np.array(
        [[0, 0, 4, 4], [0, 0, 4, 4], [2, 2, 2, 5], [0, 0, 1, 1], [1, 1, 3, 3]], np.int64
    )
    frames = np.full((5, 2), 8, np.int64)
    results = [
        k.png_masks_to_rle(texts, boxes, frames, 127, 13, 1 << 20, 0)
        for k in (rust_kernels, numpy_kernels)
    ]
    assert results[0] == results[1]
    out = results[0]
    assert out[0] == reference(good, (0, 0, 4, 4), (8, 8), 127)
    assert out[4] == reference(good, (1, 1, 3, 3), (8, 8), 127)
    assert [r[0] for r in out[1:4]] == ["MaskDecodeError", "KernelInputError", "MaskDecodeError"]
    assert "base64" in out[3][1]
    limited = [
        k.png_masks_to_rle([good], boxes[:1], frames[:1], 127, 13, 10, 1)
        for k in (rust_kernels, numpy_kernels)
    ]
    assert limited[0] == limited[1] and limited[0][0][0] == "PixelLimitError"
    assert issubclass(getattr(errors, limited[0][0][0]), errors.GeminiVisionError)


def test_bad_calls_raise(kernels: ModuleType) -> None:
    """Mismatched shapes, an unknown pillow or negative threads raise KernelInputError."""
    boxes, frames = np.zeros((1, 4), np.int64), np.ones((1, 2), np.int64)
    with pytest.raises(errors.KernelInputError, match="shape"):
        kernels.png_masks_to_rle([], boxes, frames, 127, 13, 100, 0)
    with pytest.raises(errors.KernelInputError, match="pillow"):
        kernels.png_masks_to_rle([TEXTS[0]], boxes, frames, 127, 11, 100, 0)
    with pytest.raises(errors.KernelInputError, match="threads"):
        kernels.png_masks_to_rle([TEXTS[0]], boxes, frames, 127, 13, 100, -1)


@given(text=st.binary(max_size=16).map(lambda b: bytes(b"AB+/= \n%="[x % 9] for x in b)))
def test_bad_base64_reads_the_same_in_both_backends(
    rust_kernels: ModuleType, numpy_kernels: ModuleType, text: bytes
) -> None:
    """Whatever is wrong with the base64, both backends name the same byte and position."""
    outcomes = []
    for k in (rust_kernels, numpy_kernels):
        try:
            outcomes.append(k.decode_base64(text))
        except errors.MaskDecodeError as exc:
            outcomes.append(str(exc))
    assert outcomes[0] == outcomes[1]
