"""The guide's request limits, checked before sending, and the inline-or-upload plan (I4).

The image-understanding guide says: inline image data is for requests whose
*total* size (images, base64-encoded, plus the prompt) stays under 20 MB; use
the Files API above that; and a request may carry at most 3,600 image files.
The guide does not say whether "MB" means 10^6 or 2^20 bytes; we take the
smaller, 20,000,000 bytes, so that a request we let through is never refused
for size by the server.

``check_request_limits(request)`` applies both rules to a built
``HttpRequest`` (the client calls it before every generate, stream and count
call). ``plan_uploads(images)`` decides, per image, whether to send it inline
or upload it first: it keeps as many images inline as fit in the budget,
smallest first, so the fewest (and largest) images go through the Files API.

>>> plan = plan_uploads([4_000_000, 9_000_000, 12_000_000])
>>> [d.action for d in plan.decisions]
['inline', 'inline', 'upload']
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from gemini_vision.errors import LocalError
from gemini_vision.images.inputs import ImagePart
from gemini_vision.wire.http import HttpRequest

__all__ = [
    "DEFAULT_INLINE_BUDGET",
    "MAX_IMAGES_PER_REQUEST",
    "MAX_REQUEST_BYTES",
    "PART_OVERHEAD",
    "PROMPT_RESERVE",
    "UploadDecision",
    "UploadPlan",
    "check_request_limits",
    "count_image_parts",
    "plan_uploads",
]

#: A request body of this many bytes or more is refused before sending.
MAX_REQUEST_BYTES = 20_000_000
#: At most this many images (inline or file references) in one request.
MAX_IMAGES_PER_REQUEST = 3_600
#: JSON around one inline image: ``{"inlineData": {"mimeType": "image/jpeg", "data": ""}},``.
PART_OVERHEAD = 64
#: Room ``plan_uploads`` leaves by default for the prompt, other parts and the config.
PROMPT_RESERVE = 256 * 1024
#: The default budget for inline image parts.
DEFAULT_INLINE_BUDGET = MAX_REQUEST_BYTES - 1 - PROMPT_RESERVE

_FILES_API_HINT = "upload the images with the Files API and pass file references instead"


def count_image_parts(body: Any) -> int:
    """How many image parts (``inlineData`` or ``fileData`` with an ``image/*`` type) a body has.

    >>> count_image_parts({"contents": [{"parts": [
    ...     {"text": "hi"}, {"inlineData": {"mimeType": "image/png", "data": ""}},
    ...     {"fileData": {"mimeType": "image/jpeg", "fileUri": "u"}}]}]})
    2
    """
    count = 0
    contents = body.get("contents", []) if isinstance(body, dict) else []
    for content in contents if isinstance(contents, list) else []:
        parts = content.get("parts", []) if isinstance(content, dict) else []
        for part in parts if isinstance(parts, list) else []:
            if not isinstance(part, dict):
                continue
            blob = part.get("inlineData") or part.get("fileData")
            if isinstance(blob, dict) and str(blob.get("mimeType", "")).startswith("image/"):
                count += 1
    return count


def check_request_limits(request: HttpRequest, *, max_bytes: int = MAX_REQUEST_BYTES) -> None:
    """Refuse a request the server would refuse for its size or its number of images.

    Raises:
        LocalError: the body is ``max_bytes`` or larger, or it carries more
            than 3,600 images; the message points at the Files API.

    >>> check_request_limits(HttpRequest("POST", "https://h/m:generateContent", body=b"{}"))
    >>> check_request_limits(HttpRequest("POST", "https://h/x", body=b"{}"), max_bytes=2)
    Traceback (most recent call last):
    ...
    gemini_vision.errors.LocalError: request body: 2 bytes reaches the inline limit of 2 bytes (20 MB for Gemini); upload the images with the Files API and pass file references instead
    """  # noqa: E501
    size = len(request.body)
    if size >= max_bytes:
        raise LocalError(
            f"request body: {size} bytes reaches the inline limit of {max_bytes} bytes "
            f"(20 MB for Gemini); {_FILES_API_HINT}"
        )
    if b'"inlineData"' not in request.body and b'"fileData"' not in request.body:
        return  # no image parts: skip parsing the body
    try:
        body = json.loads(request.body)
    except ValueError:
        return  # not ours to judge; the server will say
    images = count_image_parts(body)
    if images > MAX_IMAGES_PER_REQUEST:
        raise LocalError(
            f"contents: {images} images in one request; at most "
            f"{MAX_IMAGES_PER_REQUEST} are allowed; split the request"
        )


@dataclass(frozen=True, slots=True)
class UploadDecision:
    """What to do with one image: send it ``"inline"`` or ``"upload"`` it first."""

    index: int
    action: Literal["inline", "upload"]
    request_bytes: int  # what the image adds to a request body when sent inline


@dataclass(frozen=True, slots=True)
class UploadPlan:
    """Per-image decisions, in input order, and the inline bytes they add up to."""

    decisions: tuple[UploadDecision, ...]
    inline_bytes: int
    budget: int

    @property
    def inline(self) -> list[int]:
        """Indices of the images to send inline."""
        return [d.index for d in self.decisions if d.action == "inline"]

    @property
    def uploads(self) -> list[int]:
        """Indices of the images to upload with the Files API first."""
        return [d.index for d in self.decisions if d.action == "upload"]


def _request_bytes(item: ImagePart | bytes | int) -> int:
    if isinstance(item, ImagePart):
        return item.encoded_size + PART_OVERHEAD
    if isinstance(item, (bytes, bytearray, memoryview)):
        return 4 * ((len(item) + 2) // 3) + PART_OVERHEAD
    if isinstance(item, int) and not isinstance(item, bool) and item >= 0:
        return 4 * ((item + 2) // 3) + PART_OVERHEAD
    raise TypeError(
        f"plan_uploads: expected ImagePart, bytes or a byte count, got {type(item).__name__}"
    )


def plan_uploads(
    images: Iterable[ImagePart | bytes | int], *, budget: int = DEFAULT_INLINE_BUDGET
) -> UploadPlan:
    """Decide per image whether to send it inline or upload it first.

    Args:
        images: ``ImagePart`` values, raw image bytes, or raw byte counts.
        budget: request bytes available to inline images (by default 20 MB
            minus 256 KiB for the prompt and the rest of the request).

    Raises:
        LocalError: more than 3,600 images (not one request, even with uploads).

    >>> plan = plan_uploads([10, 30_000_000], budget=1000)
    >>> plan.inline, plan.uploads
    ([0], [1])
    """
    sizes: Sequence[int] = [_request_bytes(item) for item in images]
    if len(sizes) > MAX_IMAGES_PER_REQUEST:
        raise LocalError(
            f"images: {len(sizes)} images cannot go in one request (at most "
            f"{MAX_IMAGES_PER_REQUEST}, uploaded or not); split them over several requests"
        )
    actions: list[Literal["inline", "upload"]] = ["upload"] * len(sizes)
    used = 0
    # Smallest first keeps the most images inline and sends the biggest to the Files API.
    for index in sorted(range(len(sizes)), key=lambda i: (sizes[i], i)):
        if used + sizes[index] > budget:
            break
        used += sizes[index]
        actions[index] = "inline"
    decisions = tuple(UploadDecision(i, actions[i], sizes[i]) for i in range(len(sizes)))
    return UploadPlan(decisions, used, budget)
