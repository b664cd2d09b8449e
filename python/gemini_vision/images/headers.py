"""Image width, height and EXIF orientation read from the header, never decoding pixels (I3).

One entry point, ``read_header(data)``: it sniffs the format (``sniff``) and
reads the size where each format keeps it:

* PNG: the ``IHDR`` chunk, which must come first (after Apple's ``CgBI``, if
  any); orientation from an ``eXIf`` chunk anywhere in the file.
* JPEG: the first start-of-frame segment (SOF0–SOF15 except DHT 0xC4, JPG
  0xC8 and DAC 0xCC). The walk follows segment lengths, skips fill bytes
  (runs of 0xFF) and the parameterless markers (RSTn, TEM), tolerates junk
  bytes between segments the way libjpeg does, and stops at the first scan
  (SOS): a frame header after it would be invalid. Orientation from the first
  ``Exif`` APP1 segment, as Pillow reads it.
* WebP: the first chunk -- ``VP8 `` (lossy key frame), ``VP8L`` (lossless
  bitstream header) or ``VP8X`` (extended: canvas size); orientation from an
  ``EXIF`` chunk.
* HEIC/HEIF: the primary item's ``ispe`` property (see ``heif``).

Every read is bounds-checked; truncated or inconsistent headers raise
``LocalError`` saying which format and what is wrong.

>>> import struct, zlib
>>> ihdr = struct.pack(">IIBBBBB", 640, 480, 8, 2, 0, 0, 0)
>>> png = b"\\x89PNG\\r\\n\\x1a\\n" + struct.pack(">I", 13) + b"IHDR" + ihdr + bytes(4)
>>> read_header(png)
ImageHeader(mime_type='image/png', width=640, height=480, orientation=1)
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from gemini_vision.errors import LocalError
from gemini_vision.images.exif import display_size, orientation_from_exif
from gemini_vision.images.heif import read_heif_header
from gemini_vision.images.sniff import sniff_mime_type

__all__ = ["ImageHeader", "read_header", "webp_is_lossless"]

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_MAX_SIDE = 2**31 - 1
_JPEG_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
_JPEG_STANDALONE = frozenset({0x01, *range(0xD0, 0xD8)})  # TEM, RST0-7: no length follows


@dataclass(frozen=True, slots=True)
class ImageHeader:
    """What an image header says: MIME type, stored size, EXIF orientation (1 if none).

    >>> ImageHeader("image/jpeg", 4000, 3000, 6).display_size
    (3000, 4000)
    """

    mime_type: str
    width: int
    height: int
    orientation: int = 1

    @property
    def size(self) -> tuple[int, int]:
        """The stored (width, height): the pixel grid in the file."""
        return (self.width, self.height)

    @property
    def display_size(self) -> tuple[int, int]:
        """The (width, height) after applying the orientation: what a viewer shows."""
        return display_size(self.width, self.height, self.orientation)


def _fail(kind: str, reason: str) -> LocalError:
    return LocalError(f"malformed {kind} header: {reason}")


def _check_size(kind: str, width: int, height: int) -> tuple[int, int]:
    if not (0 < width <= _MAX_SIDE and 0 < height <= _MAX_SIDE):
        raise _fail(kind, f"the image size is {width}x{height}")
    return width, height


def _png(data: bytes) -> ImageHeader:
    pos = len(_PNG_SIGNATURE)
    size: tuple[int, int] | None = None
    orientation: int | None = None
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        start, end = pos + 8, pos + 8 + length
        if size is None:
            if kind == b"CgBI":  # Apple's optimised PNGs put this chunk before IHDR
                pos = end + 4
                continue
            if kind != b"IHDR":
                raise _fail("PNG", f"the first chunk is {kind!r}, not IHDR")
            if length != 13 or end > len(data):
                raise _fail("PNG", "the IHDR chunk is truncated or has the wrong length")
            width, height = struct.unpack(">II", data[start : start + 8])
            size = _check_size("PNG", width, height)
        elif kind == b"eXIf" and orientation is None:
            orientation = orientation_from_exif(data[start:end])
        elif kind == b"IEND":
            break
        pos = end + 4  # skip the CRC
    if size is None:
        raise _fail("PNG", "the data ends before the IHDR chunk")
    return ImageHeader("image/png", *size, orientation or 1)


def _jpeg(data: bytes) -> ImageHeader:
    n = len(data)
    pos = 2  # after SOI
    size: tuple[int, int] | None = None
    orientation: int | None = None
    seen_exif = False
    while True:
        # Junk between segments is skipped like libjpeg does; then any run of fill bytes.
        pos = data.find(b"\xff", pos)
        if pos < 0:
            break
        while pos < n and data[pos] == 0xFF:
            pos += 1
        if pos >= n:
            break
        marker = data[pos]
        pos += 1
        if marker in _JPEG_STANDALONE or marker in (0x00, 0xD8):
            continue  # no length field (0x00 and a repeated SOI are junk, not segments)
        if marker in (0xD9, 0xDA):  # EOI, or SOS: the frame header must be before the scan
            break
        if pos + 2 > n:
            break
        (length,) = struct.unpack(">H", data[pos : pos + 2])
        if length < 2:
            raise _fail("JPEG", f"segment 0xFF{marker:02X} at byte {pos - 2} has length {length}")
        start, end = pos + 2, pos + length
        if marker in _JPEG_SOF and size is None:
            if length < 8 or start + 5 > n:
                raise _fail("JPEG", f"the frame header (SOF{marker - 0xC0}) is truncated")
            height, width = struct.unpack(">HH", data[start + 1 : start + 5])
            if height == 0:
                raise _fail("JPEG", "the height is given later by a DNL marker (not supported)")
            size = _check_size("JPEG", width, height)
        elif marker == 0xE1 and not seen_exif and data.startswith(b"Exif\x00\x00", start):
            seen_exif = True
            orientation = orientation_from_exif(data[start:end])
        pos = end
    if size is None:
        raise _fail("JPEG", "no frame header (SOF) before the first scan or the end of the data")
    return ImageHeader("image/jpeg", *size, orientation or 1)


def _webp(data: bytes) -> ImageHeader:
    pos = 12
    size: tuple[int, int] | None = None
    orientation: int | None = None
    while pos + 8 <= len(data):
        kind, length = struct.unpack("<4sI", data[pos : pos + 8])
        start = pos + 8
        if size is None:
            # Only the bitstream's first bytes are needed: do not copy the whole image.
            size = _webp_first_chunk(kind, data[start : start + min(length, 16)])
            if kind != b"VP8X":
                break  # the simple formats hold one bitstream and no metadata
        elif kind == b"EXIF" and orientation is None:
            orientation = orientation_from_exif(data[start : start + length])
        pos += 8 + length + (length & 1)  # chunks are padded to an even size
    if size is None:
        raise _fail("WebP", "the data ends before the first chunk")
    return ImageHeader("image/webp", *size, orientation or 1)


def _webp_first_chunk(kind: bytes, chunk: bytes) -> tuple[int, int]:
    if kind == b"VP8 ":
        if len(chunk) < 10:
            raise _fail("WebP", "the VP8 frame header is truncated")
        if chunk[0] & 1:
            raise _fail("WebP", "the VP8 bitstream does not start with a key frame")
        if chunk[3:6] != b"\x9d\x01\x2a":
            raise _fail("WebP", "the VP8 start code is missing")
        width, height = struct.unpack("<HH", chunk[6:10])
        return _check_size("WebP", width & 0x3FFF, height & 0x3FFF)
    if kind == b"VP8L":
        if len(chunk) < 5 or chunk[0] != 0x2F:
            raise _fail("WebP", "the VP8L header is truncated or lacks its signature")
        (bits,) = struct.unpack("<I", chunk[1:5])
        return _check_size("WebP", (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1)
    if kind == b"VP8X":
        if len(chunk) < 10:
            raise _fail("WebP", "the VP8X chunk is truncated")
        width = int.from_bytes(chunk[4:7], "little") + 1
        height = int.from_bytes(chunk[7:10], "little") + 1
        return _check_size("WebP", width, height)
    raise _fail("WebP", f"the first chunk is {kind!r}, not VP8, VP8L or VP8X")


def webp_is_lossless(data: bytes) -> bool:
    """Whether a WebP file's image is a lossless (``VP8L``) bitstream.

    >>> webp_is_lossless(b"RIFF\\x0c\\x00\\x00\\x00WEBPVP8L\\x00\\x00\\x00\\x00")
    True
    """
    pos = 12
    while pos + 8 <= len(data):
        kind, length = struct.unpack("<4sI", data[pos : pos + 8])
        if kind in (b"VP8L", b"VP8 "):
            return bool(kind == b"VP8L")
        pos += 8 + length + (length & 1)
    return False


def read_header(data: bytes) -> ImageHeader:
    """Sniff an image's type and read its stored size and orientation from the header.

    Raises:
        LocalError: the bytes are not a supported image, or the header is
            truncated or inconsistent (the message says which and why).

    >>> read_header(b"\\xff\\xd8\\xff\\xc0\\x00\\x11\\x08\\x00\\x10\\x00\\x20\\x03" + bytes(9))
    ImageHeader(mime_type='image/jpeg', width=32, height=16, orientation=1)
    """
    mime_type = sniff_mime_type(data)
    if mime_type == "image/png":
        return _png(data)
    if mime_type == "image/jpeg":
        return _jpeg(data)
    if mime_type == "image/webp":
        return _webp(data)
    width, height, orientation = read_heif_header(data)
    return ImageHeader(mime_type, *_check_size("HEIF", width, height), orientation)
