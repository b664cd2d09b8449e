"""Which image format a byte string holds, from its magic bytes (I2).

Gemini accepts five image MIME types: PNG, JPEG, WEBP, HEIC and HEIF. This
module looks only at the first bytes of the data (never decodes pixels) and
either names one of those five or raises ``LocalError`` naming what the bytes
look like instead (GIF, BMP, TIFF, AVIF, text, ...) and the supported list.

HEIC and HEIF share one container (ISO base media, an ``ftyp`` box first);
they differ by the *brands* the ``ftyp`` box lists. The decision, per brand:

* ``heic heix hevc hevx heim heis hevm hevs`` (HEVC-coded images and
  sequences) -> ``image/heic``;
* ``mif1 msf1 mif2 miaf`` (the codec-neutral structural brands) -> decided by
  the other brands listed: a HEVC brand makes it ``image/heic``, an AVIF
  brand makes it AVIF (refused), otherwise ``image/heif``;
* ``avci avcs jpeg j2ki j2is vvic vvis`` (HEIF with another image codec) ->
  ``image/heif``;
* ``avif avis`` -> AVIF, which Gemini does not list: refused;
* anything else (``isom``, ``mp42``, ``qt  ``, ``crx ``, ...) is a video or
  another ISO-media file: refused, naming the brand.

The major brand is looked at first; compatible brands only when the major
brand is a structural one (so an AVIF file that also lists ``mif1`` is AVIF).

>>> sniff_mime_type(b"\\x89PNG\\r\\n\\x1a\\n" + bytes(8))
'image/png'
>>> sniff_mime_type(b"GIF89a...")
Traceback (most recent call last):
...
gemini_vision.errors.LocalError: the image is GIF (image/gif), which Gemini does not accept; supported: image/png, image/jpeg, image/webp, image/heic, image/heif
"""  # noqa: E501

from __future__ import annotations

import struct

from gemini_vision.errors import LocalError

__all__ = [
    "SUPPORTED_MIME_TYPES",
    "check_declared_mime_type",
    "describe_bytes",
    "ftyp_brands",
    "normalize_mime_type",
    "sniff_mime_type",
]

#: The image MIME types Gemini accepts, in the order the guide lists them.
SUPPORTED_MIME_TYPES: tuple[str, ...] = (
    "image/png",
    "image/jpeg",
    "image/webp",
    "image/heic",
    "image/heif",
)

_HEVC_BRANDS = frozenset({b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"hevm", b"hevs"})
_STRUCTURAL_BRANDS = frozenset({b"mif1", b"msf1", b"mif2", b"miaf"})
_OTHER_HEIF_BRANDS = frozenset({b"avci", b"avcs", b"jpeg", b"j2ki", b"j2is", b"vvic", b"vvis"})
_AVIF_BRANDS = frozenset({b"avif", b"avis"})

# Names users write that mean a supported type (``image/jpg`` is a common slip).
_MIME_ALIASES = {"image/jpg": "image/jpeg", "image/pjpeg": "image/jpeg", "image/x-png": "image/png"}

# Magic prefixes of formats we recognise only to name them in the error.
_UNSUPPORTED_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"GIF87a", "GIF (image/gif)"),
    (b"GIF89a", "GIF (image/gif)"),
    (b"BM", "BMP (image/bmp)"),
    (b"II*\x00", "TIFF (image/tiff)"),
    (b"MM\x00*", "TIFF (image/tiff)"),
    (b"\x00\x00\x01\x00", "ICO (image/x-icon)"),
    (b"8BPS", "Photoshop (image/vnd.adobe.photoshop)"),
    (b"%PDF", "PDF (application/pdf)"),
    (b"\xff\x0a", "JPEG XL (image/jxl)"),
    (b"\x00\x00\x00\x0cJXL \r\n\x87\n", "JPEG XL (image/jxl)"),
    (b"\x00\x00\x00\x0cjP  \r\n\x87\n", "JPEG 2000 (image/jp2)"),
    (b"qoif", "QOI (image/qoi)"),
    (b"PK\x03\x04", "a ZIP archive (application/zip)"),
    (b"\x1f\x8b", "gzip data (application/gzip)"),
)


def ftyp_brands(data: bytes) -> tuple[bytes, list[bytes]] | None:
    """The major and compatible brands of a leading ``ftyp`` box, or None if there is none.

    >>> ftyp_brands(b"\\x00\\x00\\x00\\x18ftypheic\\x00\\x00\\x00\\x00mif1heic")
    (b'heic', [b'mif1', b'heic'])
    """
    if len(data) < 16 or data[4:8] != b"ftyp":
        return None
    (size,) = struct.unpack(">I", data[:4])
    # A truncated or lying size still lets us read the brands that are present.
    end = min(size, len(data)) if size >= 16 else 16
    compatible = [data[i : i + 4] for i in range(16, end - 3, 4)]
    return data[8:12], compatible


