"""Findings of the structure-aware PNG fuzzer (fuzz/png_struct.py), as regressions.

Pillow refuses a file whose tRNS (grey: 2 bytes, truecolour: 6), gAMA (4),
cHRM (32), sRGB (1) or pHYs (9) chunk is too short for its values, wherever it
lies before IEND; both backends decoded such files. Now both refuse them too,
and accept the same chunks at their full size, as Pillow does.
"""

from __future__ import annotations

import io
import zlib
from types import ModuleType

import numpy as np
import pytest
from fuzz.targets import SEEDS, fuzz_png_struct
from PIL import Image

from gemini_vision.errors import MaskDecodeError
from tests.png_encoder import SIGNATURE, chunk, ihdr

SIZES = {"gAMA": 4, "cHRM": 32, "sRGB": 1, "pHYs": 9}


def _png(colour_type: int, extra: bytes, *, after: bool) -> bytes:
    row = b"\x00" + bytes(3 if colour_type == 2 else 1) * 2
    data = chunk(b"IDAT", zlib.compress(row))
    middle = data + extra if after else extra + data
    return SIGNATURE + ihdr(2, 1, 8, colour_type) + middle + chunk(b"IEND", b"")


def _pillow(data: bytes) -> np.ndarray | None:
    try:
        with Image.open(io.BytesIO(data)) as image:
            return np.asarray(image.convert("L"))
    except (ValueError, SyntaxError, OSError):
        return None


CASES = [(kind, size, 0) for kind, size in SIZES.items()] + [("tRNS", 2, 0), ("tRNS", 6, 2)]


@pytest.mark.parametrize(("kind", "size", "colour_type"), CASES)
@pytest.mark.parametrize("after", [False, True])
def test_short_ancillary_chunks_are_refused_as_pillow_does(
    kernels: ModuleType, kind: str, size: int, colour_type: int, after: bool
) -> None:
    short = _png(colour_type, chunk(kind.encode(), bytes(size - 1)), after=after)
    assert _pillow(short) is None
    with pytest.raises(MaskDecodeError, match=f"the '{kind}' chunk at byte"):
        kernels.decode_png(short, 1 << 16)
    full = _png(colour_type, chunk(kind.encode(), bytes(size)), after=after)
    np.testing.assert_array_equal(kernels.decode_png(full, 1 << 16), _pillow(full))


def test_the_findings_pass_their_target() -> None:
    """The differential target itself on its seeds (the findings among them)."""
    assert len(SEEDS["png_struct"]) >= 6
    for seed in SEEDS["png_struct"]:
        fuzz_png_struct(seed)
