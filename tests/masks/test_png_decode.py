"""``masks.decode_png`` (SPEC M1, R1, R2): every PNG flavour to grey exactly as Pillow does.

The reference is the installed Pillow's ``Image.open(...).convert("L")``. Files
come from Pillow's own encoder and from ``png_encoder`` (a plain encoder that
writes what Pillow cannot: 16-bit RGB, 2-bit grey, Adam7, tRNS everywhere,
chosen filters, split IDAT). Corrupt files must raise ``MaskDecodeError`` on
both backends alike.
"""

from __future__ import annotations

import io
import struct
import warnings
import zlib
from types import ModuleType

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from PIL import Image

from gemini_vision import masks
from gemini_vision.errors import KernelInputError, MaskDecodeError, PixelLimitError
from tests.png_encoder import (
    CHANNELS,
    FORMATS,
    SIGNATURE,
    PngSpec,
    chunk,
    encode,
    ihdr,
)

LIMIT = 4096 * 4096


def pillow_grey(data: bytes) -> np.ndarray:
    """The reference: Pillow's ``convert("L")`` of the decoded file."""
    with warnings.catch_warnings():
        # Pillow warns that palette images with tRNS bytes "should be converted to RGBA";
        # the grey values are what is compared, so the advice is irrelevant here.
        warnings.simplefilter("ignore")
        with Image.open(io.BytesIO(data)) as im:
            return np.asarray(im.convert("L"))


@st.composite
def png_specs(draw: st.DrawFn, max_side: int = 64) -> PngSpec:
    """A PngSpec of any colour type, depth, size, filters, tRNS and IDAT layout."""
    colour_type, depth = draw(st.sampled_from(FORMATS))
    width = draw(st.integers(1, max_side))
    height = draw(st.integers(1, max_side))
    top = (1 << depth) - 1
    # 16-bit grey is clipped at 255 by Pillow: make small values common too.
    elements = st.integers(0, top) if depth < 16 else st.integers(0, 300) | st.integers(0, top)
    shape = (height, width, CHANNELS[colour_type])
    samples = draw(hnp.arrays(np.uint16, shape, elements=elements))
    palette = trns = None
    if colour_type == 3:
        # Palettes shorter than the largest index (Pillow reads missing entries as black),
        # and longer than the depth can index (legal; the extra entries are unused).
        entries = draw(st.integers(1, min(256, (1 << depth) + 3)))
        palette = draw(
            st.lists(st.tuples(*[st.integers(0, 255)] * 3), min_size=entries, max_size=entries)
        )
        if draw(st.booleans()):
            trns = draw(st.binary(min_size=1, max_size=entries))
    elif colour_type in (0, 2) and draw(st.booleans()):
        trns = b"".join(
            struct.pack(">H", draw(st.integers(0, top))) for _ in range(CHANNELS[colour_type])
        )
    return PngSpec(
        width=width,
        height=height,
        colour_type=colour_type,
        depth=depth,
        pixels=[[tuple(px) for px in row] for row in samples.tolist()],
        interlace=draw(st.booleans()),
        palette=palette,
        trns=trns,
        filters=draw(st.lists(st.integers(0, 4), min_size=1, max_size=5)),
        idat_size=draw(st.sampled_from([0, 0, 1, 7, 100])),
        empty_idat=draw(st.booleans()),
        extra_chunks=draw(st.sampled_from([[], [(b"tEXt", b"k\0v")], [(b"gAMA", bytes(4))]])),
        compress_level=draw(st.sampled_from([0, 1, 6, 9])),
    )


# --- exact agreement with Pillow ------------------------------------------------------


@pytest.mark.pillow_compat
@given(spec=png_specs())
def test_every_flavour_matches_pillow(kernels: ModuleType, spec: PngSpec) -> None:
    """Any colour type, depth, interlace, filters and IDAT split decode to Pillow's grey."""
    data = encode(spec)
    out = kernels.decode_png(data, LIMIT)
    assert out.dtype == np.uint8 and out.flags.c_contiguous
    np.testing.assert_array_equal(out, pillow_grey(data))


