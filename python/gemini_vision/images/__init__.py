"""Images in requests: inputs, type sniffing, header sizes, orientation, limits (I1–I6).

Everything here works on bytes in memory and performs no network I/O (reading
a path the caller names is the only file access). Pillow and NumPy are
imported only when a Pillow image or an array is given, or when orientation
has to be applied to encoded bytes.

>>> from gemini_vision import images
>>> images.SUPPORTED_MIME_TYPES
('image/png', 'image/jpeg', 'image/webp', 'image/heic', 'image/heif')
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gemini_vision.images.exif import display_size, orientation_from_exif
from gemini_vision.images.fetch import MAX_FETCH_BYTES, build_image_fetch, parse_image_fetch
from gemini_vision.images.headers import ImageHeader, read_header
from gemini_vision.images.inputs import ImagePart, image_part
from gemini_vision.images.sniff import (
    SUPPORTED_MIME_TYPES,
    check_declared_mime_type,
    describe_bytes,
    sniff_mime_type,
)

if TYPE_CHECKING:
    from gemini_vision.images.limits import (
        DEFAULT_INLINE_BUDGET,
        MAX_IMAGES_PER_REQUEST,
        MAX_REQUEST_BYTES,
        UploadDecision,
        UploadPlan,
        check_request_limits,
        count_image_parts,
        plan_uploads,
    )

#: Names of ``images.limits``, which loads on first use: the client's import
#: (which imports this package for its inputs) does not pay for the limits'
#: dataclasses before a request is built (issue 15).
_LAZY = {
    "DEFAULT_INLINE_BUDGET",
    "MAX_IMAGES_PER_REQUEST",
    "MAX_REQUEST_BYTES",
    "UploadDecision",
    "UploadPlan",
    "check_request_limits",
    "count_image_parts",
    "plan_uploads",
}

__all__ = [
    "DEFAULT_INLINE_BUDGET",
    "MAX_FETCH_BYTES",
    "MAX_IMAGES_PER_REQUEST",
    "MAX_REQUEST_BYTES",
    "SUPPORTED_MIME_TYPES",
    "ImageHeader",
    "ImagePart",
    "UploadDecision",
    "UploadPlan",
    "build_image_fetch",
    "check_declared_mime_type",
    "check_request_limits",
    "count_image_parts",
    "describe_bytes",
    "display_size",
    "image_part",
    "orientation_from_exif",
    "parse_image_fetch",
    "plan_uploads",
    "read_header",
    "sniff_mime_type",
]


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'gemini_vision.images' has no attribute {name!r}")
    import gemini_vision.images.limits as limits

    value = getattr(limits, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})
