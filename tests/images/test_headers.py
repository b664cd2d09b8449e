"""Image sizes from headers (I3) against Pillow's decoder; malformed headers never crash."""

from __future__ import annotations

import contextlib
import io
import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from gemini_vision.errors import LocalError
from gemini_vision.images import read_header
from tests.image_samples import (
    encode,
    exif_with_orientation,
    gradient,
    heif,
    imir,
    irot,
    ispe,
)

sides = st.integers(min_value=1, max_value=700)

ENCODINGS = {
    "png": ("PNG", {}),
    "jpeg": ("JPEG", {"quality": 80}),
    "jpeg-progressive": ("JPEG", {"progressive": True}),
    "jpeg-restart": ("JPEG", {"restart_marker_rows": 1}),
    "jpeg-comment-exif": ("JPEG", {"comment": b"hi", "exif": exif_with_orientation(1)}),
    "webp-lossy": ("WEBP", {"quality": 60}),
    "webp-lossless": ("WEBP", {"lossless": True}),
    "webp-extended": ("WEBP", {"quality": 60, "exif": exif_with_orientation(1)}),
}


@pytest.mark.parametrize("encoding", sorted(ENCODINGS))
@given(width=sides, height=sides)
def test_header_size_equals_the_decoded_size(encoding: str, width: int, height: int) -> None:
    """For files Pillow writes, the header size equals the size Pillow decodes."""
    fmt, options = ENCODINGS[encoding]
    data = encode(Image.new("RGB", (width, height), (10, 200, 30)), fmt, **options)
    header = read_header(data)
    with Image.open(io.BytesIO(data)) as decoded:
        decoded.load()
        assert header.size == decoded.size
    assert header.orientation == 1


def test_webp_encodings_cover_the_three_first_chunks() -> None:
    """The WebP cases above really exercise VP8, VP8L and VP8X."""
    kinds = {
        encode(gradient(5, 4), fmt, **options)[12:16]
        for fmt, options in ENCODINGS.values()
        if fmt == "WEBP"
    }
    assert kinds == {b"VP8 ", b"VP8L", b"VP8X"}


def _jpeg_with_extra_bytes(data: bytes, insert: bytes) -> bytes:
    """A JPEG with ``insert`` placed right before its first SOF marker."""
    for sof in (b"\xff\xc0", b"\xff\xc2"):
        at = data.find(sof)
        if at > 0:
            return data[:at] + insert + data[at:]
    raise AssertionError("no SOF marker")


@pytest.mark.parametrize(
    "insert",
    [
        b"\xff\xff\xff",  # fill bytes before the marker
        b"\xff\xd0\xff\xd7",  # stray restart markers (no length)
        b"\xff\x01",  # TEM
        b"junk",  # bytes between segments, which libjpeg skips
        b"\xff\xfe\x00\x06\xff\xc0\x00\x00",  # a comment that contains a fake SOF marker
        b"\xff\xe2\x00\x02",  # an empty APP2
    ],
)
def test_jpeg_walk_follows_markers_not_byte_patterns(insert: bytes) -> None:
    """Fill bytes, standalone markers, junk and look-alike bytes inside segments are skipped."""
    data = _jpeg_with_extra_bytes(encode(gradient(37, 23), "JPEG"), insert)
    assert read_header(data).size == (37, 23)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR\x00\x00", "truncated"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\x04IDAT" + bytes(8), "not IHDR"),
        (b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR" + bytes(17), "0x0"),
        (b"\x89PNG\r\n\x1a\n", "ends before"),
        (b"\xff\xd8\xff\xd9", "no frame header"),
        (b"\xff\xd8\xff\xda\x00\x02", "no frame header"),
        (b"\xff\xd8\xff\xc0\x00\x01", "has length 1"),
        (b"\xff\xd8\xff\xc0\x00\x11\x08\x00", "truncated"),
        (b"\xff\xd8\xff\xc0\x00\x11\x08\x00\x00\x00\x10\x03", "DNL"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 \x0a\x00\x00\x00\x01\x00\x00", "truncated"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8L\x05\x00\x00\x00\x00\x00\x00\x00\x00", "signature"),
        (b"RIFF\x00\x00\x00\x00WEBPALPH\x00\x00\x00\x00", "not VP8"),
        (b"RIFF\x00\x00\x00\x00WEBP", "ends before"),
    ],
)
def test_malformed_headers_are_local_errors_that_say_why(data: bytes, reason: str) -> None:
    """Truncated or inconsistent headers raise LocalError with the format and the reason."""
    with pytest.raises(LocalError, match="malformed") as info:
        read_header(data)
    assert reason in str(info.value)


# --- HEIF ---------------------------------------------------------------------------


def test_heif_primary_item_size_is_chosen_over_bigger_or_earlier_tiles() -> None:
    """The primary item's ispe wins, even when a tile's ispe comes first or is larger."""
    data = heif(
        [ispe(512, 512), ispe(9000, 9000), ispe(4032, 3024)],
        {2: [1], 3: [2], 1: [3]},
        primary=1,
    )
    assert read_header(data).size == (4032, 3024)


