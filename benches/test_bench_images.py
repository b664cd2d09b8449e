"""Image header reading (I3): ``read_header`` vs Pillow's lazy ``Image.open(...).size``.

Both read only the header (Pillow does not decode pixels until ``load``); the
reference is what a caller would otherwise write. Run as tests
(``--benchmark-disable``) each case also checks that the sizes agree.
"""

from __future__ import annotations

import io

import pytest
from PIL import Image
from pytest_benchmark.fixture import BenchmarkFixture
from tests.image_samples import encode, exif_with_orientation, gradient

from gemini_vision.images import read_header

CASES = {
    "jpeg-exif": encode(gradient(1600, 1200), "JPEG", exif=exif_with_orientation(6)),
    "png": encode(gradient(1600, 1200), "PNG"),
    "webp": encode(gradient(1600, 1200), "WEBP", quality=80),
}


def _pillow(data: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(data)) as image:
        return image.size


def _ours(data: bytes) -> tuple[int, int]:
    return read_header(data).size


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("implementation", ["gemini_vision", "pillow"])
def test_header_size(benchmark: BenchmarkFixture, case: str, implementation: str) -> None:
    """Time one header read; the size equals Pillow's."""
    benchmark.group = f"image header: {case}"
    benchmark.extra_info["implementation"] = implementation
    data = CASES[case]
    run = _ours if implementation == "gemini_vision" else _pillow
    assert benchmark(run, data) == _pillow(data)
