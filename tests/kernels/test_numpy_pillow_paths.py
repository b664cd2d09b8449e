"""The NumPy fallback's shortcuts through Pillow, and what happens when one is not there.

The fallback lets Pillow's core write straight into NumPy arrays that an
``Image.frombuffer`` image shares (the resized mask) or that Pillow's core
maps itself (``PIL._imaging.map_buffer``: the decoded PNG's pixels). Were a
Pillow to copy the buffer instead, or to lack those core calls, each shortcut
must notice and take its plain path; here each is made to copy or made to refuse
its call, and every result must still be Pillow's own.
"""

from __future__ import annotations

import io
from types import ModuleType
from typing import Any

import numpy as np
import pytest
from PIL import Image

from gemini_vision import masks
from gemini_vision._numpy_kernels import png as numpy_png

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


#: The cases and Pillow's own answers, made before any fixture changes Pillow.
DECODED = [(data, _pillow_grey(data)) for data in _cases()]


@pytest.fixture(params=["shared", "copied"])
def frombuffer(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """``Image.frombuffer`` as installed, or made to return a copy of the image."""
    if request.param == "copied":
        real = Image.frombuffer

        def copying(*args: Any, **kwargs: Any) -> Image.Image:
            return real(*args, **kwargs).copy()

        monkeypatch.setattr(Image, "frombuffer", copying)
    return str(request.param)


@pytest.fixture(params=["mapped", "copied", "refused"])
def map_buffer(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Pillow's core ``map_buffer`` as installed, made to map a copy, or to refuse its call.

    (Removing it would break Pillow itself: ``Image.frombuffer`` calls it.)
    """
    from PIL import _imaging

    real = _imaging.map_buffer
    if request.param == "copied":

        def copying(target: Any, *args: Any) -> Any:
            return real(np.array(target), *args)

        monkeypatch.setattr(_imaging, "map_buffer", copying)
    elif request.param == "refused":

        def refusing(*args: Any) -> Any:
            raise TypeError("map_buffer() takes other arguments in this Pillow")

        monkeypatch.setattr(_imaging, "map_buffer", refusing)
    return str(request.param)


@pytest.mark.pillow_compat
def test_decode_is_pillows_either_way(
    numpy_kernels: ModuleType, frombuffer: str, map_buffer: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if map_buffer == "mapped":  # every case is one Pillow decodes alone: no second inflate

        def inflate_again(*args: Any) -> bytes:
            raise AssertionError("the checked path ran")

        monkeypatch.setattr(numpy_png, "_inflate", inflate_again)
    for data, expected in DECODED:
        out = numpy_kernels.decode_png(data, LIMIT)
        np.testing.assert_array_equal(out, expected)
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
