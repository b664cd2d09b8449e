"""A structure-aware PNG builder for the differential PNG fuzz target (SPEC R5).

Random byte flips almost always break a chunk's CRC, so a byte-level fuzzer
only ever tests the CRC check. ``build_png`` reads the fuzzer's bytes as
*choices* instead: a valid PNG first (any colour type, depth, size, interlace,
palette, tRNS, filter per row, IDAT split, zlib level), then structural damage
with every CRC recomputed: chunks reordered, dropped or repeated, a lying
length, an invalid filter byte, a truncated, flipped or over-long zlib stream,
IHDR fields changed, and (rarely) a wrong CRC on purpose.

>>> from gemini_vision import masks
>>> masks.decode_png(build_png(b"\\x00" * 8)).shape
(1, 1)
"""

from __future__ import annotations

import struct
import zlib

from tests.png_encoder import CHANNELS, FORMATS, SIGNATURE, PngSpec, scanlines

__all__ = ["Choices", "build_png"]


class Choices:
    """The fuzzer's bytes read as a stream of small choices (zeros once used up)."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.at = 0

    def byte(self) -> int:
        value = self.data[self.at] if self.at < len(self.data) else 0
        self.at += 1
        return value

    def below(self, n: int) -> int:
        """A number in ``range(n)`` (two bytes' worth of choice)."""
        return ((self.byte() << 8) | self.byte()) % n if n > 0 else 0

    def take(self, n: int) -> bytes:
        """The next ``n`` bytes, zero-padded."""
        out = self.data[self.at : self.at + n]
        self.at += n
        return out + bytes(n - len(out))


def _chunk(kind: bytes, data: bytes, *, bad_crc: bool = False, length: int | None = None) -> bytes:
    crc = zlib.crc32(kind + data) ^ int(bad_crc)
    size = len(data) if length is None else length
    return struct.pack(">I", size) + kind + data + struct.pack(">I", crc)


def _spec(c: Choices) -> PngSpec:
    colour_type, depth = FORMATS[c.below(len(FORMATS))]
    width, height = 1 + c.below(24), 1 + c.below(24)
    channels = CHANNELS[colour_type]
    top = (1 << depth) - 1
    pixels = [
        [tuple(c.below(top + 1) for _ in range(channels)) for _ in range(width)]
        for _ in range(height)
    ]
    palette = None
    if colour_type == 3 or c.below(8) == 7:
        entries = 1 + c.below(256)
        palette = [tuple(c.take(3)) for _ in range(entries)]  # type: ignore[misc]
    trns = c.take(c.below(10)) if c.below(4) == 3 else None
    filters = tuple(c.below(5) for _ in range(1 + c.below(4)))
    return PngSpec(
        width,
        height,
        colour_type,
        depth,
        pixels,
        interlace=c.below(3) == 2,
        palette=palette,
        trns=trns,
        filters=filters,
        compress_level=c.below(10),
    )


def _stream(c: Choices, spec: PngSpec) -> bytes:
    raw = bytearray(scanlines(spec))
    if raw and c.below(6) == 5:  # an invalid or different filter byte somewhere
        raw[c.below(len(raw))] = c.byte()
    stream = zlib.compress(bytes(raw), spec.compress_level)
    damage = c.below(10)
    if damage == 7:
        stream = stream[: c.below(len(stream) + 1)]
    elif damage == 8 and stream:
        flipped = bytearray(stream)
        flipped[c.below(len(flipped))] ^= 1 << c.below(8)
        stream = bytes(flipped)
    elif damage == 9:
        stream += c.take(c.below(8))
    return stream


def build_png(data: bytes) -> bytes:
    """A PNG, valid or structurally damaged, chosen by ``data`` (see the module)."""
    c = Choices(data)
    spec = _spec(c)
    ihdr = bytearray(
        struct.pack(
            ">IIBBBBB", spec.width, spec.height, spec.depth, spec.colour_type, 0, 0, spec.interlace
        )
    )
    if c.below(8) == 7:
        ihdr[c.below(len(ihdr))] = c.byte()
    chunks: list[tuple[bytes, bytes]] = [(b"IHDR", bytes(ihdr))]
    if spec.palette is not None:
        chunks.append((b"PLTE", b"".join(bytes(rgb) for rgb in spec.palette)))
    if spec.trns is not None:
        chunks.append((b"tRNS", spec.trns))
    stream = _stream(c, spec)
    step = len(stream) - c.below(len(stream) + 1) or 1
    chunks += [(b"IDAT", stream[i : i + step]) for i in range(0, max(len(stream), 1), step)]
    chunks.append((b"IEND", b""))
    for _ in range(1 if c.below(3) == 2 else 0):
        op, n = c.below(4), len(chunks)
        if op == 0:
            i, j = c.below(n), c.below(n)
            chunks[i], chunks[j] = chunks[j], chunks[i]
        elif op == 1 and n > 1:
            del chunks[c.below(n)]
        elif op == 2:
            chunks.insert(c.below(n + 1), chunks[c.below(n)])
        else:
            kind = [b"zzZz", b"gAMA", b"PLTE", b"tRNS", b"IDAT"][c.below(5)]
            chunks.insert(c.below(n + 1), (kind, c.take(c.below(12))))
    # One file in 16 has a wrong CRC, one in 16 a lying length (in one chunk each).
    bad = c.below(len(chunks)) if c.below(16) == 15 else -1
    lying = c.below(len(chunks)) if c.below(16) == 15 else -1
    out = [SIGNATURE]
    for i, (kind, body) in enumerate(chunks):
        length = max(len(body) + c.below(9) - 4, 0) if i == lying else None
        out.append(_chunk(kind, body, bad_crc=i == bad, length=length))
    return b"".join(out) + (c.take(c.below(8)) if c.below(8) == 7 else b"")
