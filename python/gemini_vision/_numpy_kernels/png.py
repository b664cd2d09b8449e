"""PNG to 8-bit grey as Pillow's ``convert("L")`` does (SPEC M1): the NumPy twin of ``rust/png.rs``.

A decoder built on ``zlib``, NumPy and Pillow's own PNG decoding machinery (Pillow
is the reference in the tests and the guide's procedure, so the fallback must be
no slower than it). It accepts and refuses exactly the files the Rust decoder
does, with the same messages:

1. walk the chunks: signature, lengths, CRCs, IHDR fields, the pixel limit
   (checked right after IHDR), chunk order; keep PLTE and the IDAT payloads
   (``_read_layout``, a few microseconds: ``zlib.crc32`` runs in C);
2. the fast lane (``_decode_with_pillow``), for 8-bit grey, palette and RGB
   images that are not interlaced (every mask a model sends): Pillow's "zip"
   decoder inflates and unfilters the IDAT stream once, straight into a NumPy
   array one row taller than the header says, which Pillow's core maps as its
   image (no ``Image`` object, no copy out of Pillow). Pillow stops at the end
   of the zlib stream or when the image is full, whichever is first, so the
   extra row tells the two apart: a value no scanline can write marks the last
   real row and the extra one (-1 in an "I" image; in "RGBX", the padding byte
   Pillow sets to 255 on every pixel it writes), and the file is accepted only
   if the last real row was written, the extra row was not, and Pillow raised
   nothing (the stream ended, its checksum held, every filter type was known).
   Pillow never writes more than the header's rows plus one, so the lane keeps
   the bomb limit;
3. anything the lane does not accept, and the other layouts, take the checked
   path: inflate the IDAT stream with ``zlib``, never past one byte more than
   the header implies; undo the scanline filters (Pillow's unfiltering on
   stored deflate blocks, or NumPy for interlaced images); turn samples into
   grey with Pillow's rules (see ``rust/png/grey.rs``). A damaged file thus
   costs a second decode, and its error names the problem as Rust's does.
"""

from __future__ import annotations

import zlib
from typing import Any, NamedTuple, cast

import numpy as np
import numpy.typing as npt

from gemini_vision.errors import MaskDecodeError, PixelLimitError

SIGNATURE = b"\x89PNG\r\n\x1a\n"
_MAX_U31 = 2**31 - 1
# Deflate expands at most 1032-fold: 258 bytes per 2-bit match.
_MAX_INFLATE_RATIO = 1032
_DEPTHS = {0: (1, 2, 4, 8, 16), 2: (8, 16), 3: (1, 2, 4, 8), 4: (8, 16), 6: (8, 16)}
_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}
_ADAM7 = (
    (0, 0, 8, 8),
    (4, 0, 8, 8),
    (0, 4, 4, 8),
    (2, 0, 4, 4),
    (0, 2, 2, 4),
    (1, 0, 2, 2),
    (0, 1, 1, 2),
)
_NO_LUT = np.empty(0, np.uint8)


class _Header(NamedTuple):
    width: int
    height: int
    depth: int
    colour_type: int
    interlaced: bool


class _Pass(NamedTuple):
    number: int  # 1..7 for Adam7 passes
    x0: int
    y0: int
    dx: int
    dy: int
    width: int
    height: int
    row_bytes: int


def _chunk_name(kind: bytes) -> str:
    if kind.isalpha():
        return f"'{kind.decode('ascii')}'"
    return "0x" + kind.hex()


