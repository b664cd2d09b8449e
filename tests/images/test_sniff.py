"""MIME sniffing from magic bytes (I2): the supported five, named refusals, declared types."""

from __future__ import annotations

import pytest

from gemini_vision.errors import LocalError
from gemini_vision.images import SUPPORTED_MIME_TYPES, check_declared_mime_type, sniff_mime_type
from gemini_vision.images.sniff import describe_bytes, ftyp_brands
from tests.image_samples import encode, ftyp, gradient


@pytest.mark.parametrize(
    ("fmt", "options", "expected"),
    [
        ("PNG", {}, "image/png"),
        ("JPEG", {}, "image/jpeg"),
        ("JPEG", {"progressive": True}, "image/jpeg"),
        ("WEBP", {"lossless": True}, "image/webp"),
        ("WEBP", {"quality": 70}, "image/webp"),
    ],
)
def test_pillow_files_of_supported_types_are_recognised(
    fmt: str, options: dict[str, object], expected: str
) -> None:
    """Files Pillow writes in a supported format sniff as that format."""
    assert sniff_mime_type(encode(gradient(9, 7), fmt, **options)) == expected


@pytest.mark.parametrize(
    ("fmt", "named"),
    [("GIF", "GIF"), ("BMP", "BMP"), ("TIFF", "TIFF"), ("ICO", "ICO"), ("PDF", "PDF")],
)
def test_pillow_files_of_unsupported_types_are_refused_by_name(fmt: str, named: str) -> None:
    """Unsupported formats are a LocalError naming the detected type and the supported list."""
    with pytest.raises(LocalError) as info:
        sniff_mime_type(encode(gradient(9, 7), fmt))
    message = str(info.value)
    assert named in message
    for mime in SUPPORTED_MIME_TYPES:
        assert mime in message


@pytest.mark.parametrize(
    ("data", "named"),
    [
        (b"", "empty data"),
        (b"hello, world\n", "text"),
        ("ünïcode text".encode(), "text"),
        (b"<!DOCTYPE html><html></html>", "HTML"),
        (b'{"error": "nope"}', "JSON"),
        (b"<?xml version='1.0'?><svg/>", "SVG"),
        (b"RIFF\x00\x00\x00\x00WAVEfmt ", "RIFF file of kind 'WAVE'"),
        (b"\x00\x01\x02\x03\xfe\xfd\xfc\xfb\xfa", "unrecognised binary data"),
        (b"\xff\x0a\x00", "JPEG XL"),
        (b"\x00\x00\x00\x0cjP  \r\n\x87\n\x00", "JPEG 2000"),
    ],
)
def test_other_bytes_are_refused_with_a_description(data: bytes, named: str) -> None:
    """Empty data, text and other binary formats are refused, saying what they look like."""
    with pytest.raises(LocalError, match="Gemini does not accept") as info:
        sniff_mime_type(data)
    assert named in str(info.value)


@pytest.mark.parametrize(
    ("major", "compatible", "expected"),
    [
        (b"heic", [b"mif1", b"heic"], "image/heic"),
        (b"heix", [b"mif1", b"heix"], "image/heic"),
        (b"hevc", [b"msf1", b"hevc"], "image/heic"),
        (b"hevx", [b"msf1"], "image/heic"),
        (b"heim", [b"mif1"], "image/heic"),
        (b"heis", [b"mif1"], "image/heic"),
        (b"mif1", [b"mif1", b"heic"], "image/heic"),
        (b"msf1", [b"hevc"], "image/heic"),
        (b"mif1", [b"mif1"], "image/heif"),
        (b"mif1", [], "image/heif"),
        (b"msf1", [b"msf1", b"iso8"], "image/heif"),
        (b"miaf", [b"mif1"], "image/heif"),
        (b"avci", [b"mif1"], "image/heif"),
        (b"jpeg", [b"mif1"], "image/heif"),
    ],
)
def test_heif_brands_decide_heic_or_heif(
    major: bytes, compatible: list[bytes], expected: str
) -> None:
    """HEVC brands mean image/heic; structural brands without a codec brand mean image/heif."""
    data = ftyp(major, *compatible) + bytes(16)
    assert sniff_mime_type(data) == expected


@pytest.mark.parametrize(
    ("major", "compatible", "named"),
    [
        (b"avif", [b"mif1", b"avif"], "AVIF"),
        (b"avis", [b"msf1"], "AVIF"),
        (b"mif1", [b"avif", b"mif1"], "AVIF"),
        (b"isom", [b"iso2", b"mp41"], "MP4"),
        (b"mp42", [b"isom"], "'mp42'"),
        (b"qt  ", [b"qt  "], "QuickTime"),
        (b"crx ", [b"isom"], "Canon raw"),
    ],
)
def test_other_iso_media_brands_are_refused(
    major: bytes, compatible: list[bytes], named: str
) -> None:
    """AVIF and video containers share HEIF's box format but are not accepted."""
    with pytest.raises(LocalError) as info:
        sniff_mime_type(ftyp(major, *compatible) + bytes(16))
    assert named in str(info.value)


def test_ftyp_brands_tolerate_a_size_that_overruns_the_data() -> None:
    """A lying ftyp size reads the brands that are there and nothing beyond."""
    data = b"\x00\x00\x10\x00ftypmif1\x00\x00\x00\x00heic"
    assert ftyp_brands(data) == (b"mif1", [b"heic"])
    assert describe_bytes(data) == "image/heic"


@pytest.mark.parametrize(
    ("declared", "sniffed", "sent"),
    [
        ("image/png", "image/png", "image/png"),
        ("IMAGE/JPEG", "image/jpeg", "image/jpeg"),
        ("image/jpg", "image/jpeg", "image/jpeg"),
        ("image/jpeg; q=1", "image/jpeg", "image/jpeg"),
        ("image/heic", "image/heif", "image/heic"),
        (None, "image/webp", "image/webp"),
    ],
)
def test_declared_types_that_agree_are_kept(declared: str | None, sniffed: str, sent: str) -> None:
    """A declared type equal to the sniffed one (modulo case, aliases, HEIC/HEIF) is used."""
    assert check_declared_mime_type(declared, sniffed) == sent


@pytest.mark.parametrize(
    ("declared", "sniffed"),
    [("image/png", "image/jpeg"), ("image/webp", "image/heic"), ("image/gif", "image/png")],
)
def test_declared_types_that_contradict_the_bytes_are_errors(declared: str, sniffed: str) -> None:
    """A declared type that contradicts the bytes is a LocalError naming both."""
    with pytest.raises(LocalError) as info:
        check_declared_mime_type(declared, sniffed)
    assert declared in str(info.value)
    assert sniffed in str(info.value)
