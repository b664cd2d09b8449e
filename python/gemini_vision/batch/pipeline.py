"""Every PNG mask of a chunk of records in one kernel call: base64 -> ... -> COCO RLE.

The kernel (``png_masks_to_rle``, Rust or NumPy) runs each mask through the
fused pipeline's item function — the one ``spatial.parse`` uses through
``masks.decode_masks``: base64 -> PNG -> grey -> the Pillow-exact BILINEAR
resize to the box with the threshold fused in — and then encodes the
box-local mask straight into *its* image's frame as COCO RLE (compressed
counts) with its area. The Rust kernel releases the GIL for the whole call and
spreads the masks over threads. A mask that fails (bad base64, a corrupt PNG, a
pixel limit) comes back as the ``MaskFailure`` that ``decode_masks`` would give,
so its diagnostic reads as ``parse``'s does.

>>> png = ("iVBORw0KGgoAAAANSUhEUgAAAAIAAAABCAAAAADRSSBWAAAAC0lEQVR4nGNgaAAAAIMAgYfP7KQAAAAA"
...        "SUVORK5CYII=")
>>> jobs = [Job(png, (1, 0, 3, 1), (2, 4)), Job("%%", (0, 0, 1, 1), (2, 4))]
>>> ok, failed = encode(jobs, threshold=127, pillow=13, max_png_pixels=100, threads=1)
>>> ok, failed.error
(('413', 1), 'MaskDecodeError')
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

from gemini_vision._backend import kernels
from gemini_vision.masks import MaskFailure

# Past this a limit is no limit (as in ``masks.decode_png``).
from gemini_vision.masks.png import NO_PIXEL_LIMIT as _NO_LIMIT
from gemini_vision.spatial.decode import Limits

__all__ = ["Item", "Job", "encode", "fast_items"]


#: An item of the fast lane: (label, x0, y0, x1, y1, RLE counts or None, area).
Item = tuple[str, int, int, int, int, str | None, int]


class Job(NamedTuple):
    """One mask: base64 PNG text, its pixel box ``(x0, y0, x1, y1)``, the frame ``(h, w)``."""

    text: str
    box: tuple[int, int, int, int]
    frame: tuple[int, int]


def encode(
    jobs: Sequence[Job],
    *,
    threshold: int,
    pillow: int,
    max_png_pixels: int,
    threads: int | None,
) -> list[Any]:
    """Per job ``(compressed COCO RLE counts, area)``, or its ``MaskFailure``.

    Args:
        jobs: the masks, boxes non-empty and inside their frames.
        threshold: ``value > threshold`` (any int; clamped to -1..255, which is the same).
        pillow: 12 or 13.
        max_png_pixels: refuse a PNG whose header declares more pixels (>= 1).
        threads: threads for the masks (None: every core; 1: this thread).
    """
    if not jobs:
        return []
    boxes = np.array([job.box for job in jobs], dtype=np.int64).reshape(-1, 4)
    frames = np.array([job.frame for job in jobs], dtype=np.int64).reshape(-1, 2)
    raw = kernels.png_masks_to_rle(
        # Text that is not ASCII fails in the base64 decoder, as that mask's failure.
        [job.text.encode("utf-8", "surrogatepass") for job in jobs],
        boxes,
        frames,
        min(max(threshold, -1), 255),
        pillow,
        min(max_png_pixels, _NO_LIMIT),
        0 if threads is None else threads,
    )
    return [
        (text, area) if error is None else MaskFailure(job.box, error, text)
        for job, (error, text, area) in zip(jobs, raw, strict=True)
    ]


def fast_items(
    answers: Sequence[str],
    sizes: Sequence[tuple[int, int]],
    *,
    threshold: int,
    pillow: int,
    limits: Limits,
    threads: int | None,
) -> list[list[Item] | None]:
    """Per answer text its items through the fast lane, or None for the general parser.

    The lane (``records_to_items``: Rust, or its NumPy twin) takes the answers
    that are a plain JSON list of ``box_2d``/``label``/``mask`` objects, bare or
    in one fenced block, and makes their items and masks in one call — with
    the Rust backend without the GIL, records spread over threads. Whatever it
    takes gives the rows the general parser would; it leaves the rest.

    >>> from gemini_vision.spatial import Limits
    >>> fast_items(['[{"box_2d": [0, 0, 500, 500], "label": "a"}]', "Nothing here"],
    ...            [(4, 2), (4, 2)], threshold=127, pillow=13, limits=Limits(), threads=1)
    [[('a', 0, 0, 2, 1, None, 2)], None]
    """
    if not answers:
        return []
    # A lone surrogate survives as bytes the lane refuses (not UTF-8).
    texts = [answer.encode("utf-8", "surrogatepass") for answer in answers]
    taken = kernels.records_to_items(
        texts,
        np.array(sizes, dtype=np.int64).reshape(-1, 2),
        min(max(threshold, -1), 255),
        pillow,
        min(max(limits.max_png_pixels, 0), _NO_LIMIT),
        min(max(limits.max_mask_pixels, 0), _NO_LIMIT),
        min(max(limits.max_decoded_bytes, 0), _NO_LIMIT),
        0 if threads is None else threads,
    )
    # The lane knows no answer or item cap: an answer that reaches one goes the
    # general way, which reads up to the cap and says so.
    return [
        None
        if len(text) > limits.max_answer_bytes
        or (items is not None and len(items) > limits.max_items)
        else items
        for text, items in zip(texts, taken, strict=True)
    ]
