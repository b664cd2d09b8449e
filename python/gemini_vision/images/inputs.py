"""Image inputs for requests: bytes, paths, files, Pillow images and NumPy arrays (I1, I6).

``image_part(value)`` turns any of those into an ``ImagePart``: the bytes to
send inline, their MIME type (sniffed, never guessed from a file name), the
stored pixel size read from the header, the EXIF orientation, and the
*display size*, which is the size to convert the model's boxes with.

Orientation policy (I6). Encoded bytes (``bytes``, a path, a file object) are
sent unchanged by default -- re-encoding a JPEG loses quality and the caller
may want the original -- and ``apply_orientation=True`` rotates them upright
first (decoded and re-encoded with Pillow, in the same format, EXIF dropped).
A ``PIL.Image`` is re-encoded anyway, so its EXIF orientation is applied by
default (``apply_orientation=False`` keeps the pixels and the tag). A NumPy
array has no EXIF: its orientation is 1. HEIF/HEIC orientation (``irot``,
``imir``) is part of the format and every decoder applies it, so those bytes
are never re-encoded; the part still reports it.

Pillow and NumPy are imported only when a Pillow image or an array is given
or orientation has to be applied.

>>> import struct
>>> ihdr = struct.pack(">IIBBBBB", 64, 48, 8, 2, 0, 0, 0)
>>> part = image_part(b"\\x89PNG\\r\\n\\x1a\\n" + struct.pack(">I", 13) + b"IHDR" + ihdr + bytes(4))
>>> part
ImagePart(mime_type='image/png', size=(64, 48), orientation=1, display_size=(64, 48), 33 bytes)
>>> part.to_json()["inlineData"]["mimeType"]
'image/png'
"""

from __future__ import annotations

import base64
import io
import os
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from gemini_vision.errors import LocalError
from gemini_vision.images.exif import display_size
from gemini_vision.images.headers import ImageHeader, read_header, webp_is_lossless
from gemini_vision.images.sniff import check_declared_mime_type, normalize_mime_type
from gemini_vision.wire.content import Part, register_part_converter

if TYPE_CHECKING:
    from PIL import Image

__all__ = ["ImagePart", "image_part"]

# Pillow's format names for the MIME types it can write.
_PIL_FORMATS = {"image/png": "PNG", "image/jpeg": "JPEG", "image/webp": "WEBP"}
_JPEG_QUALITY = 95  # re-encoding is a last resort; keep it visually lossless