def _read_chunk(data: bytes, pos: int) -> tuple[bytes, bytes, int]:
    """(type, payload, next position) of the chunk at ``pos``, checked down to its CRC."""
    if len(data) - pos < 8:
        if pos == len(data):
            raise MaskDecodeError("truncated PNG: the data ends before the IEND chunk")
        raise MaskDecodeError(f"truncated PNG: the chunk header at byte {pos} is cut off")
    length = int.from_bytes(data[pos : pos + 4], "big")
    kind = data[pos + 4 : pos + 8]
    if not kind.isalpha():  # bytes.isalpha: ASCII letters only
        raise MaskDecodeError(
            f"corrupt PNG: the chunk type {_chunk_name(kind)} at byte {pos} is not four ASCII "
            "letters"
        )
    if length > _MAX_U31:
        raise MaskDecodeError(
            f"corrupt PNG: chunk {_chunk_name(kind)} at byte {pos} declares {length} bytes, "
            "more than 2^31-1"
        )
    available = len(data) - pos - 8
    if available < length + 4:
        raise MaskDecodeError(
            f"truncated PNG: chunk {_chunk_name(kind)} at byte {pos} declares {length} bytes of "
            f"data and a CRC, but only {available} bytes remain"
        )
    end = pos + 8 + length
    view = memoryview(data)  # the CRC is computed in place, without a copy of the chunk
    if zlib.crc32(view[pos + 4 : end]) != int.from_bytes(data[end : end + 4], "big"):
        raise MaskDecodeError(
            f"corrupt PNG: CRC mismatch in chunk {_chunk_name(kind)} at byte {pos}"
        )
    return kind, data[pos + 8 : end], end + 4


def _parse_header(d: bytes) -> _Header:
    if len(d) != 13:
        raise MaskDecodeError(f"corrupt PNG: IHDR holds {len(d)} bytes, expected 13")
    width = int.from_bytes(d[0:4], "big")
    height = int.from_bytes(d[4:8], "big")
    depth, code, compression, filter_method, interlace = d[8:13]
    if not (1 <= width <= _MAX_U31 and 1 <= height <= _MAX_U31):
        raise MaskDecodeError(
            f"corrupt PNG: the image size {width}x{height} is not allowed "
            "(each side must be 1 to 2^31-1)"
        )
    if code not in _DEPTHS:
        raise MaskDecodeError(f"corrupt PNG: unknown colour type {code}")
    if depth not in _DEPTHS[code]:
        raise MaskDecodeError(
            f"corrupt PNG: bit depth {depth} is not allowed for colour type {code}"
        )
    if compression != 0:
        raise MaskDecodeError(f"corrupt PNG: unknown compression method {compression}")
    if filter_method != 0:
        raise MaskDecodeError(f"corrupt PNG: unknown filter method {filter_method}")
    if interlace > 1:
        raise MaskDecodeError(f"corrupt PNG: unknown interlace method {interlace}")
    return _Header(width, height, depth, code, interlace == 1)


#: Pillow refuses these chunks when shorter than the values they hold (tRNS: of a
#: grey or truecolour image); so do both backends. Their contents never change grey.
_ANCILLARY_SIZES = {b"gAMA": 4, b"cHRM": 32, b"sRGB": 1, b"pHYs": 9, b"tRNS": 0}


def _check_ancillary(kind: bytes, colour_type: int, payload: bytes, offset: int) -> None:
    need = _ANCILLARY_SIZES[kind]
    if kind == b"tRNS":
        need = {0: 2, 2: 6}.get(colour_type, 0)
    if len(payload) < need:
        raise MaskDecodeError(
            f"corrupt PNG: the {_chunk_name(kind)} chunk at byte {offset} holds {len(payload)} "
            f"bytes, fewer than the {need} it needs"
        )