def _heif_family(major: bytes, compatible: list[bytes]) -> str:
    """``image/heic``, ``image/heif``, or a description of an unsupported ISO-media type."""
    if major in _HEVC_BRANDS:
        return "image/heic"
    if major in _AVIF_BRANDS:
        return "AVIF (image/avif)"
    if major in _OTHER_HEIF_BRANDS:
        return "image/heif"
    if major in _STRUCTURAL_BRANDS:
        brands = set(compatible)
        if brands & _HEVC_BRANDS:
            return "image/heic"
        if brands & _AVIF_BRANDS:
            return "AVIF (image/avif)"
        return "image/heif"
    label = major.decode("latin-1")
    if major in (b"qt  ",):
        return f"a QuickTime movie (ftyp brand {label!r}, video/quicktime)"
    if major.startswith(b"crx"):
        return f"a Canon raw image (ftyp brand {label!r})"
    return f"an ISO media file such as MP4 video (ftyp brand {label!r})"


def describe_bytes(data: bytes) -> str:
    """A MIME type if ``data`` is a supported image, else a short description of what it is.

    >>> describe_bytes(b"")
    'empty data (0 bytes)'
    >>> describe_bytes(b"<svg xmlns='http://www.w3.org/2000/svg'/>")
    'SVG/XML text (image/svg+xml)'
    """
    if not data:
        return "empty data (0 bytes)"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"RIFF") and len(data) >= 12:
        kind = data[8:12]
        if kind == b"WEBP":
            return "image/webp"
        return f"a RIFF file of kind {kind.decode('latin-1')!r} (not WEBP)"
    brands = ftyp_brands(data)
    if brands is not None:
        return _heif_family(*brands)
    for magic, name in _UNSUPPORTED_MAGIC:
        if data.startswith(magic):
            return name
    return _describe_unknown(data)


def _describe_unknown(data: bytes) -> str:
    head = data[:512]
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        # A multi-byte character cut at the 512-byte boundary is still text.
        try:
            text = head[:-3].decode("utf-8") if len(head) > 3 else ""
        except UnicodeDecodeError:
            text = ""
    if text and all(c.isprintable() or c in "\r\n\t" for c in text):
        stripped = text.lstrip().lower()
        if stripped.startswith("<svg") or (stripped.startswith("<?xml") and "<svg" in stripped):
            return "SVG/XML text (image/svg+xml)"
        if stripped.startswith(("<!doctype html", "<html")):
            return "an HTML page (text/html)"
        if stripped.startswith(("{", "[")):
            return "JSON text (application/json)"
        return "text (text/plain)"
    return f"unrecognised binary data starting with {data[:8].hex(' ')}"


def sniff_mime_type(data: bytes) -> str:
    """The MIME type of an image Gemini accepts, from its magic bytes.

    Raises:
        LocalError: the bytes are not PNG, JPEG, WEBP, HEIC or HEIF; the message
            names what they look like and lists the supported types.

    >>> sniff_mime_type(b"RIFF\\x00\\x00\\x00\\x00WEBPVP8 ")
    'image/webp'
    >>> sniff_mime_type(b"\\x00\\x00\\x00\\x10ftypmif1\\x00\\x00\\x00\\x00")
    'image/heif'
    """
    found = describe_bytes(data)
    if found in SUPPORTED_MIME_TYPES:
        return found
    raise LocalError(
        f"the image is {found}, which Gemini does not accept; "
        f"supported: {', '.join(SUPPORTED_MIME_TYPES)}"
    )


def normalize_mime_type(mime_type: str) -> str:
    """A user-given MIME type, lower case, without parameters, with common aliases resolved.

    >>> normalize_mime_type("Image/JPG; charset=binary")
    'image/jpeg'
    """
    base = mime_type.split(";", 1)[0].strip().lower()
    return _MIME_ALIASES.get(base, base)


def check_declared_mime_type(declared: str | None, sniffed: str) -> str:
    """The MIME type to send: the sniffed one, unless the caller's agrees and refines it.

    ``image/heic`` and ``image/heif`` are interchangeable here (HEIC *is* a HEIF
    profile and brand lists are not always conclusive), so a caller's choice
    between the two is kept.

    Raises:
        LocalError: the declared type contradicts the bytes.

    >>> check_declared_mime_type("image/jpg", "image/jpeg")
    'image/jpeg'
    >>> check_declared_mime_type("image/heif", "image/heic")
    'image/heif'
    >>> check_declared_mime_type("image/png", "image/jpeg")
    Traceback (most recent call last):
    ...
    gemini_vision.errors.LocalError: mime_type: 'image/png' was given but the bytes are image/jpeg
    """
    if declared is None:
        return sniffed
    wanted = normalize_mime_type(declared)
    heif_family = {"image/heic", "image/heif"}
    if wanted == sniffed or (wanted in heif_family and sniffed in heif_family):
        return wanted
    if wanted not in SUPPORTED_MIME_TYPES:
        raise LocalError(
            f"mime_type: {declared!r} is not a type Gemini accepts "
            f"(supported: {', '.join(SUPPORTED_MIME_TYPES)}); the bytes are {sniffed}"
        )
    raise LocalError(f"mime_type: {declared!r} was given but the bytes are {sniffed}")