@pytest.mark.pillow_compat
@given(
    mode=st.sampled_from(["1", "L", "LA", "RGB", "RGBA", "P", "I;16"]),
    shape=st.tuples(st.integers(1, 64), st.integers(1, 64)),
    seed=st.integers(0, 2**32 - 1),
    colours=st.integers(1, 256),
    optimize=st.booleans(),
    level=st.sampled_from([0, 1, 9]),
)
def test_pillow_written_files_match_pillow(
    kernels: ModuleType,
    mode: str,
    shape: tuple[int, int],
    seed: int,
    colours: int,
    optimize: bool,
    level: int,
) -> None:
    """Files Pillow itself writes (its filters, palettes of 1-8 bits) decode to Pillow's grey."""
    rng = np.random.default_rng(seed)
    h, w = shape
    params: dict[str, object] = {}
    if mode == "P":
        im = Image.frombytes("P", (w, h), rng.integers(0, colours, h * w, dtype=np.uint8).tobytes())
        im.putpalette(rng.integers(0, 256, 3 * colours, dtype=np.uint8).tobytes())
        params["transparency"] = int(rng.integers(0, colours))
    elif mode == "I;16":
        im = Image.frombytes(mode, (w, h), rng.integers(0, 600, h * w, dtype="<u2").tobytes())
    else:
        row_bytes = (w + 7) // 8 if mode == "1" else w * len(mode)
        im = Image.frombytes(
            mode, (w, h), rng.integers(0, 256, h * row_bytes, dtype=np.uint8).tobytes()
        )
    buf = io.BytesIO()
    im.save(buf, "PNG", optimize=optimize, compress_level=level, **params)
    data = buf.getvalue()
    np.testing.assert_array_equal(kernels.decode_png(data, LIMIT), pillow_grey(data))


@pytest.mark.pillow_compat
@given(
    shape=st.tuples(st.integers(1, 40), st.integers(1, 70)),
    runs=st.lists(st.tuples(st.integers(0, 4), st.integers(1, 9)), min_size=1, max_size=6),
    seed=st.integers(0, 2**32 - 1),
    smooth=st.booleans(),
)
def test_runs_of_paeth_rows_match_pillow(
    kernels: ModuleType,
    shape: tuple[int, int],
    runs: list[tuple[int, int]],
    seed: int,
    smooth: bool,
) -> None:
    """8-bit grey rows filtered in runs of one type (as Pillow's encoder leaves a soft
    mask: long runs of Paeth rows, which the Rust decoder takes several at a time)
    decode to Pillow's grey, whatever the run lengths and the image width."""
    h, w = shape
    rng = np.random.default_rng(seed)
    if smooth:
        yy, xx = np.mgrid[0:h, 0:w]
        pixels = ((yy * 7 + xx * 3 + rng.integers(0, 4, (h, w))) % 256).astype(np.uint8)
    else:
        pixels = rng.integers(0, 256, (h, w), dtype=np.uint8)
    filters = [kind for kind, length in runs for _ in range(length)]
    spec = PngSpec(
        width=w,
        height=h,
        colour_type=0,
        depth=8,
        pixels=[[(int(v),) for v in row] for row in pixels],
        filters=filters,
    )
    data = encode(spec)
    np.testing.assert_array_equal(kernels.decode_png(data, LIMIT), pillow_grey(data))
    np.testing.assert_array_equal(kernels.decode_png(data, LIMIT), pixels)