@pytest.mark.parametrize(("version", "flags"), [(0, 0), (0, 1), (1, 0), (1, 1)])
def test_heif_ipma_versions_and_wide_indices(version: int, flags: int) -> None:
    """ipma with 16/32-bit item ids and 7/15-bit property indices (essential bit masked)."""
    data = heif(
        [ispe(100, 50), ispe(640, 480)],
        {7: [1], 1: [2]},
        ipma_version=version,
        ipma_flags=flags,
    )
    assert read_header(data).size == (640, 480)


def test_heif_without_primary_association_falls_back_to_the_largest_ispe() -> None:
    """No pitm (or no ipma entry for it): the largest ispe by area, orientation unknown (1)."""
    props = [ispe(512, 512), ispe(3000, 2000), irot(1)]
    assert read_header(heif(props, None, primary=None)).size == (3000, 2000)
    fallback = read_header(heif(props, {5: [3]}, primary=1))
    assert (fallback.size, fallback.orientation) == ((3000, 2000), 1)


@pytest.mark.parametrize(
    ("transforms", "orientation", "display"),
    [
        ([], 1, (400, 300)),
        ([irot(1)], 8, (300, 400)),
        ([irot(2)], 3, (400, 300)),
        ([irot(3)], 6, (300, 400)),
        ([imir(0)], 2, (400, 300)),
        ([imir(1)], 4, (400, 300)),
        ([irot(1), imir(0)], 7, (300, 400)),
        ([imir(0), irot(1)], 5, (300, 400)),
    ],
)
def test_heif_irot_and_imir_fold_into_an_exif_orientation(
    transforms: list[bytes], orientation: int, display: tuple[int, int]
) -> None:
    """irot (anticlockwise quarter turns) and imir, in order, give the EXIF-equivalent number."""
    props = [ispe(400, 300), *transforms]
    data = heif(props, {1: list(range(1, len(props) + 1))})
    header = read_header(data)
    assert (header.orientation, header.display_size) == (orientation, display)


def test_heif_64_bit_box_sizes_are_read() -> None:
    """A meta box with the 64-bit size form is walked like any other."""
    data = heif([ispe(10, 20)], {1: [1]}, large_meta=True)
    assert read_header(data).size == (10, 20)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (heif([], {1: []}), "no ispe"),
        (heif([ispe(0, 10)], {1: [1]}), "0x10"),
        (heif([b"\x00\x00\x00\x0cispe\x00\x00\x00\x00"], {1: [1]}), "shorter than 12"),
        (b"\x00\x00\x00\x10ftypheic\x00\x00\x00\x00" + b"\x00\x00\x00\x04meta", "less than"),
        (b"\x00\x00\x00\x10ftypheic\x00\x00\x00\x00", "no meta box"),
    ],
)
def test_malformed_heif_is_a_local_error(data: bytes, reason: str) -> None:
    """Missing or inconsistent HEIF boxes raise LocalError naming the problem."""
    with pytest.raises(LocalError, match="malformed HEIF") as info:
        read_header(data)
    assert reason in str(info.value)


# --- fuzz ---------------------------------------------------------------------------

_SEEDS = [
    encode(gradient(33, 17), "PNG", exif=exif_with_orientation(6)),
    encode(gradient(33, 17), "JPEG", exif=exif_with_orientation(3)),
    encode(gradient(33, 17), "WEBP", lossless=True),
    encode(gradient(33, 17), "WEBP", quality=50, exif=exif_with_orientation(8)),
    heif([ispe(400, 300), irot(1), imir(1)], {1: [1, 2, 3]}, ipma_flags=1),
]


@given(
    seed=st.sampled_from(_SEEDS),
    cut=st.integers(min_value=0, max_value=400),
    flips=st.lists(st.tuples(st.integers(0, 399), st.integers(0, 255)), max_size=6),
)
def test_mutated_headers_never_crash(seed: bytes, cut: int, flips: list[tuple[int, int]]) -> None:
    """Truncated or corrupted real headers give a header or a LocalError, nothing else."""
    data = bytearray(seed[: max(cut, 12)])
    for position, value in flips:
        if position < len(data):
            data[position] = value
    try:
        header = read_header(bytes(data))
    except LocalError:
        return
    assert header.width > 0 and header.height > 0
    assert 1 <= header.orientation <= 8


@given(
    prefix=st.sampled_from(
        [
            b"\x89PNG\r\n\x1a\n",
            b"\xff\xd8\xff",
            b"RIFF\x00\x00\x00\x00WEBP",
            b"\x00\x00\x00\x18ftypheic",
        ]
    ),
    rest=st.binary(max_size=300),
)
def test_random_bytes_after_a_magic_never_crash(prefix: bytes, rest: bytes) -> None:
    """Random bytes behind a valid magic give a header or a LocalError, nothing else."""
    with contextlib.suppress(LocalError):
        read_header(prefix + rest)
