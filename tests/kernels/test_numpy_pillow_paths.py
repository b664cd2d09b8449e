"""The NumPy fallback's shortcuts through Pillow, and what happens when one is not there.

The fallback lets Pillow's core write straight into NumPy arrays that an
``Image.frombuffer`` image shares (the decoded PNG rows, the resized mask).
Were a Pillow to copy the buffer instead, each shortcut must notice and take
its plain path; here ``Image.frombuffer`` is made to copy, and every result
must still be Pillow's own.
"""

from __future__ import annotations

import io
from types import ModuleType
from typing import Any

import numpy as np
import pytest
from PIL import Image

from gemini_vision import masks

LIMIT = 1 << 24


def _png(array: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(array).save(buf, "PNG")
    return buf.getvalue()


def _cases() -> list[bytes]:
    rng = np.random.default_rng(7)
    grey = rng.integers(0, 256, (37, 53), dtype=np.uint8)
    rgb = rng.integers(0, 256, (21, 9, 3), dtype=np.uint8)
    palette = Image.fromarray(grey).convert("P", palette=Image.Palette.ADAPTIVE, colors=17)
    buf = io.BytesIO()
    palette.save(buf, "PNG")
    return [_png(grey), _png(rgb), buf.getvalue(), _png(grey[:1, :1])]


def _pillow_grey(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("L"))


@pytest.fixture(params=["shared", "copied"])
def frombuffer(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """``Image.frombuffer`` as installed, or made to return a copy of the image."""
    if request.param == "copied":
        real = Image.frombuffer

        def copying(*args: Any, **kwargs: Any) -> Image.Image:
            return real(*args, **kwargs).copy()

        monkeypatch.setattr(Image, "frombuffer", copying)
    return str(request.param)


def test_decode_is_pillows_either_way(numpy_kernels: ModuleType, frombuffer: str) -> None:
    for data in _cases():
        out = numpy_kernels.decode_png(data, LIMIT)
        np.testing.assert_array_equal(out, _pillow_grey(data))
        assert out.flags.writeable


def test_resize_is_pillows_either_way(numpy_kernels: ModuleType, frombuffer: str) -> None:
    order = masks.installed_pillow_order()
    mask = np.random.default_rng(3).integers(0, 256, (40, 30), dtype=np.uint8)
    for width, height in ((61, 47), (7, 5), (1, 1)):
        expected = np.asarray(Image.fromarray(mask).resize((width, height), Image.BILINEAR))
        out = numpy_kernels.resize_bilinear(mask, width, height, order)
        np.testing.assert_array_equal(out, expected)
        assert out.flags.writeable
        bits = numpy_kernels.resize_bilinear_threshold(mask, width, height, 100, order)
        np.testing.assert_array_equal(bits, expected > 100)