@pytest.mark.pillow_compat
@pytest.mark.parametrize(("colour_type", "depth"), FORMATS)
def test_extreme_samples_match_pillow(kernels: ModuleType, colour_type: int, depth: int) -> None:
    """Sample values 0, 1, mid, 255, 256 and the maximum of each format convert like Pillow."""
    top = (1 << depth) - 1
    values = sorted({0, 1, top // 2, min(top, 255), min(top, 256), top})
    pixels = [[tuple([v] * CHANNELS[colour_type]) for v in values]]
    palette = [(255, 0, 0), (0, 255, 0)] if colour_type == 3 else None
    spec = PngSpec(len(values), 1, colour_type, depth, pixels, palette=palette)
    data = encode(spec)
    np.testing.assert_array_equal(kernels.decode_png(data, LIMIT), pillow_grey(data))


def test_backends_agree_on_a_large_interlaced_rgb16(
    rust_kernels: ModuleType, numpy_kernels: ModuleType
) -> None:
    """A 300x200 16-bit RGBA Adam7 image with every filter: both backends equal Pillow."""
    rng = np.random.default_rng(7)
    samples = rng.integers(0, 65536, (200, 300, 4)).tolist()
    spec = PngSpec(300, 200, 6, 16, [[tuple(p) for p in row] for row in samples], interlace=True)
    spec.filters = (0, 1, 2, 3, 4)
    data = encode(spec)
    expected = pillow_grey(data)
    np.testing.assert_array_equal(rust_kernels.decode_png(data, LIMIT), expected)
    np.testing.assert_array_equal(numpy_kernels.decode_png(data, LIMIT), expected)


# --- corrupt input: both backends refuse alike --------------------------------------------


def split_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    """(type, payload) of every chunk of a valid PNG."""
    out, pos = [], 8
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        out.append((data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]))
        pos += 12 + length
    return out


def join_chunks(chunks: list[tuple[bytes, bytes]]) -> bytes:
    return SIGNATURE + b"".join(chunk(kind, payload) for kind, payload in chunks)


@st.composite
def mutated_pngs(draw: st.DrawFn) -> bytes:
    """A valid PNG damaged one of several ways, most of them past the CRC check."""
    data = encode(draw(png_specs(max_side=12)))
    chunks = split_chunks(data)
    how = draw(st.sampled_from(["flip", "truncate", "payload", "payload", "idat", "chunks"]))
    if how == "flip":
        buf = bytearray(data)
        for _ in range(draw(st.integers(1, 4))):
            buf[draw(st.integers(0, len(buf) - 1))] ^= draw(st.integers(1, 255))
        return bytes(buf)
    if how == "truncate":
        return data[: draw(st.integers(0, len(data) - 1))]
    if how == "chunks":
        i = draw(st.integers(0, len(chunks) - 1))
        action = draw(st.sampled_from(["drop", "repeat", "swap"]))
        if action == "drop":
            del chunks[i]
        elif action == "repeat":
            chunks.insert(i, chunks[i])
        else:
            j = draw(st.integers(0, len(chunks) - 1))
            chunks[i], chunks[j] = chunks[j], chunks[i]
        return join_chunks(chunks)
    if how == "idat":
        # Damage the zlib stream itself, with valid CRCs, so the inflaters are compared.
        stream = bytearray(b"".join(p for k, p in chunks if k == b"IDAT"))
        for _ in range(draw(st.integers(1, 3))):
            if stream:
                stream[draw(st.integers(0, len(stream) - 1))] ^= draw(st.integers(1, 255))
        if draw(st.booleans()):
            stream = stream[: draw(st.integers(0, len(stream)))]
        head = [c for c in chunks if c[0] != b"IDAT" and c[0] != b"IEND"]
        return join_chunks([*head, (b"IDAT", bytes(stream)), (b"IEND", b"")])
    # "payload": change a chunk's data (IHDR fields, PLTE, ...) and fix its CRC.
    i = draw(st.integers(0, len(chunks) - 1))
    kind, payload = chunks[i]
    buf = bytearray(payload)
    if buf and draw(st.booleans()):
        buf[draw(st.integers(0, len(buf) - 1))] ^= draw(st.integers(1, 255))
    else:
        buf += draw(st.binary(min_size=1, max_size=3))
    chunks[i] = (kind, bytes(buf))
    return join_chunks(chunks)


def outcome(kernels: ModuleType, data: bytes) -> np.ndarray | type[Exception]:
    """The decoded array, or the class of the MaskDecodeError raised (anything else fails)."""
    try:
        return kernels.decode_png(data, LIMIT)  # type: ignore[no-any-return]
    except MaskDecodeError as exc:
        assert str(exc), "error messages must say what is wrong"
        return type(exc)


@given(data=mutated_pngs())
def test_damaged_files_fail_alike_on_both_backends(
    rust_kernels: ModuleType, numpy_kernels: ModuleType, data: bytes
) -> None:
    """Damage never crashes; both backends succeed equally or raise the same class."""
    rust, numpy = outcome(rust_kernels, data), outcome(numpy_kernels, data)
    if isinstance(rust, np.ndarray) and isinstance(numpy, np.ndarray):
        np.testing.assert_array_equal(rust, numpy)
    else:
        assert rust == numpy, (rust, numpy)


@given(data=st.binary(max_size=200) | st.binary(max_size=100).map(lambda b: SIGNATURE + b))
def test_random_bytes_fail_alike(
    rust_kernels: ModuleType, numpy_kernels: ModuleType, data: bytes
) -> None:
    """Arbitrary bytes (with or without the signature) raise MaskDecodeError on both backends."""
    assert outcome(rust_kernels, data) is MaskDecodeError
    assert outcome(numpy_kernels, data) is MaskDecodeError


def _png(header: bytes, *middle: bytes, stream: bytes | None = None, end: bool = True) -> bytes:
    """A file from an IHDR chunk, chunks, one IDAT holding ``stream`` and IEND."""
    parts = [SIGNATURE, header, *middle]
    if stream is not None:
        parts.append(chunk(b"IDAT", stream))
    if end:
        parts.append(chunk(b"IEND", b""))
    return b"".join(parts)


def _damage_adler(stream: bytes) -> bytes:
    return stream[:-1] + bytes([stream[-1] ^ 0xFF])


GREY_2X1 = ihdr(2, 1, 8, 0)
GOOD = _png(GREY_2X1, stream=zlib.compress(b"\x00\x01\x02"))

CORRUPT = {
    "not a png": (b"GIF89a" + bytes(20), "not a PNG file"),
    "empty": (b"", "not a PNG file"),
    "bad crc": (GOOD[:20] + b"\xff" + GOOD[21:], "CRC mismatch in chunk 'IHDR'"),
    "cut in chunk header": (GOOD[:-8], "is cut off"),
    "cut in chunk": (GOOD[:-3], "only 1 bytes remain"),
    "no iend": (GOOD[:-12], "ends before the IEND"),
    "first chunk not ihdr": (SIGNATURE + chunk(b"IDAT", b"") + GREY_2X1, "expected 'IHDR'"),
    "short ihdr": (SIGNATURE + chunk(b"IHDR", bytes(12)), "IHDR holds 12 bytes"),
    "zero width": (_png(ihdr(0, 1, 8, 0), stream=b""), "image size 0x1"),
    "bad depth": (
        _png(ihdr(2, 1, 16, 3), stream=b""),
        "bit depth 16 is not allowed for colour type 3",
    ),
    "bad colour type": (_png(ihdr(2, 1, 8, 1), stream=b""), "unknown colour type 1"),
    "bad interlace": (_png(ihdr(2, 1, 8, 0, 2), stream=b""), "unknown interlace method 2"),
    "bad chunk type": (_png(GREY_2X1, chunk(b"ab1d", b"")), "not four ASCII letters"),
    "unknown critical": (_png(GREY_2X1, chunk(b"CgBI", b"")), "unknown critical chunk 'CgBI'"),
    "second ihdr": (_png(GREY_2X1, GREY_2X1), "second IHDR"),
    "no idat": (_png(GREY_2X1), "no IDAT chunk"),
    "palette without plte": (
        _png(ihdr(2, 1, 8, 3), stream=zlib.compress(bytes(3))),
        "needs a PLTE",
    ),
    "plte length": (_png(ihdr(2, 1, 8, 3), chunk(b"PLTE", bytes(4)), stream=b""), "PLTE holds 4"),
    "split idat": (
        _png(GREY_2X1, chunk(b"IDAT", b"x"), chunk(b"tEXt", b"a\0b"), chunk(b"IDAT", b"")),
        "does not follow the other IDAT",
    ),
    "iend not empty": (
        _png(GREY_2X1, stream=zlib.compress(b"\0\1\2"), end=False) + chunk(b"IEND", b"x"),
        "IEND",
    ),
    "bad zlib": (_png(GREY_2X1, stream=b"\x78\x02\x00\x00"), "invalid (incorrect header check)"),
    "bad adler": (
        _png(GREY_2X1, stream=_damage_adler(zlib.compress(b"\0\1\2"))),
        "incorrect data check",
    ),
    "cut stream": (_png(GREY_2X1, stream=zlib.compress(b"\0\1\2")[:-4]), "cut short"),
    "too little data": (
        _png(GREY_2X1, stream=zlib.compress(b"\0\1")),
        "holds 2 bytes of scanlines",
    ),
    "too much data": (_png(GREY_2X1, stream=zlib.compress(b"\0\1\2\3")), "more than the 3 bytes"),
    # Whole rows too many or too few: Pillow's decoder stops at either end without a
    # word, so the NumPy fast lane must notice by itself (its sentinel row).
    "a whole row too many": (
        _png(GREY_2X1, stream=zlib.compress(b"\0\1\2\0\3\4")),
        "more than the 3 bytes",
    ),
    "a whole row too few": (
        _png(ihdr(2, 2, 8, 0), stream=zlib.compress(b"\0\1\2")),
        "holds 3 bytes of scanlines",
    ),
    "rgb, a whole row too many": (
        _png(ihdr(1, 1, 8, 2), stream=zlib.compress(b"\0\1\2\3\0\4\5\6")),
        "more than the 4 bytes",
    ),
    "palette, cut stream": (
        _png(ihdr(2, 1, 8, 3), chunk(b"PLTE", bytes(6)), stream=zlib.compress(b"\0\1\0")[:-4]),
        "cut short",
    ),
    "bad filter": (
        _png(GREY_2X1, stream=zlib.compress(b"\5\1\2")),
        "scanline 0 has unknown filter type 5",
    ),
    "bad filter adam7": (
        _png(ihdr(1, 1, 8, 0, 1), stream=zlib.compress(b"\7\1")),
        "scanline 0 of Adam7 pass 1 has unknown filter type 7",
    ),
    "impossible ratio": (
        _png(ihdr(4000, 4000, 8, 0), stream=b"\x78\x9c" + bytes(10)),
        "cannot hold",
    ),
}


@pytest.mark.parametrize("name", sorted(CORRUPT))
def test_corrupt_files_name_the_problem(
    rust_kernels: ModuleType, numpy_kernels: ModuleType, name: str
) -> None:
    """Each kind of damage gives MaskDecodeError with the same telling message on both backends."""
    data, fragment = CORRUPT[name]
    messages = []
    for kernels in (rust_kernels, numpy_kernels):
        with pytest.raises(MaskDecodeError) as info:
            kernels.decode_png(data, LIMIT)
        assert info.type is MaskDecodeError
        assert fragment in str(info.value)
        messages.append(str(info.value))
    assert messages[0] == messages[1]


def test_lenient_where_pillow_is(kernels: ModuleType) -> None:
    """Bytes after IEND and after the zlib stream, and unknown ancillary chunks, are ignored."""
    stream = zlib.compress(b"\x00\x01\x02")
    for data in (
        GOOD + b"trailing garbage",
        _png(GREY_2X1, stream=stream + b"junk"),
        _png(GREY_2X1, chunk(b"zzZz", b"any"), chunk(b"PLTE", b"\1\2\3"), stream=stream),
    ):
        assert kernels.decode_png(data, LIMIT).tolist() == [[1, 2]]


# --- the pixel limit (R2) -------------------------------------------------------------------


def test_pixel_limit_refuses_before_decoding(kernels: ModuleType) -> None:
    """A 100000x100000 header followed by nothing raises PixelLimitError, not a decode error."""
    data = SIGNATURE + ihdr(100_000, 100_000, 8, 0)
    with pytest.raises(PixelLimitError, match=r"100000x100000 = 10000000000 pixels.*16777216"):
        kernels.decode_png(data, LIMIT)


def test_pixel_limit_boundary(kernels: ModuleType) -> None:
    """Exactly max_pixels decodes; one fewer allowed pixel refuses."""
    assert kernels.decode_png(GOOD, 2).shape == (1, 2)
    with pytest.raises(PixelLimitError):
        kernels.decode_png(GOOD, 1)


def test_facade_default_limit_is_4096_squared() -> None:
    """The public default refuses 4097x4096 and reads a 4096x4096 header past the limit check."""
    with pytest.raises(PixelLimitError):
        masks.decode_png(SIGNATURE + ihdr(4097, 4096, 8, 0))
    with pytest.raises(MaskDecodeError) as info:
        masks.decode_png(SIGNATURE + ihdr(4096, 4096, 8, 0))
    assert info.type is MaskDecodeError
    assert masks.decode_png(GOOD, max_pixels=2**70).shape == (1, 2)


# --- the facade --------------------------------------------------------------------------------


def test_facade_accepts_bytes_like() -> None:
    """bytes, bytearray and memoryview all decode the same."""
    for data in (GOOD, bytearray(GOOD), memoryview(GOOD)):
        assert masks.decode_png(data).tolist() == [[1, 2]]  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("data", "max_pixels", "message"),
    [
        ("not bytes", LIMIT, "bytes-like.*str"),
        (12, LIMIT, "bytes-like.*int"),
        (GOOD, 0, "positive"),
        (GOOD, -5, "positive"),
        (GOOD, 1.5, "max_pixels must be an integer"),
        (GOOD, True, "max_pixels must be an integer"),
    ],
)
def test_facade_rejects_bad_arguments(data: object, max_pixels: object, message: str) -> None:
    """Non-bytes data and non-positive or non-integer limits raise KernelInputError."""
    with pytest.raises(KernelInputError, match=message):
        masks.decode_png(data, max_pixels=max_pixels)  # type: ignore[arg-type]


def test_result_is_a_fresh_writeable_array(kernels: ModuleType) -> None:
    """The result owns its memory: writing to it is allowed and changes nothing else."""
    out = kernels.decode_png(GOOD, LIMIT)
    out[0, 0] = 99
    assert kernels.decode_png(GOOD, LIMIT).tolist() == [[1, 2]]
