"""HEIF/HEIC image size and orientation from the ``meta`` box, without decoding (I3, I6).

Theory of operation. A HEIF file is a sequence of ISO-media boxes
(``size:u32 type:4cc payload``, size 1 meaning a 64-bit size follows, size 0
meaning "to the end"). The still image lives in ``meta``, which holds:

* ``pitm`` -- the id of the *primary item* (the picture a viewer shows; for
  an iPhone photo it is a ``grid`` item assembled from 512x512 tiles);
* ``iprp`` -> ``ipco`` -- a numbered list (from 1) of item *properties*,
  among them ``ispe`` (image spatial extent: width and height in pixels),
  ``irot`` (rotate anticlockwise by a multiple of 90 degrees) and ``imir``
  (mirror);
* ``iprp`` -> ``ipma`` -- which properties belong to which item, in order.

The size we report is the primary item's ``ispe``: that is the full picture
(the tiles have their own, smaller ``ispe``). When the file has no ``pitm`` or
no association for it, we fall back to the largest ``ispe`` by area and say
nothing about orientation. ``irot``/``imir`` are folded, in the order listed,
into one EXIF-style orientation number (see ``exif``). HEIF says these
properties, not any EXIF block inside, decide how the image is displayed.

``imir``'s ``axis`` is read as ISO/IEC 23008-12 words it: 0 mirrors about a
vertical axis (left-right), 1 about a horizontal axis (top-bottom). Mirroring
never changes the display size, so a reader that disagrees on this detail
still gets the same box-conversion size.

>>> ftyp = _box(b"ftyp", b"heic" + bytes(4) + b"mif1heic")
>>> ispe = _box(b"ispe", bytes(4) + (4032).to_bytes(4, "big") + (3024).to_bytes(4, "big"))
>>> meta = _box(b"meta", bytes(4) + _box(b"iprp", _box(b"ipco", ispe)))
>>> read_heif_header(ftyp + meta)
(4032, 3024, 1)
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass, field

from gemini_vision.errors import LocalError
from gemini_vision.images.exif import compose_orientations

__all__ = ["read_heif_header"]

# irot angle (anticlockwise quarter turns) and imir axis as EXIF orientations.
_IROT = {0: 1, 1: 8, 2: 3, 3: 6}
_IMIR = {0: 2, 1: 4}


def _box(kind: bytes, payload: bytes) -> bytes:
    """A box with a 32-bit size (for examples and tests)."""
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def _fail(reason: str) -> LocalError:
    return LocalError(f"malformed HEIF header: {reason}")


def _boxes(data: bytes, start: int, end: int) -> Iterator[tuple[bytes, int, int]]:
    """(type, payload start, payload end) of each box in ``data[start:end]``.

    A box whose size runs past ``end`` is clipped to it (a file cut short after
    the ``meta`` box is still readable); a size smaller than its own header is
    an error, since it would make the walk go backwards or loop.
    """
    pos = start
    while pos + 8 <= end:
        size, kind = struct.unpack(">I4s", data[pos : pos + 8])
        header = 8
        if size == 1:
            if pos + 16 > end:
                raise _fail(f"box {kind!r} at byte {pos} is cut inside its 64-bit size")
            (size,) = struct.unpack(">Q", data[pos + 8 : pos + 16])
            header = 16
        elif size == 0:
            size = end - pos
        if size < header:
            raise _fail(f"box {kind!r} at byte {pos} declares {size} bytes, less than its header")
        box_end = min(pos + size, end)
        yield kind, pos + header, box_end
        pos = box_end


def _child(data: bytes, start: int, end: int, kind: bytes) -> tuple[int, int] | None:
    for found, payload_start, payload_end in _boxes(data, start, end):
        if found == kind:
            return payload_start, payload_end
    return None


@dataclass
class _Meta:
    primary: int | None = None
    properties: list[tuple[bytes, int, int]] = field(default_factory=list)
    associations: dict[int, list[int]] = field(default_factory=dict)


def _read_pitm(data: bytes, start: int, end: int) -> int:
    if end - start < 6:
        raise _fail("the pitm box is too short")
    version = data[start]
    if version == 0:
        return int(struct.unpack(">H", data[start + 4 : start + 6])[0])
    if end - start < 8:
        raise _fail("the pitm box is too short")
    return int(struct.unpack(">I", data[start + 4 : start + 8])[0])


def _read_ipma(data: bytes, start: int, end: int, into: dict[int, list[int]]) -> None:
    if end - start < 8:
        raise _fail("the ipma box is too short")
    version, flags = data[start], int.from_bytes(data[start + 1 : start + 4], "big")
    (count,) = struct.unpack(">I", data[start + 4 : start + 8])
    pos = start + 8
    id_size = 2 if version < 1 else 4
    index_size = 2 if flags & 1 else 1
    for _ in range(count):
        if pos + id_size + 1 > end:
            raise _fail("the ipma box ends inside an entry")
        item = int.from_bytes(data[pos : pos + id_size], "big")
        n = data[pos + id_size]
        pos += id_size + 1
        if pos + n * index_size > end:
            raise _fail("the ipma box ends inside an association list")
        mask = 0x7FFF if index_size == 2 else 0x7F  # the top bit marks "essential"
        indices = [
            int.from_bytes(data[p : p + index_size], "big") & mask
            for p in range(pos, pos + n * index_size, index_size)
        ]
        into.setdefault(item, []).extend(indices)
        pos += n * index_size


def _read_meta(data: bytes, start: int, end: int) -> _Meta:
    meta = _Meta()
    # meta is a FullBox: skip version and flags.
    for kind, s, e in _boxes(data, start + 4, end):
        if kind == b"pitm":
            meta.primary = _read_pitm(data, s, e)
        elif kind == b"iprp":
            for inner, s2, e2 in _boxes(data, s, e):
                if inner == b"ipco":
                    meta.properties = list(_boxes(data, s2, e2))
                elif inner == b"ipma":
                    _read_ipma(data, s2, e2, meta.associations)
    return meta


def _ispe(data: bytes, start: int, end: int) -> tuple[int, int]:
    if end - start < 12:
        raise _fail("an ispe box is shorter than 12 bytes")
    width, height = struct.unpack(">II", data[start + 4 : start + 12])
    return int(width), int(height)


def read_heif_header(data: bytes) -> tuple[int, int, int]:
    """The stored (width, height) of a HEIF/HEIC file's primary image, and its orientation.

    Raises:
        LocalError: there is no ``meta`` box, no ``ispe`` property, a zero size,
            or a box structure that does not hold together.

    >>> read_heif_header(b"\\x00\\x00\\x00\\x10ftypmif1\\x00\\x00\\x00\\x00")
    Traceback (most recent call last):
    ...
    gemini_vision.errors.LocalError: malformed HEIF header: no meta box (the image's description) was found
    """  # noqa: E501
    found = _child(data, 0, len(data), b"meta")
    if found is None:
        raise _fail("no meta box (the image's description) was found")
    meta = _read_meta(data, *found)
    width = height = 0
    orientation = 1
    indices = meta.associations.get(meta.primary, []) if meta.primary is not None else []
    for index in indices:
        if not 1 <= index <= len(meta.properties):
            continue  # index 0 means "no property"; a dangling one is ignored like a reader would
        kind, s, e = meta.properties[index - 1]
        if kind == b"ispe" and width == 0:
            width, height = _ispe(data, s, e)
        elif kind == b"irot" and e > s:
            orientation = compose_orientations(orientation, _IROT[data[s] & 3])
        elif kind == b"imir" and e > s:
            orientation = compose_orientations(orientation, _IMIR[data[s] & 1])
    if width == 0:
        orientation = 1  # without the primary item we cannot tell how it is turned
        sizes = [_ispe(data, s, e) for kind, s, e in meta.properties if kind == b"ispe"]
        if not sizes:
            raise _fail("no ispe property (the image size) was found")
        width, height = max(sizes, key=lambda wh: wh[0] * wh[1])
    if width == 0 or height == 0:
        raise _fail(f"the image size is {width}x{height}")
    return width, height, orientation
