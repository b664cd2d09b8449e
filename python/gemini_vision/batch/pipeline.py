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
import numpy.typing as npt

from gemini_vision._backend import kernels
from gemini_vision.masks import MaskFailure

# Past this a limit is no limit (as in ``masks.decode_png``).
from gemini_vision.masks.png import NO_PIXEL_LIMIT as _NO_LIMIT
from gemini_vision.spatial.decode import Limits

__all__ = ["Job", "Lane", "encode", "fast_columns"]


class Lane(NamedTuple):
    """The fast lane's output for some records (``records_to_columns``; see ``records.rs``).

    ``taken`` and ``cut`` have one entry per record (``cut``: 0, or where a
    taken answer was cut off: 1 after an item, 2 inside the next one, which
    the row of the record notes as the general parser does); the rest one
    per row of the taken records: the record's position among those given, the item's index, the
    pixel box (rows, 4), the labels and the compressed RLE counts as offsets
    into UTF-8 bytes (no counts for a box), whether the row is a segment (it
    had a mask) and its area.
    """

    taken: npt.NDArray[np.bool_]
    cut: npt.NDArray[np.uint8]
    record: npt.NDArray[np.int64]
    item: npt.NDArray[np.int32]
    boxes: npt.NDArray[np.int32]
    label_offsets: npt.NDArray[np.int64]
    label_data: npt.NDArray[np.uint8]
    counts_offsets: npt.NDArray[np.int64]
    counts_data: npt.NDArray[np.uint8]
    segment: npt.NDArray[np.bool_]
    area: npt.NDArray[np.int64]


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


def fast_columns(
    answers: Sequence[str],
    sizes: npt.NDArray[np.int64],
    *,
    threshold: int,
    pillow: int,
    limits: Limits,
    threads: int | None,
) -> Lane:
    """The fast lane over answer texts with ``sizes[i] = (width, height)``.

    The lane (``records_to_columns``: Rust, or its NumPy twin) takes the answers
    that are a plain JSON list of ``box_2d``/``label``/``mask`` objects, bare or
    in one fenced block (or cut off after an item or anywhere inside one), within
    ``limits`` and with no item an exact copy of another, and makes their
    items and masks in one call — with the Rust backend without the GIL, masks
    spread over threads — as the output's columns. Whatever it takes gives the
    rows the general parser would (a cut-off answer's notes are the caller's to
    write, from ``cut``); it leaves the rest (``taken`` False).

    >>> from gemini_vision.spatial import Limits
    >>> lane = fast_columns(['[{"box_2d": [0, 0, 500, 500], "label": "a"}]', "Nothing here"],
    ...                     np.array([(4, 2), (4, 2)]), threshold=127, pillow=13,
    ...                     limits=Limits(), threads=1)
    >>> lane.taken.tolist(), lane.boxes.tolist(), lane.area.tolist()
    ([True, False], [[0, 0, 2, 1]], [2])
    """
    return Lane(
        *kernels.records_to_columns(
            answers,
            np.asarray(sizes, dtype=np.int64).reshape(-1, 2),
            min(max(threshold, -1), 255),
            pillow,
            min(max(limits.max_png_pixels, 0), _NO_LIMIT),
            min(max(limits.max_mask_pixels, 0), _NO_LIMIT),
            min(max(limits.max_decoded_bytes, 0), _NO_LIMIT),
            min(max(limits.max_answer_bytes, 0), _NO_LIMIT),
            min(max(limits.max_items, 0), _NO_LIMIT),
            0 if threads is None else threads,
        )
    )