def _read_layout(data: bytes, max_pixels: int) -> tuple[_Header, bytes, list[bytes]]:
    """Walk every chunk up to IEND: (header, PLTE payload, IDAT payloads)."""
    if data[:8] != SIGNATURE:
        raise MaskDecodeError("not a PNG file: the data does not start with the PNG signature")
    kind, payload, pos = _read_chunk(data, 8)
    if kind != b"IHDR":
        raise MaskDecodeError(
            f"corrupt PNG: the first chunk is {_chunk_name(kind)}, expected 'IHDR'"
        )
    header = _parse_header(payload)
    if header.width * header.height > max_pixels:
        raise PixelLimitError(
            f"PNG header declares {header.width}x{header.height} = "
            f"{header.width * header.height} pixels, more than the limit of {max_pixels}"
        )
    is_palette = header.colour_type == 3
    palette: bytes | None = None
    idat: list[bytes] = []
    idat_closed = False
    while True:
        offset = pos
        kind, payload, pos = _read_chunk(data, pos)
        if kind == b"IEND":
            if payload:
                raise MaskDecodeError(f"corrupt PNG: the IEND chunk at byte {offset} is not empty")
            break
        if kind == b"IDAT":
            if idat_closed:
                raise MaskDecodeError(
                    f"corrupt PNG: the IDAT chunk at byte {offset} does not follow the other "
                    "IDAT chunks"
                )
            if is_palette and palette is None:
                raise MaskDecodeError(
                    "corrupt PNG: a palette image needs a PLTE chunk before its IDAT chunks"
                )
            idat.append(payload)
            continue
        if kind == b"IHDR":
            raise MaskDecodeError(f"corrupt PNG: a second IHDR chunk at byte {offset}")
        if kind == b"PLTE" and is_palette:
            if palette is not None or idat:
                raise MaskDecodeError(
                    f"corrupt PNG: the PLTE chunk at byte {offset} comes after IDAT or another PLTE"
                )
            if not payload or len(payload) > 768 or len(payload) % 3:
                raise MaskDecodeError(
                    f"corrupt PNG: PLTE holds {len(payload)} bytes, not 1 to 256 RGB entries"
                )
            palette = payload
        elif kind in _ANCILLARY_SIZES:
            _check_ancillary(kind, header.colour_type, payload, offset)
        elif kind[0] < 0x5B and kind != b"PLTE":  # an upper-case first letter: critical
            raise MaskDecodeError(
                f"corrupt PNG: unknown critical chunk {_chunk_name(kind)} at byte {offset}"
            )
        idat_closed = bool(idat)
    if not idat:
        raise MaskDecodeError("corrupt PNG: there is no IDAT chunk")
    return header, palette or b"", idat


