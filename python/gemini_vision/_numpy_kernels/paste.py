"""Box-local masks in a frame (SPEC M4), the NumPy twin of ``rust/paste.rs``.

A mask is a 2-D bool array whose top-left pixel sits at column ``x0``, row
``y0`` of the frame; boxes may lie partly or wholly outside and are clipped.
Pasting is a logical OR; in a label map later masks win.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from gemini_vision._numpy_kernels.alloc import zeros
from gemini_vision.errors import KernelInputError

__all__ = ["clip", "full_masks", "label_map", "paste", "union"]

Window = tuple[slice, slice, slice, slice]


def _axis(start: int, length: int, limit: int) -> tuple[int, int, int] | None:
    lo = max(start, 0)
    hi = min(start + length, limit)
    if hi <= lo:
        return None
    return lo, lo - start, hi - lo


def clip(shape: tuple[int, ...], x0: int, y0: int, height: int, width: int) -> Window | None:
    """(frame rows, frame cols, mask rows, mask cols) slices where a mask of
    ``shape`` at (x0, y0) overlaps a ``height x width`` frame, or None."""
    xs = _axis(int(x0), int(shape[1]), width)
    ys = _axis(int(y0), int(shape[0]), height)
    if xs is None or ys is None:
        return None
    (fx, mx, w), (fy, my, h) = xs, ys
    return slice(fy, fy + h), slice(fx, fx + w), slice(my, my + h), slice(mx, mx + w)


def _offsets(masks: Sequence[npt.NDArray[np.bool_]], offsets: npt.NDArray[np.int64]) -> None:
    if np.shape(offsets) != (len(masks), 2):
        raise KernelInputError(
            f"offsets must have shape ({len(masks)}, 2), got {np.shape(offsets)}"
        )


def paste(frame: npt.NDArray[np.bool_], mask: npt.NDArray[np.bool_], x0: int, y0: int) -> None:
    """OR ``mask`` into ``frame`` (in place) at column ``x0``, row ``y0``, clipped."""
    win = clip(mask.shape, x0, y0, frame.shape[0], frame.shape[1])
    if win is not None:
        fy, fx, my, mx = win
        frame[fy, fx] |= mask[my, mx]


def union(
    masks: Sequence[npt.NDArray[np.bool_]],
    offsets: npt.NDArray[np.int64],
    height: int,
    width: int,
) -> npt.NDArray[np.bool_]:
    """The union of the masks as a ``height x width`` bool frame."""
    _offsets(masks, offsets)
    frame = zeros((height, width), np.bool_, "the union frame")
    for mask, (x0, y0) in zip(masks, offsets.tolist(), strict=True):
        paste(frame, mask, x0, y0)
    return frame


def label_map(
    masks: Sequence[npt.NDArray[np.bool_]],
    offsets: npt.NDArray[np.int64],
    height: int,
    width: int,
) -> npt.NDArray[np.int32]:
    """An int32 map: ``i + 1`` where mask ``i`` is on (later masks win), else 0."""
    _offsets(masks, offsets)
    labels = zeros((height, width), np.int32, "the label map")
    for i, (mask, (x0, y0)) in enumerate(zip(masks, offsets.tolist(), strict=True)):
        win = clip(mask.shape, x0, y0, height, width)
        if win is not None:
            fy, fx, my, mx = win
            region = labels[fy, fx]
            region[mask[my, mx]] = i + 1
    return labels


def full_masks(
    masks: Sequence[npt.NDArray[np.bool_]],
    offsets: npt.NDArray[np.int64],
    height: int,
    width: int,
) -> npt.NDArray[np.bool_]:
    """Each mask in its own empty frame: an ``n x height x width`` bool array."""
    _offsets(masks, offsets)
    out = zeros((len(masks), height, width), np.bool_, "the full masks")
    for plane, mask, (x0, y0) in zip(out, masks, offsets.tolist(), strict=True):
        paste(plane, mask, x0, y0)
    return out
