"""A small, deliberately plain PNG encoder for the decode tests.

Pillow cannot save many of the PNG flavours a decoder must read (16-bit RGB,
2-bit grey, Adam7 interlacing, a tRNS chunk on any colour type, a chosen filter
per row, image data split over many IDAT chunks), so the tests write them with
this encoder and let Pillow *read* them as the reference. It follows the PNG
specification directly and shares no code with either decoder backend.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field

SIGNATURE = b"\x89PNG\r\n\x1a\n"

#: Samples per pixel of each colour type.
CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}
#: Bit depths the specification allows for each colour type.
DEPTHS = {0: (1, 2, 4, 8, 16), 2: (8, 16), 3: (1, 2, 4, 8), 4: (8, 16), 6: (8, 16)}
#: Every valid (colour type, bit depth) pair.
FORMATS = [(ct, depth) for ct, depths in DEPTHS.items() for depth in depths]

#: Adam7 passes: (x start, y start, x step, y step).
ADAM7 = [
    (0, 0, 8, 8),
    (4, 0, 8, 8),
    (0, 4, 4, 8),
    (2, 0, 4, 4),
    (0, 2, 2, 4),
    (1, 0, 2, 2),
    (0, 1, 1, 2),
]


def chunk(kind: bytes, data: bytes) -> bytes:
    """One chunk: length, type, data, CRC over type and data."""
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def ihdr(width: int, height: int, depth: int, colour_type: int, interlace: int = 0) -> bytes:
    """The IHDR chunk."""
    return chunk(
        b"IHDR", struct.pack(">IIBBBBB", width, height, depth, colour_type, 0, 0, interlace)
    )


def _pack_row(samples: Sequence[int], depth: int) -> bytes:
    """Pack one row of samples (already flattened over channels) at ``depth`` bits."""
    if depth == 16:
        return b"".join(struct.pack(">H", s) for s in samples)
    if depth == 8:
        return bytes(samples)
    per_byte = 8 // depth
    out = bytearray()
    for start in range(0, len(samples), per_byte):
        byte = 0
        group = samples[start : start + per_byte]
        for i, s in enumerate(group):
            byte |= s << (8 - depth * (i + 1))
        out.append(byte)
    return bytes(out)


def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def filter_row(kind: int, row: bytes, prev: bytes, bpp: int) -> bytes:
    """Apply PNG filter ``kind`` (0..4) to ``row`` given the previous raw row."""
    out = bytearray(len(row))
    for i, x in enumerate(row):
        a = row[i - bpp] if i >= bpp else 0
        b = prev[i]
        c = prev[i - bpp] if i >= bpp else 0
        if kind == 0:
            pred = 0
        elif kind == 1:
            pred = a
        elif kind == 2:
            pred = b
        elif kind == 3:
            pred = (a + b) // 2
        else:
            pred = _paeth(a, b, c)
        out[i] = (x - pred) % 256
    return bytes(out)


@dataclass
class PngSpec:
    """Everything the encoder needs; ``pixels[y][x]`` is a tuple of channel samples."""

    width: int
    height: int
    colour_type: int
    depth: int
    pixels: list[list[tuple[int, ...]]]
    interlace: bool = False
    palette: list[tuple[int, int, int]] | None = None
    trns: bytes | None = None
    #: Filter type per scanline, cycled over every scanline of every pass.
    filters: Sequence[int] = (0,)
    #: Split the zlib stream into IDAT chunks of at most this many bytes (0: one chunk).
    idat_size: int = 0
    #: Add an empty IDAT chunk before the data.
    empty_idat: bool = False
    #: Extra ancillary chunks written before the image data.
    extra_chunks: list[tuple[bytes, bytes]] = field(default_factory=list)
    compress_level: int = 6


def scanlines(spec: PngSpec) -> bytes:
    """The filtered scanlines (filter byte + data), every pass in order, uncompressed."""
    channels = CHANNELS[spec.colour_type]
    bits = channels * spec.depth
    bpp = max(1, bits // 8)
    passes = ADAM7 if spec.interlace else [(0, 0, 1, 1)]
    out = bytearray()
    line = 0
    for x0, y0, dx, dy in passes:
        xs = range(x0, spec.width, dx)
        ys = range(y0, spec.height, dy)
        if not xs or not ys:
            continue
        prev = bytes((len(xs) * bits + 7) // 8)
        for y in ys:
            samples = [s for x in xs for s in spec.pixels[y][x]]
            raw = _pack_row(samples, spec.depth)
            kind = spec.filters[line % len(spec.filters)]
            line += 1
            out.append(kind)
            out += filter_row(kind, raw, prev, bpp)
            prev = raw
    return bytes(out)


def encode(spec: PngSpec) -> bytes:
    """The PNG file for ``spec``."""
    parts = [SIGNATURE, ihdr(spec.width, spec.height, spec.depth, spec.colour_type, spec.interlace)]
    for kind, data in spec.extra_chunks:
        parts.append(chunk(kind, data))
    if spec.palette is not None:
        parts.append(chunk(b"PLTE", b"".join(bytes(rgb) for rgb in spec.palette)))
    if spec.trns is not None:
        parts.append(chunk(b"tRNS", spec.trns))
    stream = zlib.compress(scanlines(spec), spec.compress_level)
    if spec.empty_idat:
        parts.append(chunk(b"IDAT", b""))
    step = spec.idat_size or len(stream) or 1
    for start in range(0, max(len(stream), 1), step):
        parts.append(chunk(b"IDAT", stream[start : start + step]))
    parts.append(chunk(b"IEND", b""))
    return b"".join(parts)
