"""The mask stage of parsing: base64 PNG or polygon to a box-local mask (SPEC S5, R2).

For each PNG mask the documented procedure, exactly: base64-decode, decode the
PNG and convert it to 8-bit grey as Pillow's ``convert("L")`` does, resize to
the pixel box (width ``x1 - x0``, height ``y1 - y0``) as Pillow's BILINEAR
resize does, then ``value > threshold``. The kernels live in
``gemini_vision.masks``; this module adds the per-response limits that keep
memory bounded whatever the text says:

- ``max_decoded_bytes``: base64-decoded PNG bytes per response;
- ``max_png_pixels``: pixels one PNG header may declare (checked before decoding);
- ``max_mask_pixels``: box-local mask pixels per response (each costs two bytes:
  the resized grey map and the boolean mask).

A mask over a limit is skipped with a diagnostic; its item stays, as a box.

>>> Limits().max_png_pixels
16777216
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from gemini_vision import masks
from gemini_vision.masks import MaskFailure, MaskResult
from gemini_vision.spatial.diagnostics import Diagnostic
from gemini_vision.spatial.items import Draft
from gemini_vision.spatial.polygon import rasterize

__all__ = [
    "DecodedMask",
    "Limits",
    "MakeProbabilities",
    "MaskPlan",
    "PngJob",
    "decode_masks",
    "decode_pngs",
    "decoded",
    "mask_failure",
    "plan_masks",
]


@dataclass(frozen=True, slots=True)
class Limits:
    """Bounds on what one response may cost the parser, in memory and time (SPEC R2).

    Each is a cap per answer; reaching one is a diagnostic with code ``limit``,
    never an exception (see the README's "Reliability").

    Attributes:
        max_decoded_bytes: total PNG bytes the masks may decode from (64 MiB).
        max_png_pixels: pixels one mask PNG's header may declare (4096 x 4096).
        max_mask_pixels: total box pixels the masks may fill (2**27, 512 MiB of bool).
        max_answer_bytes: UTF-8 bytes of answer text read; the rest is cut off
            and read as a cut-off answer (1 MiB: four times the longest answer
            a model writes at 65,536 output tokens).
        max_items: items read from one answer; the rest are dropped (10,000).
        max_polygon_vertices: vertices of one polygon mask, all rings together;
            a larger polygon keeps its box without a mask (4,096).

    >>> Limits(max_decoded_bytes=1 << 20).max_decoded_bytes
    1048576
    """

    max_decoded_bytes: int = 64 << 20
    max_png_pixels: int = 4096 * 4096
    max_mask_pixels: int = 1 << 27
    max_answer_bytes: int = 1 << 20
    max_items: int = 10_000
    max_polygon_vertices: int = 4096


@dataclass(frozen=True, slots=True)
class DecodedMask:
    """A box-local mask and the resized grey map it was thresholded from.

    ``probabilities`` is the map, or (for a PNG mask) a function that makes it:
    the masks themselves come from the contour path, which never writes the map.
    """

    mask: npt.NDArray[np.bool_]
    probabilities: npt.NDArray[np.uint8] | Callable[[], npt.NDArray[np.uint8]]


@dataclass(frozen=True, slots=True)
class MakeProbabilities:
    """The probability map of one PNG mask, made again when first asked for.

    A module-level class rather than a closure, so that items stay picklable.
    """

    text: str
    box: tuple[int, int, int, int]
    threshold: int
    pillow: int
    max_pixels: int

    def __call__(self) -> npt.NDArray[np.uint8]:
        (result,) = masks.decode_masks(
            [(self.text, self.box)],
            threshold=self.threshold,
            pillow=self.pillow,
            threads=1,
            max_pixels=self.max_pixels,
            want_probabilities=True,
        )
        if isinstance(result, MaskFailure):
            raise result.exception()
        assert result.probabilities is not None
        return result.probabilities


def decode_masks(
    drafts: Sequence[Draft],
    *,
    threshold: int,
    pillow: int,
    limits: Limits,
    diags: list[Diagnostic],
) -> dict[int, DecodedMask]:
    """Masks for the drafts that carry one, keyed by item index.

    Drafts whose mask cannot be made (bad base64, bad PNG, a limit reached) are
    missing from the result and have a diagnostic; the caller keeps them as boxes.
    ``plan_masks``, ``decode_pngs`` and ``mask_failure`` are its steps, for
    callers that decode the PNGs of many responses at once (``gemini_vision.batch``).
    """
    plan = plan_masks(drafts, limits=limits, diags=diags)
    out = dict(plan.ready)
    results = decode_pngs(plan.png_jobs, threshold=threshold, pillow=pillow, limits=limits)
    for job, result in zip(plan.png_jobs, results, strict=True):
        if isinstance(result, MaskResult):
            out[job.index] = decoded(job, result, threshold, pillow, limits)
        else:
            diags.append(mask_failure(job.index, result))
    return out


def decoded(
    job: PngJob, result: MaskResult, threshold: int, pillow: int, limits: Limits
) -> DecodedMask:
    """A PNG job's mask, with its probability map made when first asked for."""
    if result.probabilities is not None:
        return DecodedMask(result.mask, result.probabilities)
    make = MakeProbabilities(job.text, job.box, threshold, pillow, limits.max_png_pixels)
    return DecodedMask(result.mask, make)


@dataclass(frozen=True, slots=True)
class PngJob:
    """A PNG mask still to decode: the item's index, its base64 text and pixel box."""

    index: int
    text: str
    box: tuple[int, int, int, int]


@dataclass(frozen=True, slots=True)
class MaskPlan:
    """The masks made without decoding (polygons, empty boxes) and the PNGs left to decode."""

    ready: dict[int, DecodedMask]
    png_jobs: list[PngJob]


def plan_masks(drafts: Sequence[Draft], *, limits: Limits, diags: list[Diagnostic]) -> MaskPlan:
    """Everything of ``decode_masks`` but the decoding: empty boxes, limits, polygons.

    >>> from gemini_vision.spatial.items import Draft
    >>> plan = plan_masks([Draft(0, box=(0, 0, 0, 3), mask_source="png", png_base64="x")],
    ...                   limits=Limits(), diags=[])
    >>> plan.ready[0].mask.shape, plan.png_jobs
    ((3, 0), [])
    """
    ready: dict[int, DecodedMask] = {}
    jobs: list[PngJob] = []
    budget = _Budget(limits)
    for draft in drafts:
        if draft.box is None or draft.mask_source not in ("png", "polygon"):
            continue
        x0, y0, x1, y1 = draft.box
        width, height = x1 - x0, y1 - y0
        if width <= 0 or height <= 0:
            diags.append(
                Diagnostic(
                    draft.index,
                    "note",
                    "empty_box",
                    f"item {draft.index}: the pixel box {draft.box} is empty "
                    f"({width}x{height}); the mask is empty",
                )
            )
            ready[draft.index] = _empty(max(height, 0), max(width, 0))
            continue
        if draft.polygon is not None and not _polygon_fits(draft, limits, diags):
            continue
        if not budget.take_pixels(draft.index, width * height, diags):
            continue
        if draft.polygon is not None:
            mask = rasterize(draft.polygon, draft.box)
            ready[draft.index] = DecodedMask(mask, mask.astype(np.uint8) * np.uint8(255))
            continue
        text = draft.png_base64 or ""
        # Checked before decoding, so a huge string never becomes a huge bytes object.
        if budget.take_bytes(draft.index, len(text) // 4 * 3 + 3, diags):
            jobs.append(PngJob(draft.index, text, draft.box))
    return MaskPlan(ready, jobs)


def decode_pngs(
    jobs: Sequence[PngJob],
    *,
    threshold: int,
    pillow: int,
    limits: Limits,
    threads: int | None = None,
) -> list[MaskResult | MaskFailure]:
    """Every job's mask (no probability map), or its failure, in one kernel call."""
    if not jobs:
        return []
    # One call for the whole response: the Rust backend decodes base64 and PNG,
    # resizes and thresholds every mask with the GIL released, over threads.
    # Without the probability maps the resize is fused with the threshold and
    # only the pixels near the contour are computed (about half the time).
    return masks.decode_masks(
        [(job.text, job.box) for job in jobs],
        threshold=threshold,
        pillow=pillow,
        threads=threads,
        max_pixels=limits.max_png_pixels,
    )


def mask_failure(index: int, failure: MaskFailure) -> Diagnostic:
    """The diagnostic of a PNG mask the pipeline could not decode."""
    if "base64" in failure.message:
        code, what = "mask_base64", "the mask is not valid base64"
    else:
        code, what = "mask_png", "the mask PNG cannot be decoded"
    return Diagnostic(
        index,
        "rejected",
        code,
        f"item {index}: {what} ({failure.message}); kept as a box without a mask",
    )


def _polygon_fits(draft: Draft, limits: Limits, diags: list[Diagnostic]) -> bool:
    vertices = sum(len(ring) for ring in draft.polygon or ())
    if vertices <= limits.max_polygon_vertices:
        return True
    diags.append(
        Diagnostic(
            draft.index,
            "rejected",
            "limit",
            f"item {draft.index}: its polygon has {vertices} vertices, more than the limit "
            f"of {limits.max_polygon_vertices}; kept as a box without a mask",
        )
    )
    return False


def _empty(height: int, width: int) -> DecodedMask:
    return DecodedMask(
        np.zeros((height, width), dtype=np.bool_), np.zeros((height, width), dtype=np.uint8)
    )


class _Budget:
    """What is left of the response's limits."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.bytes_left = limits.max_decoded_bytes
        self.pixels_left = limits.max_mask_pixels

    def take_pixels(self, index: int, pixels: int, diags: list[Diagnostic]) -> bool:
        if pixels > self.pixels_left:
            diags.append(
                Diagnostic(
                    index,
                    "rejected",
                    "limit",
                    f"item {index}: its {pixels}-pixel mask would pass the response's limit "
                    f"of {self.limits.max_mask_pixels} mask pixels; kept as a box without a mask",
                )
            )
            return False
        self.pixels_left -= pixels
        return True

    def take_bytes(self, index: int, size: int, diags: list[Diagnostic]) -> bool:
        if size > self.bytes_left:
            diags.append(
                Diagnostic(
                    index,
                    "rejected",
                    "limit",
                    f"item {index}: its mask's {size} PNG bytes would pass the response's "
                    f"limit of {self.limits.max_decoded_bytes} decoded bytes; "
                    "kept as a box without a mask",
                )
            )
            return False
        self.bytes_left -= size
        return True
