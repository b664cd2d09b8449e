"""Box-local masks placed in a frame (SPEC M4): paste, union, label map, full masks.

A mask is a small bool array for the inside of its pixel box plus the box's
top-left corner ``(x0, y0)`` in the frame. Boxes may lie partly or wholly
outside the frame; every function clips them. Pasting is a logical OR (off
pixels of a mask are transparent); in a label map later masks win where masks
overlap, as later layers lie on top in an overlay.

>>> import numpy as np
>>> from gemini_vision import masks
>>> masks.union([np.ones((1, 2), bool)], [(1, 0)], (2, 3)).astype(int).tolist()
[[0, 1, 1], [0, 0, 0]]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from gemini_vision._backend import kernels
from gemini_vision.errors import KernelInputError
from gemini_vision.masks.checks import (
    as_bool_mask,
    as_bool_masks,
    as_offset,
    as_offsets,
    as_shape,
)

__all__ = ["full_masks", "label_map", "paste", "union"]


def paste(
    frame: Any, mask: Any, offset: Sequence[int], *, inplace: bool = False
) -> npt.NDArray[np.bool_]:
    """OR a box-local mask into a frame at ``offset = (x0, y0)``, clipped to the frame.

    Args:
        frame: 2-D bool frame (or 0/1 integers).
        mask: 2-D bool box-local mask (or 0/1 integers).
        offset: the frame column and row of the mask's top-left pixel; may be negative.
        inplace: write into ``frame`` itself (it must then be a C-contiguous,
            writeable bool array) instead of a copy.

    Returns:
        The frame with the mask's on pixels set.

    Raises:
        KernelInputError: a wrong shape or dtype, or ``inplace`` on an array
            that cannot be written in place.

    >>> import numpy as np
    >>> paste(np.zeros((2, 2), bool), np.ones((2, 2), bool), (1, -1)).astype(int).tolist()
    [[0, 1], [0, 0]]
    """
    x0, y0 = as_offset("offset", offset)
    m = as_bool_mask(mask)
    if inplace:
        if not (
            isinstance(frame, np.ndarray)
            and frame.dtype == np.bool_
            and frame.ndim == 2
            and frame.flags.c_contiguous
            and frame.flags.writeable
        ):
            raise KernelInputError(
                "inplace=True needs frame to be a writeable C-contiguous 2-D bool array"
            )
        out = frame
        if np.shares_memory(out, m):
            m = m.copy()
    else:
        out = as_bool_mask(frame, "frame").copy()
    kernels.paste(out, m, x0, y0)
    return out


def _prepare(
    masks: Any, offsets: Any, shape: Sequence[int]
) -> tuple[list[npt.NDArray[np.bool_]], npt.NDArray[np.int64], int, int]:
    ms = as_bool_masks(masks)
    return (ms, as_offsets(offsets, len(ms)), *as_shape("shape", shape))


def union(masks: Any, offsets: Any, shape: Sequence[int]) -> npt.NDArray[np.bool_]:
    """The union of box-local masks as one ``shape = (height, width)`` bool frame.

    Args:
        masks: a sequence of 2-D bool masks.
        offsets: one ``(x0, y0)`` per mask.
        shape: the frame's ``(height, width)`` (NumPy order).

    Raises:
        KernelInputError: mismatched lengths, a wrong shape or dtype.

    >>> import numpy as np
    >>> union([np.ones((1, 1), bool)] * 2, [(0, 0), (1, 1)], (2, 2)).astype(int).tolist()
    [[1, 0], [0, 1]]
    """
    ms, offs, h, w = _prepare(masks, offsets, shape)
    return kernels.union(ms, offs, h, w)


def label_map(masks: Any, offsets: Any, shape: Sequence[int]) -> npt.NDArray[np.int32]:
    """An int32 ``(height, width)`` map: ``i + 1`` where mask ``i`` is on, 0 elsewhere.

    Where masks overlap the later one wins (as in an overlay, later lies on top).

    >>> import numpy as np
    >>> label_map([np.ones((1, 2), bool), np.ones((1, 1), bool)], [(0, 0), (1, 0)], (1, 3)).tolist()
    [[1, 2, 0]]
    """
    ms, offs, h, w = _prepare(masks, offsets, shape)
    return kernels.label_map(ms, offs, h, w)


def full_masks(masks: Any, offsets: Any, shape: Sequence[int]) -> npt.NDArray[np.bool_]:
    """Each mask in its own empty frame: an ``(n, height, width)`` bool array.

    >>> import numpy as np
    >>> full_masks([np.ones((1, 1), bool)], [(1, 0)], (1, 2)).astype(int).tolist()
    [[[0, 1]]]
    """
    ms, offs, h, w = _prepare(masks, offsets, shape)
    return kernels.full_masks(ms, offs, h, w)
