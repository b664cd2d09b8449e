"""Image bytes for the images tests: Pillow-encoded files and hand-built HEIF containers."""

from __future__ import annotations

import io
import struct
from typing import Any

import numpy as np
from PIL import Image


def gradient(width: int, height: int, mode: str = "RGB") -> Image.Image:
    """A small image whose pixels differ (so rotations and mirrors are visible)."""
    ys, xs = np.mgrid[0:height, 0:width]
    red = (xs * 7 + ys * 3) % 256
    green = (xs * 2 + ys * 11) % 256
    blue = (xs * ys) % 256
    rgb = np.stack([red, green, blue], axis=-1).astype(np.uint8)
    return Image.fromarray(rgb, mode="RGB").convert(mode)


def encode(image: Image.Image, fmt: str, **options: Any) -> bytes:
    """``image`` saved in ``fmt`` to bytes."""
    out = io.BytesIO()
    image.save(out, format=fmt, **options)
    return out.getvalue()


def exif_with_orientation(orientation: int) -> Image.Exif:
    """An EXIF block holding only the orientation tag."""
    exif = Image.Exif()
    exif[0x0112] = orientation
    return exif


# --- HEIF boxes -------------------------------------------------------------------


def box(kind: bytes, payload: bytes, *, large: bool = False) -> bytes:
    """An ISO-media box; ``large`` uses the 64-bit size form."""
    if large:
        return struct.pack(">I4sQ", 1, kind, 16 + len(payload)) + payload
    return struct.pack(">I4s", 8 + len(payload), kind) + payload


def full_box(kind: bytes, version: int, flags: int, payload: bytes) -> bytes:
    """An ISO-media full box (version and 24-bit flags before the payload)."""
    return box(kind, bytes([version]) + flags.to_bytes(3, "big") + payload)


def ftyp(major: bytes, *compatible: bytes) -> bytes:
    """An ``ftyp`` box with the given brands."""
    return box(b"ftyp", major + bytes(4) + b"".join(compatible))


def ispe(width: int, height: int) -> bytes:
    """An image spatial extent property."""
    return full_box(b"ispe", 0, 0, struct.pack(">II", width, height))


def irot(quarter_turns_anticlockwise: int) -> bytes:
    """An image rotation property."""
    return box(b"irot", bytes([quarter_turns_anticlockwise & 3]))


def imir(axis: int) -> bytes:
    """An image mirror property."""
    return box(b"imir", bytes([axis & 1]))


def ipma(associations: dict[int, list[int]], *, version: int = 0, flags: int = 0) -> bytes:
    """An item-property association box: item id -> 1-based property indices, in order."""
    payload = struct.pack(">I", len(associations))
    for item, indices in associations.items():
        payload += item.to_bytes(2 if version < 1 else 4, "big") + bytes([len(indices)])
        for index in indices:
            # Mark every association essential: the top bit must be masked off.
            if flags & 1:
                payload += struct.pack(">H", 0x8000 | index)
            else:
                payload += bytes([0x80 | index])
    return full_box(b"ipma", version, flags, payload)


def heif(
    properties: list[bytes],
    associations: dict[int, list[int]] | None,
    *,
    primary: int | None = 1,
    brand: bytes = b"heic",
    ipma_version: int = 0,
    ipma_flags: int = 0,
    large_meta: bool = False,
) -> bytes:
    """A HEIF file head: ftyp, then meta with pitm and iprp(ipco, ipma), then an empty mdat."""
    children = b""
    if primary is not None:
        children += full_box(b"pitm", 0, 0, struct.pack(">H", primary))
    iprp = box(b"ipco", b"".join(properties))
    if associations is not None:
        iprp += ipma(associations, version=ipma_version, flags=ipma_flags)
    children += box(b"iprp", iprp)
    meta = box(b"meta", bytes(4) + children, large=large_meta)
    return ftyp(brand, b"mif1", brand) + meta + box(b"mdat", b"")