def _passes(header: _Header) -> list[_Pass]:
    layout = _ADAM7 if header.interlaced else ((0, 0, 1, 1),)
    bits = _CHANNELS[header.colour_type] * header.depth
    out = []
    for number, (x0, y0, dx, dy) in enumerate(layout, start=1):
        width = max(0, -(-(header.width - x0) // dx))
        height = max(0, -(-(header.height - y0) // dy))
        if width and height:
            out.append(_Pass(number, x0, y0, dx, dy, width, height, -(-(width * bits) // 8)))
    return out


def _inflate(stream: bytes, expected: int) -> bytes:
    """Exactly ``expected`` bytes of scanlines from the zlib ``stream``, or MaskDecodeError."""
    inflater = zlib.decompressobj()
    try:
        raw = inflater.decompress(stream, expected + 1)
    except zlib.error as exc:
        # "Error -3 while decompressing data: invalid block type" -> "invalid block type"
        what = str(exc).partition("decompressing data: ")[2] or str(exc)
        raise MaskDecodeError(
            f"corrupt PNG: the compressed image data is invalid ({what})"
        ) from None
    if len(raw) > expected:
        raise MaskDecodeError(
            f"corrupt PNG: the image data holds more than the {expected} bytes of scanlines "
            "the header implies"
        )
    if not inflater.eof:
        raise MaskDecodeError(
            "corrupt PNG: the compressed image data is cut short "
            f"(the header implies {expected} bytes of scanlines)"
        )
    if len(raw) < expected:
        raise MaskDecodeError(
            f"corrupt PNG: the image data holds {len(raw)} bytes of scanlines, "
            f"the header implies {expected}"
        )
    return raw


def _unfilter_sequential(kind: int, line: list[int], prev: list[int], bpp: int) -> list[int]:
    """Average (3) and Paeth (4): each byte needs the decoded byte ``bpp`` to its left."""
    out = [0] * len(line)
    for i, x in enumerate(line):
        a = out[i - bpp] if i >= bpp else 0
        b = prev[i]
        if kind == 3:
            out[i] = (x + ((a + b) >> 1)) & 0xFF
            continue
        c = prev[i - bpp] if i >= bpp else 0
        pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
        pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
        out[i] = (x + pred) & 0xFF
    return out


def _unfilter(lines: npt.NDArray[np.uint8], bpp: int, where: str) -> npt.NDArray[np.uint8]:
    """The raw rows of one pass from its scanlines (filter byte first)."""
    height, n = lines.shape[0], lines.shape[1] - 1
    kinds = lines[:, 0]
    bad = np.flatnonzero(kinds > 4)
    if bad.size:
        row = int(bad[0])
        raise MaskDecodeError(
            f"corrupt PNG: scanline {row}{where} has unknown filter type {int(kinds[row])}"
        )
    out = np.empty((height, n), dtype=np.uint8)
    prev = np.zeros(n, dtype=np.uint8)
    for r in range(height):
        line = lines[r, 1:]
        kind = int(kinds[r])
        if kind == 0:
            out[r] = line
        elif kind == 1:
            out[r] = np.cumsum(line.reshape(-1, bpp), axis=0, dtype=np.uint8).reshape(-1)
        elif kind == 2:
            out[r] = line + prev
        else:
            out[r] = _unfilter_sequential(kind, line.tolist(), prev.tolist(), bpp)
        prev = out[r]
    return out


#: Pillow raw modes that carry scanline bytes unchanged, by bytes per pixel
#: (the filter's unit): the image is read as rows of these pixels.
_RAW_MODES = {1: "L", 2: "LA", 3: "RGB", 4: "RGBA"}


def _unfilter_with_pillow(lines: npt.NDArray[np.uint8], bpp: int) -> npt.NDArray[np.uint8] | None:
    """The raw rows of a non-interlaced image, unfiltered by Pillow's PNG decoder.

    ``lines`` are the checked scanlines (filter byte first). Pillow's "zip"
    decoder inflates and unfilters; the lines are handed to it in stored
    (uncompressed) deflate blocks, so nothing is inflated twice. None when the
    pixel size has no byte-preserving raw mode (6 or 8 bytes: 16-bit colour).
    """
    mode = _RAW_MODES.get(bpp)
    if mode is None:
        return None
    from PIL import Image

    height, row_bytes = lines.shape[0], lines.shape[1] - 1
    stored = zlib.compress(lines.tobytes(), 0)
    image = Image.frombytes(mode, (row_bytes // bpp, height), stored, "zip", mode)
    rows = np.array(image).reshape(height, row_bytes)  # a fresh, writeable array
    return cast("npt.NDArray[np.uint8]", rows)


#: Colour types of the fast lane (8-bit samples): grey, RGB, palette.
_LANE_TYPES = frozenset({0, 2, 3})


def _decode_with_pillow(
    header: _Header, palette: bytes, stream: bytes
) -> npt.NDArray[np.uint8] | None:
    """Grey pixels through Pillow's PNG decoder, or None to take the checked path.

    None when the file is not exactly right (see the module's step 2); the
    checked path then finds and names what is wrong. Pillow's "zip" decoder
    writes straight into a NumPy array that Pillow's core maps as an image
    (``_pillow_decodes_into``): no ``Image`` object is made and no pixel is
    copied out of Pillow.
    """
    width, height = header.width, header.height
    if header.colour_type == 2:
        # RGB: Pillow's unpacking sets the padding byte of every pixel it writes to 255.
        rgbx = np.zeros((height + 1, width, 4), dtype=np.uint8)
        if not _pillow_decodes_into(rgbx, "RGBX", "RGB", stream):
            return None
        if rgbx[height - 1, 0, 3] != 255 or rgbx[height, 0, 3] != 0:
            return None
        return _luma_with_pillow(rgbx[:height])
    # Grey or palette indices as int32, so that -1 marks a row Pillow did not write.
    # Rows are written whole, so the first pixel of the last two rows tells.
    samples = np.empty((height + 1, width), dtype=np.int32)
    samples[height - 1 :, 0] = -1
    if not _pillow_decodes_into(samples, "I", "I;8", stream):
        return None
    if samples[height - 1, 0] == -1 or samples[height, 0] != -1:
        return None
    if header.colour_type == 3:
        by_index: npt.NDArray[np.uint8] = _grey_lut(header, palette)[samples[:height]]
        return by_index
    return samples[:height].astype(np.uint8)  # every value is 0-255: the I;8 unpacker's


def _pillow_decodes_into(pixels: npt.NDArray[Any], mode: str, raw_mode: str, stream: bytes) -> bool:
    """Whether Pillow's PNG decoder ("zip") filled ``pixels`` and ran to an end without complaint.

    ``pixels`` (rows, width[, 4]) is mapped as a Pillow ``mode`` image by Pillow's
    core (``map_buffer``: the image is the array's memory) and the decoder,
    reading ``raw_mode`` scanlines, writes into it. Pillow stops at the end of
    the zlib stream or when the image is full, whichever comes first. That
    core interface is not documented; should it change, the answer is False
    and the checked path decodes every file, only slower.
    """
    from PIL import _imaging as pillow_core

    rows, width = pixels.shape[:2]
    try:
        image = pillow_core.map_buffer(pixels, (width, rows), "raw", 0, (mode, 0, 1))
        decoder = pillow_core.zip_decoder(mode, raw_mode, 0)
        decoder.setimage(image, (0, 0, width, rows))
        status, error = decoder.decode(stream)
    except (AttributeError, TypeError, ValueError, OSError):  # a bad stream, or another core
        return False
    # status < 0: the decoder finished (stream end or image full); error 0: cleanly.
    return bool(status < 0 and error == 0)


def _luma_with_pillow(rgbx: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8] | None:
    """Pillow's RGB to L of ``rgbx`` (rows, width, 4), by its core, into a fresh array."""
    from PIL import _imaging as pillow_core

    rows, width = rgbx.shape[:2]
    out = np.empty((rows, width), dtype=np.uint8)
    try:
        source = pillow_core.map_buffer(rgbx, (width, rows), "raw", 0, ("RGBX", 0, 1))
        target = pillow_core.map_buffer(out, (width, rows), "raw", 0, ("L", 0, 1))
        # convert, then one memcpy per row: Pillow < 13 has no convert_into
        target.paste(source.convert("L"), (0, 0, width, rows))
    except (AttributeError, TypeError, ValueError):
        return None
    return out


def _grey_lut(header: _Header, palette: bytes) -> npt.NDArray[np.uint8]:
    """Grey value of each sample value of a grey or palette image of depth <= 8."""
    lut = np.zeros(256, dtype=np.uint8)
    if header.colour_type == 3:
        # Entries PLTE does not define stay 0, as in Pillow.
        rgb = np.frombuffer(palette, dtype=np.uint8).reshape(-1, 3)
        lut[: len(rgb)] = _luma(rgb[:, 0], rgb[:, 1], rgb[:, 2])
    else:
        top = (1 << header.depth) - 1
        lut[: top + 1] = np.arange(top + 1) * 255 // top
    return lut


def _luma(
    r: npt.NDArray[np.uint8], g: npt.NDArray[np.uint8], b: npt.NDArray[np.uint8]
) -> npt.NDArray[np.uint8]:
    """Pillow's RGB to L: ITU-R 601-2 luma in 16.16 fixed point, rounded."""
    acc = r.astype(np.uint32) * 19595 + g.astype(np.uint32) * 38470 + b.astype(np.uint32) * 7471
    return ((acc + 0x8000) >> 16).astype(np.uint8)


def _to_grey(
    rows: npt.NDArray[np.uint8], header: _Header, width: int, lut: npt.NDArray[np.uint8]
) -> npt.NDArray[np.uint8]:
    """Grey pixels (height, width) from the raw rows of one pass (Pillow's rules)."""
    height = rows.shape[0]
    ct, depth = header.colour_type, header.depth
    if depth < 8:
        shifts = np.arange(8 - depth, -1, -depth, dtype=np.uint8)
        samples = (rows[:, :, None] >> shifts) & np.uint8((1 << depth) - 1)
        packed: npt.NDArray[np.uint8] = lut[samples.reshape(height, -1)[:, :width]]
        return packed
    if ct in (0, 3) and depth == 8:
        return rows if ct == 0 else lut[rows]
    channels = _CHANNELS[ct]
    pixels = rows.reshape(height, width, channels, depth // 8)
    high = pixels[..., 0]  # the high byte of 16-bit samples (the byte itself at 8 bits)
    if ct == 0:  # 16-bit grey: Pillow clips to 255 rather than keeping the high byte
        return np.where(high[..., 0] != 0, np.uint8(255), pixels[..., 0, 1])
    if ct == 4:
        return np.ascontiguousarray(high[..., 0])
    return _luma(high[..., 0], high[..., 1], high[..., 2])


def decode_png(data: bytes, max_pixels: int) -> npt.NDArray[np.uint8]:
    """Decode PNG ``data`` to an 8-bit grey array (height, width).

    Raises PixelLimitError when the header declares more than ``max_pixels``
    pixels (nothing else is decoded), MaskDecodeError naming the problem when
    ``data`` is not a valid PNG.
    """
    header, palette, idat = _read_layout(bytes(data), max_pixels)
    passes = _passes(header)
    expected = sum(p.height * (p.row_bytes + 1) for p in passes)
    compressed = sum(len(c) for c in idat)
    if expected > compressed * _MAX_INFLATE_RATIO:
        raise MaskDecodeError(
            f"corrupt PNG: {compressed} bytes of compressed image data cannot hold the "
            f"{expected} bytes of scanlines of a {header.width}x{header.height} image"
        )
    stream = b"".join(idat)
    if not header.interlaced and header.depth == 8 and header.colour_type in _LANE_TYPES:
        grey = _decode_with_pillow(header, palette, stream)
        if grey is not None:
            return grey
    raw = np.frombuffer(_inflate(stream, expected), dtype=np.uint8)
    bpp = max(1, _CHANNELS[header.colour_type] * header.depth // 8)
    lut = _grey_lut(header, palette) if header.depth < 8 or header.colour_type == 3 else None
    if not header.interlaced:
        (p,) = passes
        lines = raw.reshape(p.height, p.row_bytes + 1)
        bad = np.flatnonzero(lines[:, 0] > 4)
        if bad.size:
            row = int(bad[0])
            raise MaskDecodeError(
                f"corrupt PNG: scanline {row} has unknown filter type {int(lines[row, 0])}"
            )
        rows = _unfilter_with_pillow(lines, bpp)
        if rows is not None:
            return _to_grey(
                rows, header, p.width, lut if lut is not None else np.empty(0, np.uint8)
            )
    out = np.empty((header.height, header.width), dtype=np.uint8)
    start = 0
    for p in passes:
        size = p.height * (p.row_bytes + 1)
        lines = raw[start : start + size].reshape(p.height, p.row_bytes + 1)
        start += size
        where = f" of Adam7 pass {p.number}" if header.interlaced else ""
        rows = _unfilter(lines, bpp, where)
        grey = _to_grey(rows, header, p.width, lut if lut is not None else np.empty(0, np.uint8))
        out[p.y0 :: p.dy, p.x0 :: p.dx] = grey
    return out
