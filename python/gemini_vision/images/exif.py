"""EXIF orientation: reading the tag, and what it does to an image's size (I6).

A camera stores pixels as the sensor saw them and writes an *orientation* tag
(1–8) saying how to turn them for display. Viewers apply it; a model that sees
the stored pixels sees the picture on its side, and boxes converted with the
stored width and height land in the wrong place. The numbers, as the EXIF
standard defines them (and Pillow's ``ImageOps.exif_transpose`` applies them):

====  ===========================  ==========================
 n    to display, do this          Pillow transpose
====  ===========================  ==========================
 1    nothing                      --
 2    mirror left-right            FLIP_LEFT_RIGHT
 3    rotate 180°                  ROTATE_180
 4    mirror top-bottom            FLIP_TOP_BOTTOM
 5    mirror on the main diagonal  TRANSPOSE
 6    rotate 90° clockwise         ROTATE_270 (Pillow counts anticlockwise)
 7    mirror on the anti-diagonal  TRANSVERSE
 8    rotate 90° anticlockwise     ROTATE_90
====  ===========================  ==========================

5–8 swap width and height. Each orientation is also kept here as a 2×2 integer
matrix acting on (x, y) with y pointing down, so that HEIF's sequence of
``irot``/``imir`` properties can be folded into one EXIF-equivalent number.

This module only parses bytes; it performs no I/O and never decodes pixels.

>>> display_size(4000, 3000, 6)
(3000, 4000)
>>> tiff = b"II*\\x00\\x08\\x00\\x00\\x00" + b"\\x01\\x00"  # header, one entry
>>> tiff += b"\\x12\\x01\\x03\\x00\\x01\\x00\\x00\\x00\\x06\\x00\\x00\\x00"  # 0x0112 SHORT 6
>>> orientation_from_tiff(tiff)
6
"""

from __future__ import annotations

import struct

__all__ = [
    "compose_orientations",
    "display_size",
    "orientation_from_exif",
    "orientation_from_tiff",
    "swaps_axes",
]

_ORIENTATION_TAG = 0x0112
_SHORT = 3
_MAX_IFD_ENTRIES = 4096  # a real IFD0 has tens; a lying count must not make us loop long

Matrix = tuple[int, int, int, int]  # row-major (a, b, c, d): x' = a*x + b*y, y' = c*x + d*y

_MATRICES: dict[int, Matrix] = {
    1: (1, 0, 0, 1),
    2: (-1, 0, 0, 1),
    3: (-1, 0, 0, -1),
    4: (1, 0, 0, -1),
    5: (0, 1, 1, 0),
    6: (0, -1, 1, 0),
    7: (0, -1, -1, 0),
    8: (0, 1, -1, 0),
}
_FROM_MATRIX: dict[Matrix, int] = {m: n for n, m in _MATRICES.items()}


def swaps_axes(orientation: int) -> bool:
    """Whether displaying with this orientation swaps width and height (5–8).

    >>> [swaps_axes(n) for n in range(1, 9)]
    [False, False, False, False, True, True, True, True]
    """
    return orientation in (5, 6, 7, 8)


def display_size(width: int, height: int, orientation: int) -> tuple[int, int]:
    """The (width, height) a viewer shows for a stored size and an orientation.

    >>> display_size(640, 480, 1), display_size(640, 480, 8)
    ((640, 480), (480, 640))
    """
    return (height, width) if swaps_axes(orientation) else (width, height)


def compose_orientations(first: int, then: int) -> int:
    """The single orientation equal to applying ``first`` and then ``then``.

    >>> compose_orientations(6, 6)  # two quarter turns clockwise
    3
    >>> compose_orientations(2, 2)  # mirroring twice undoes it
    1
    """
    a1, b1, c1, d1 = _MATRICES[first]
    a2, b2, c2, d2 = _MATRICES[then]
    product = (
        a2 * a1 + b2 * c1,
        a2 * b1 + b2 * d1,
        c2 * a1 + d2 * c1,
        c2 * b1 + d2 * d1,
    )
    return _FROM_MATRIX[product]


def orientation_from_tiff(tiff: bytes) -> int | None:
    """The orientation tag of a TIFF-structured EXIF block's first IFD, or None.

    None means there is no usable tag: no IFD0, no 0x0112 entry, a value outside
    1–8, or a malformed structure. Malformed EXIF is common in the wild and
    viewers ignore it, so this never raises.

    >>> orientation_from_tiff(b"MM\\x00*\\x00\\x00\\x00\\x08\\x00\\x01\\x01\\x12\\x00\\x03\\x00\\x00\\x00\\x01\\x00\\x03\\x00\\x00")
    3
    >>> orientation_from_tiff(b"not tiff") is None
    True
    """  # noqa: E501
    if len(tiff) < 8:
        return None
    order = tiff[:2]
    if order == b"II":
        endian = "<"
    elif order == b"MM":
        endian = ">"
    else:
        return None
    magic, ifd_offset = struct.unpack(endian + "HI", tiff[2:8])
    if magic != 42 or ifd_offset < 8 or ifd_offset + 2 > len(tiff):
        return None
    (count,) = struct.unpack(endian + "H", tiff[ifd_offset : ifd_offset + 2])
    for index in range(min(count, _MAX_IFD_ENTRIES)):
        start = ifd_offset + 2 + 12 * index
        entry = tiff[start : start + 12]
        if len(entry) < 12:
            return None
        tag, kind, n = struct.unpack(endian + "HHI", entry[:8])
        if tag != _ORIENTATION_TAG:
            continue
        if kind != _SHORT or n < 1:
            return None
        # A SHORT fits in the value field; it sits at its start in either byte order.
        (value,) = struct.unpack(endian + "H", entry[8:10])
        return value if 1 <= value <= 8 else None
    return None


def orientation_from_exif(payload: bytes) -> int | None:
    """The orientation in an EXIF payload, with or without the ``Exif\\0\\0`` prefix.

    JPEG's APP1 segment always has the prefix; PNG's ``eXIf`` chunk should not
    but sometimes does; WebP's ``EXIF`` chunk is seen both ways.

    >>> orientation_from_exif(b"Exif\\x00\\x00" + b"II*\\x00\\x08\\x00\\x00\\x00\\x00\\x00") is None
    True
    """
    if payload.startswith(b"Exif\x00\x00"):
        payload = payload[6:]
    return orientation_from_tiff(payload)
