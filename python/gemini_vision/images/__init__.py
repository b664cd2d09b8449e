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

from gemini_vision.images.exif import display_size, orientation_from_exif
from gemini_vision.images.fetch import MAX_FETCH_BYTES, build_image_fetch, parse_image_fetch
from gemini_vision.images.headers import ImageHeader, read_header
from gemini_vision.images.inputs import ImagePart, image_part
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
from gemini_vision.images.sniff import (
    SUPPORTED_MIME_TYPES,
    check_declared_mime_type,
    describe_bytes,
    sniff_mime_type,
)

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
