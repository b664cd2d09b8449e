"""Spatial understanding: what the model says about an image, as pixels (SPEC S1–S7).

``parse`` takes the model's answer (its text, or a whole generateContent
response) and the size of the image the model saw, and returns a
``SpatialResult``: boxes, points, 3D boxes and box-local masks in pixels, with
a diagnostic for everything it had to repair or drop. It never raises on what
the model wrote; it raises ``LocalError`` only for bad arguments of its own.

>>> from gemini_vision import spatial
>>> answer = '```json\\n[{"box_2d": [100, 200, 500, 600], "label": "cat"}]\\n```'
>>> result = spatial.parse(answer, (640, 480))
>>> item = result.items[0]
>>> item.kind, item.label, item.box
('box', 'cat', (128, 48, 384, 240))
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gemini_vision.errors import LocalError, as_int
from gemini_vision.spatial.dataset import CocoDataset, detections_by_image
from gemini_vision.spatial.decode import Limits, decode_pngs
from gemini_vision.spatial.diagnostics import Diagnostic
from gemini_vision.spatial.items import SpatialItem
from gemini_vision.spatial.pending import prepare
from gemini_vision.spatial.render import RenderReport, render
from gemini_vision.spatial.result import SpatialResult
from gemini_vision.wire.response import GenerateContentResponse

__all__ = [
    "CocoDataset",
    "Diagnostic",
    "Limits",
    "RenderReport",
    "SpatialItem",
    "SpatialResult",
    "check_threshold",
    "detections_by_image",
    "parse",
    "render",
]


def parse(
    text: str | Mapping[str, Any] | GenerateContentResponse,
    image_size: tuple[int, int],
    *,
    threshold: int = 127,
    pillow: int = 13,
    limits: Limits | None = None,
    duplicates: str = "keep",
    threads: int | None = None,
) -> SpatialResult:
    """Parse a model's spatial answer into pixel items (SPEC S1–S5).

    Args:
        text: the model's text, or a generateContent response (a
            ``GenerateContentResponse``, a dict, or its JSON text): then the first
            candidate's text is parsed, and a ``finishReason`` of MAX_TOKENS marks
            the result truncated.
        image_size: ``(width, height)`` of the image as the model saw it.
        threshold: mask pixels are ``value > threshold`` (127: the documented midpoint).
        pillow: 13 or 12: whose BILINEAR pass order the mask resize follows.
        limits: memory bounds per response (``Limits()`` by default).
        duplicates: "keep" (default) or "drop" an item that is an exact copy of
            an earlier one; either way it gets a ``duplicate`` diagnostic.
        threads: threads for the PNG masks (None: every core; 1: this thread).

    Returns:
        A ``SpatialResult``; ``result.diagnostics`` lists every repaired or
        dropped item with its index and the reason.

    Raises:
        LocalError: ``image_size``, ``threshold`` (0 to 255), ``pillow``,
            ``duplicates`` or ``threads`` is invalid.

    >>> r = parse('{"point": [500, 250], "label": "eye"}', (640, 480))
    >>> r.items[0].point, r.diagnostics
    ((160, 240), ())
    >>> r = parse('[{"box_2d": [0, 0, 10]}]', (10, 10))
    >>> r.items, r.diagnostics[0].code
    ((), 'wrong_length')
    """
    size = _image_size(image_size)
    threshold = as_int("threshold", threshold)
    pillow = as_int("pillow", pillow)
    if pillow not in (12, 13):
        raise LocalError(f"pillow must be 12 or 13, got {pillow}")
    check_threshold(threshold)
    if duplicates not in ("keep", "drop"):
        raise LocalError(f"duplicates must be 'keep' or 'drop', got {duplicates!r}")
    if threads is not None:
        threads = as_int("threads", threads)
        if threads < 1:
            raise LocalError(f"threads must be at least 1 (or None for every core), got {threads}")
    limits = limits or Limits()
    pending = prepare(
        text, size, threshold=threshold, pillow=pillow, limits=limits, duplicates=duplicates
    )
    return pending.finish(
        decode_pngs(
            pending.png_jobs, threshold=threshold, pillow=pillow, limits=limits, threads=threads
        )
    )


def check_threshold(threshold: int) -> None:
    """Raise ``LocalError`` unless ``0 <= threshold <= 255`` (mask pixels are value > threshold).

    >>> check_threshold(300)
    Traceback (most recent call last):
    gemini_vision.errors.LocalError: threshold must be 0 to 255 (mask pixels are value > \
threshold), got 300
    """
    if not 0 <= threshold <= 255:
        raise LocalError(
            f"threshold must be 0 to 255 (mask pixels are value > threshold), got {threshold}"
        )


def _image_size(image_size: Any) -> tuple[int, int]:
    try:
        width, height = image_size
    except (TypeError, ValueError):
        raise LocalError(f"image_size must be a (width, height) pair, got {image_size!r}") from None
    width, height = as_int("image width", width), as_int("image height", height)
    if width < 1 or height < 1:
        raise LocalError(f"image_size must be positive, got ({width}, {height})")
    return width, height