@dataclass(frozen=True, slots=True, repr=False)
class ImagePart:
    """An image ready to send inline, with what is needed to read the answer about it.

    Attributes:
        data: the encoded image bytes that will be sent.
        mime_type: their MIME type, one of ``SUPPORTED_MIME_TYPES``.
        width, height: the pixel size of ``data`` as stored.
        orientation: the EXIF orientation (1–8) of the *source*; 1 when upright or unknown.
        orientation_applied: whether ``data`` was rotated upright (then its own
            orientation is 1 and its stored size is the display size).
        source: where it came from (a path, ``"bytes"``, ``"array"``, a URL...), for messages.

    >>> p = ImagePart(b"...", "image/jpeg", 4000, 3000, orientation=6)
    >>> p.display_size  # convert the answer's boxes with this size
    (3000, 4000)
    """

    data: bytes
    mime_type: str
    width: int
    height: int
    orientation: int = 1
    orientation_applied: bool = False
    source: str = "bytes"

    @property
    def size(self) -> tuple[int, int]:
        """The (width, height) of ``data`` as stored."""
        return (self.width, self.height)

    @property
    def display_size(self) -> tuple[int, int]:
        """The upright (width, height): the size to convert the model's boxes and points with."""
        if self.orientation_applied:
            return self.size
        return display_size(self.width, self.height, self.orientation)

    @property
    def encoded_size(self) -> int:
        """How many bytes the base64 text of ``data`` takes in a request body.

        >>> ImagePart(b"12345", "image/png", 1, 1).encoded_size
        8
        """
        return 4 * ((len(self.data) + 2) // 3)

    def to_json(self) -> dict[str, Any]:
        """The ``Part`` JSON object (camelCase, as on the wire).

        >>> ImagePart(b"ab", "image/png", 1, 1).to_json()
        {'inlineData': {'mimeType': 'image/png', 'data': 'YWI='}}
        """
        data = base64.b64encode(self.data).decode("ascii")
        return {"inlineData": {"mimeType": self.mime_type, "data": data}}

    def to_part(self) -> Part:
        """The wire ``Part`` (``inlineData``) that carries this image in a request.

        >>> ImagePart(b"ab", "image/png", 1, 1).to_part().to_json()
        {'inlineData': {'mimeType': 'image/png', 'data': 'YWI='}}
        """
        return Part.from_bytes(self.data, self.mime_type)

    def with_source(self, source: str) -> ImagePart:
        """A copy that names a different source (for example the URL it was fetched from)."""
        return ImagePart(
            self.data,
            self.mime_type,
            self.width,
            self.height,
            self.orientation,
            self.orientation_applied,
            source,
        )

    def __repr__(self) -> str:
        return (
            f"ImagePart(mime_type={self.mime_type!r}, size={self.size}, "
            f"orientation={self.orientation}, display_size={self.display_size}, "
            f"{len(self.data)} bytes)"
        )


def _from_encoded(
    data: bytes, mime_type: str | None, apply_orientation: bool, source: str
) -> ImagePart:
    header = read_header(data)
    sent_type = check_declared_mime_type(mime_type, header.mime_type)
    heif = header.mime_type in ("image/heic", "image/heif")
    if not apply_orientation or header.orientation == 1 or heif:
        return ImagePart(
            data, sent_type, header.width, header.height, header.orientation, False, source
        )
    encoded = _reencode_upright(data, header.mime_type)
    out = read_header(encoded)
    return ImagePart(
        encoded, header.mime_type, out.width, out.height, header.orientation, True, source
    )


def _reencode_upright(data: bytes, mime_type: str) -> bytes:
    """``data`` decoded, turned upright per its EXIF and encoded again in its own format.

    A JPEG keeps its quantization tables and chroma subsampling, so the second
    generation is as close to the first as re-encoding allows; a lossless WebP
    stays lossless. EXIF is not carried over.
    """
    from PIL import Image, ImageOps, JpegImagePlugin

    options: dict[str, Any] = {}
    with Image.open(io.BytesIO(data)) as image:
        if isinstance(image, JpegImagePlugin.JpegImageFile):
            options["qtables"] = image.quantization
            sampling = JpegImagePlugin.get_sampling(image)
            if sampling != -1:
                options["subsampling"] = sampling
        elif mime_type == "image/webp" and webp_is_lossless(data):
            options["lossless"] = True
        upright = ImageOps.exif_transpose(image)
    return _encode(upright, mime_type, options=options)


def _encode(
    image: Image.Image, mime_type: str, exif: Any = None, options: dict[str, Any] | None = None
) -> bytes:
    """``image`` encoded as ``mime_type`` (PNG, JPEG or WEBP), converting its mode if needed."""
    fmt = _PIL_FORMATS.get(mime_type)
    if fmt is None:
        raise LocalError(
            f"mime_type: cannot encode an image as {mime_type}; choose image/png, "
            "image/jpeg or image/webp"
        )
    has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    if fmt == "JPEG" and image.mode not in ("L", "RGB", "CMYK"):
        image = image.convert("RGB")
    elif fmt != "JPEG" and image.mode not in ("1", "L", "LA", "P", "RGB", "RGBA", "I;16"):
        image = image.convert("RGBA" if has_alpha else "RGB")
    options = dict(options or {})
    if fmt in ("JPEG", "WEBP") and not ({"quality", "qtables", "lossless"} & options.keys()):
        options["quality"] = _JPEG_QUALITY
    if exif is not None:
        options["exif"] = exif
    out = io.BytesIO()
    image.save(out, format=fmt, **options)
    return out.getvalue()


def _from_pil(
    image: Image.Image, mime_type: str | None, apply_orientation: bool, source: str
) -> ImagePart:
    from PIL import Image as PILImage
    from PIL import ImageOps

    tag = image.getexif().get(0x0112, 1)
    orientation = tag if isinstance(tag, int) and 1 <= tag <= 8 else 1
    if mime_type is not None:
        target = normalize_mime_type(mime_type)
    else:
        target = "image/jpeg" if image.format == "JPEG" else "image/png"
    applied = apply_orientation and orientation != 1
    keep_exif = None
    if applied:
        image = ImageOps.exif_transpose(image)
    elif orientation != 1:
        # Keep only the orientation tag: the server may honour it, and the rest
        # of the EXIF (GPS, serial numbers) has no business in a request.
        keep_exif = PILImage.Exif()
        keep_exif[0x0112] = orientation
    encoded = _encode(image, target, keep_exif)
    header: ImageHeader = read_header(encoded)
    return ImagePart(
        encoded, header.mime_type, header.width, header.height, orientation, applied, source
    )


def _from_array(array: Any, mime_type: str | None) -> ImagePart:
    import numpy as np
    from PIL import Image

    if array.dtype != np.uint8:
        raise LocalError(f"image array: dtype must be uint8, got {array.dtype}")
    shape = tuple(array.shape)
    if len(shape) == 2:
        mode = "L"
    elif len(shape) == 3 and shape[2] in (3, 4):
        mode = "RGB" if shape[2] == 3 else "RGBA"
    else:
        raise LocalError(f"image array: shape must be (H, W), (H, W, 3) or (H, W, 4), got {shape}")
    if shape[0] == 0 or shape[1] == 0:
        raise LocalError(f"image array: height and width must be positive, got {shape}")
    image = Image.fromarray(np.ascontiguousarray(array), mode=mode)
    encoded = _encode(image, normalize_mime_type(mime_type or "image/png"))
    header = read_header(encoded)
    return ImagePart(encoded, header.mime_type, header.width, header.height, 1, False, "array")


def image_part(
    value: Any, *, mime_type: str | None = None, apply_orientation: bool | None = None
) -> ImagePart:
    """An ``ImagePart`` from bytes, a path, a binary file, a ``PIL.Image`` or a NumPy array.

    Args:
        value: encoded image bytes (``bytes``, ``bytearray``, ``memoryview``); a
            path (``str`` or ``os.PathLike``); a binary file object (anything with
            ``read()`` returning bytes); a ``PIL.Image.Image``; a NumPy ``uint8``
            array of shape (H, W), (H, W, 3) or (H, W, 4); or an ``ImagePart``.
        mime_type: for encoded inputs, the type the caller expects (an error if
            the bytes disagree); for Pillow images and arrays, the format to
            encode to (default PNG, or JPEG for a Pillow image read from a JPEG).
        apply_orientation: rotate the pixels upright per EXIF before sending;
            None means the default of the input kind (see the module docstring).

    Raises:
        LocalError: unsupported or malformed image, contradicting ``mime_type``,
            an array of the wrong dtype or shape.
        TypeError: ``value`` is none of the accepted kinds.

    >>> image_part(b"GIF89a\\x01\\x00\\x01\\x00")
    Traceback (most recent call last):
    ...
    gemini_vision.errors.LocalError: the image is GIF (image/gif), which Gemini does not accept; supported: image/png, image/jpeg, image/webp, image/heic, image/heif
    """  # noqa: E501
    if isinstance(value, ImagePart):
        if mime_type is not None:
            check_declared_mime_type(mime_type, value.mime_type)
        if apply_orientation and not value.orientation_applied and value.orientation != 1:
            return _from_encoded(value.data, mime_type, True, value.source)
        return value
    if isinstance(value, (bytes, bytearray, memoryview)):
        return _from_encoded(bytes(value), mime_type, bool(apply_orientation), "bytes")
    if isinstance(value, (str, os.PathLike)):
        path = os.fspath(value)
        with open(path, "rb") as handle:
            data = handle.read()
        return _from_encoded(data, mime_type, bool(apply_orientation), str(path))
    pil = sys.modules.get("PIL.Image")
    if pil is not None and isinstance(value, pil.Image):
        source = str(getattr(value, "filename", "") or "PIL.Image")
        return _from_pil(value, mime_type, apply_orientation is not False, source)
    numpy = sys.modules.get("numpy")
    if numpy is not None and isinstance(value, numpy.ndarray):
        return _from_array(value, mime_type)
    read = getattr(value, "read", None)
    if callable(read):
        data = read()
        if not isinstance(data, (bytes, bytearray)):
            raise LocalError(
                "image file: read() returned text; open the file in binary mode ('rb')"
            )
        source = str(getattr(value, "name", "file"))
        return _from_encoded(bytes(data), mime_type, bool(apply_orientation), source)
    raise TypeError(
        f"cannot make an image part from {type(value).__name__}; pass bytes, a path, "
        "a binary file, a PIL.Image or a uint8 NumPy array"
    )


def _image_to_part(value: Any) -> Part:
    return image_part(value).to_part()


# The fallback of wire's to_part: a value no other rule takes is read as an image.
# Registered here, in the layer above wire, so wire never imports images.
register_part_converter(object, _image_to_part)
