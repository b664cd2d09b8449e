"""EXIF orientation (I6): read from JPEG, PNG and WebP; display size and rotation as Pillow does."""

from __future__ import annotations

import io

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image, ImageOps

from gemini_vision.images import image_part, read_header
from gemini_vision.images.exif import compose_orientations, orientation_from_tiff
from tests.image_samples import encode, exif_with_orientation, gradient

ORIENTATIONS = range(1, 9)
PILLOW_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


def _upright(data: bytes) -> Image.Image:
    with Image.open(io.BytesIO(data)) as image:
        return ImageOps.exif_transpose(image)


@pytest.mark.parametrize("orientation", ORIENTATIONS)
@pytest.mark.parametrize(
    ("fmt", "options"),
    [("JPEG", {}), ("PNG", {}), ("WEBP", {"lossless": True})],
)
def test_orientation_and_display_size_match_pillow(
    orientation: int, fmt: str, options: dict[str, object]
) -> None:
    """The header's orientation is the EXIF tag and its display size is exif_transpose's size."""
    data = encode(gradient(40, 25), fmt, exif=exif_with_orientation(orientation), **options)
    header = read_header(data)
    assert header.orientation == orientation
    assert header.size == (40, 25)
    assert header.display_size == _upright(data).size


@pytest.mark.parametrize("orientation", ORIENTATIONS)
@pytest.mark.parametrize(("fmt", "options"), [("PNG", {}), ("WEBP", {"lossless": True})])
def test_applying_orientation_to_bytes_gives_pillows_upright_pixels(
    orientation: int, fmt: str, options: dict[str, object]
) -> None:
    """apply_orientation=True re-encodes the upright pixels, equal to exif_transpose's."""
    data = encode(gradient(40, 25), fmt, exif=exif_with_orientation(orientation), **options)
    part = image_part(data, apply_orientation=True)
    expected = _upright(data)
    assert part.orientation == orientation
    assert part.orientation_applied == (orientation != 1)
    assert part.size == part.display_size == expected.size
    with Image.open(io.BytesIO(part.data)) as sent:
        assert np.array_equal(np.asarray(sent.convert("RGB")), np.asarray(expected.convert("RGB")))
    assert read_header(part.data).orientation == 1  # the sent bytes carry no rotation


@pytest.mark.parametrize("orientation", ORIENTATIONS)
def test_bytes_are_sent_unchanged_by_default(orientation: int) -> None:
    """Encoded inputs keep their bytes unless asked; the part still reports the display size."""
    data = encode(gradient(40, 25), "JPEG", exif=exif_with_orientation(orientation))
    part = image_part(data)
    assert part.data == data
    assert not part.orientation_applied
    assert part.orientation == orientation
    assert part.display_size == _upright(data).size


@pytest.mark.parametrize("orientation", ORIENTATIONS)
def test_jpeg_orientation_applied_keeps_the_picture(orientation: int) -> None:
    """A rotated JPEG re-encodes close to Pillow's upright pixels (JPEG is lossy)."""
    smooth = gradient(48, 32).resize((12, 8)).resize((48, 32), Image.Resampling.BILINEAR)
    data = encode(smooth, "JPEG", quality=90, exif=exif_with_orientation(orientation))
    part = image_part(data, apply_orientation=True)
    assert part.mime_type == "image/jpeg"
    expected = np.asarray(_upright(data).convert("RGB"), dtype=np.int16)
    with Image.open(io.BytesIO(part.data)) as sent:
        got = np.asarray(sent.convert("RGB"), dtype=np.int16)
    assert got.shape == expected.shape
    assert np.abs(got - expected).mean() < 2


@pytest.mark.parametrize("orientation", ORIENTATIONS)
def test_pil_images_from_files_are_turned_upright_by_default(orientation: int) -> None:
    """A PIL.Image with EXIF orientation is sent upright unless apply_orientation=False."""
    data = encode(gradient(40, 25), "PNG", exif=exif_with_orientation(orientation))
    with Image.open(io.BytesIO(data)) as image:
        part = image_part(image)
        kept = image_part(image, apply_orientation=False)
    expected = _upright(data)
    assert part.size == part.display_size == expected.size
    with Image.open(io.BytesIO(part.data)) as sent:
        assert np.array_equal(np.asarray(sent), np.asarray(expected))
    # Not applied: the pixels stay as stored and the orientation travels in the EXIF.
    assert kept.size == (40, 25)
    assert read_header(kept.data).orientation == orientation
    assert kept.display_size == expected.size


def test_arrays_are_upright_by_definition() -> None:
    """An array has no EXIF: orientation 1, display size = its size."""
    part = image_part(np.zeros((25, 40, 3), dtype=np.uint8))
    assert (part.orientation, part.size, part.display_size) == (1, (40, 25), (40, 25))


@given(first=st.integers(1, 8), then=st.integers(1, 8))
def test_composing_orientations_equals_applying_both_transposes(first: int, then: int) -> None:
    """compose_orientations(a, b) transposes pixels like a's transpose followed by b's."""
    image = gradient(5, 3)
    step = image.transpose(PILLOW_TRANSPOSE[first]) if first != 1 else image
    both = step.transpose(PILLOW_TRANSPOSE[then]) if then != 1 else step
    composed = compose_orientations(first, then)
    single = image.transpose(PILLOW_TRANSPOSE[composed]) if composed != 1 else image
    assert np.array_equal(np.asarray(both), np.asarray(single))


@given(st.binary(max_size=120))
def test_malformed_exif_is_ignored_without_error(data: bytes) -> None:
    """Any bytes as a TIFF block give an orientation 1–8 or None, never an exception."""
    for prefix in (b"", b"II*\x00\x08\x00\x00\x00", b"MM\x00*\x00\x00\x00\x08"):
        value = orientation_from_tiff(prefix + data)
        assert value is None or 1 <= value <= 8


def test_invalid_orientation_values_count_as_upright() -> None:
    """An orientation tag of 0 or 9 is treated as absent, as Pillow's exif_transpose does."""
    for value in (0, 9, 300):
        data = encode(gradient(20, 10), "JPEG", exif=exif_with_orientation(value))
        header = read_header(data)
        assert header.orientation == 1
        assert header.display_size == _upright(data).size
