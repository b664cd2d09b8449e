"""Image inputs (I1): every accepted kind becomes an ImagePart with sniffed type and header size."""

from __future__ import annotations

import base64
import io
import pathlib

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from PIL import Image

from gemini_vision.errors import LocalError
from gemini_vision.images import ImagePart, image_part
from tests.image_samples import encode, gradient

JPEG = encode(gradient(30, 20), "JPEG")


def _decode(part: ImagePart) -> np.ndarray:
    with Image.open(io.BytesIO(part.data)) as image:
        return np.asarray(image)


@pytest.mark.parametrize("wrap", [bytes, bytearray, memoryview])
def test_bytes_like_values_are_sent_as_they_are(wrap: type) -> None:
    """bytes, bytearray and memoryview give the same bytes back with the sniffed type and size."""
    part = image_part(wrap(JPEG))
    assert (part.data, part.mime_type, part.size) == (JPEG, "image/jpeg", (30, 20))


def test_paths_as_str_and_pathlike(tmp_path: pathlib.Path) -> None:
    """A str path and a PathLike are read; the file name does not decide the type."""
    path = tmp_path / "looks-like.png"  # a JPEG under a misleading name
    path.write_bytes(JPEG)
    for value in (str(path), path):
        part = image_part(value)
        assert (part.data, part.mime_type) == (JPEG, "image/jpeg")
        assert part.source == str(path)


def test_missing_paths_raise_file_not_found(tmp_path: pathlib.Path) -> None:
    """A path that does not exist is the usual FileNotFoundError."""
    with pytest.raises(FileNotFoundError):
        image_part(tmp_path / "nope.jpg")


def test_binary_file_objects(tmp_path: pathlib.Path) -> None:
    """BytesIO and files opened with 'rb' are read; text-mode files are refused clearly."""
    assert image_part(io.BytesIO(JPEG)).data == JPEG
    path = tmp_path / "x.jpg"
    path.write_bytes(JPEG)
    with open(path, "rb") as handle:
        assert image_part(handle).source == str(path)
    with open(path, encoding="latin-1") as text, pytest.raises(LocalError, match="binary mode"):
        image_part(text)


@pytest.mark.parametrize("mode", ["RGB", "RGBA", "L", "LA", "P", "1", "I;16", "CMYK", "F", "I"])
def test_pil_images_of_any_mode_encode_to_a_supported_type(mode: str) -> None:
    """Pillow images in every common mode are encoded (PNG by default) and decode back."""
    image = gradient(17, 9, mode)
    part = image_part(image)
    assert part.mime_type == "image/png"
    assert part.size == (17, 9)
    with Image.open(io.BytesIO(part.data)) as sent:
        assert sent.size == (17, 9)


def test_pil_images_lossless_modes_round_trip_exactly() -> None:
    """PNG-encoded Pillow images decode to the same pixels."""
    for mode in ("RGB", "RGBA", "L", "P"):
        image = gradient(17, 9, mode)
        assert np.array_equal(_decode(image_part(image)), np.asarray(image))


def test_pil_images_from_jpeg_stay_jpeg_and_mime_type_picks_the_encoding() -> None:
    """A Pillow image read from a JPEG is sent as JPEG; mime_type chooses the encoder."""
    with Image.open(io.BytesIO(JPEG)) as image:
        assert image_part(image).mime_type == "image/jpeg"
        assert image_part(image, mime_type="image/webp").mime_type == "image/webp"
        with pytest.raises(LocalError, match="cannot encode"):
            image_part(image, mime_type="image/heic")


@given(
    hnp.arrays(
        np.uint8,
        st.one_of(
            hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=40),
            st.tuples(st.integers(1, 40), st.integers(1, 40), st.sampled_from([3, 4])),
        ),
    )
)
def test_arrays_are_encoded_to_png_losslessly(array: np.ndarray) -> None:
    """H×W, H×W×3 and H×W×4 uint8 arrays become PNGs that decode to the same array."""
    part = image_part(array)
    assert part.mime_type == "image/png"
    assert part.size == (array.shape[1], array.shape[0])
    assert np.array_equal(_decode(part), array)


def test_non_contiguous_arrays_are_accepted() -> None:
    """A strided view (e.g. a flipped array) encodes like its contiguous copy."""
    array = np.asarray(gradient(12, 8))[:, ::-1]
    assert np.array_equal(_decode(image_part(array)), array)


@pytest.mark.parametrize(
    ("array", "message"),
    [
        (np.zeros((4, 4), dtype=np.float32), "dtype must be uint8"),
        (np.zeros((4, 4, 2), dtype=np.uint8), "shape must be"),
        (np.zeros((4,), dtype=np.uint8), "shape must be"),
        (np.zeros((0, 4, 3), dtype=np.uint8), "positive"),
    ],
)
def test_arrays_of_the_wrong_kind_are_refused(array: np.ndarray, message: str) -> None:
    """Arrays that are not uint8 H×W[×3|×4] raise LocalError saying what is wrong."""
    with pytest.raises(LocalError, match=message):
        image_part(array)


def test_declared_mime_type_is_checked_against_the_bytes() -> None:
    """mime_type for encoded bytes must agree with what they are."""
    assert image_part(JPEG, mime_type="image/jpg").mime_type == "image/jpeg"
    with pytest.raises(LocalError, match="'image/png' was given but the bytes are image/jpeg"):
        image_part(JPEG, mime_type="image/png")


def test_unsupported_values_are_type_errors() -> None:
    """Values of no accepted kind raise TypeError naming the kinds."""
    with pytest.raises(TypeError, match=r"PIL\.Image"):
        image_part(12)


def test_image_parts_pass_through_and_serialize() -> None:
    """An ImagePart is accepted as is; its JSON is inlineData with base64 data."""
    part = image_part(JPEG)
    assert image_part(part) is part
    body = part.to_json()["inlineData"]
    assert body["mimeType"] == "image/jpeg"
    assert base64.b64decode(body["data"]) == JPEG
    assert part.encoded_size == len(body["data"])
    assert "bytes" in repr(part) and len(repr(part)) < 200  # never the data itself
