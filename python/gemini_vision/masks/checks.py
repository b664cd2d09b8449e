"""Argument checks shared by the mask facades: each returns the canonical form
the kernels expect or raises ``KernelInputError`` with a sentence naming the
argument, so both backends only ever see well-formed input.

>>> as_offset("offset", (3, -2))
(3, -2)
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from gemini_vision import errors
from gemini_vision.errors import KernelInputError

__all__ = [
    "MAX_FRAME_PIXELS",
    "as_bool_mask",
    "as_bool_masks",
    "as_int",
    "as_offset",
    "as_offsets",
    "as_shape",
]

# The largest frame the mask functions build (a 65536 x 65536 image).
MAX_FRAME_PIXELS = 2**32

# Offsets and sizes must fit the kernels' int64 arithmetic with room to add them.
_LIMIT = 2**62


def as_int(name: str, value: Any, lo: int | None = -_LIMIT, hi: int | None = _LIMIT) -> int:
    """``value`` as a Python int in ``lo..hi``, refusing bools, floats and strings.

    ``None`` for a bound means no bound on that side.

    >>> as_int("x", 3), as_int("x", 2**100, hi=None)
    (3, 1267650600228229401496703205376)
    """
    if isinstance(value, np.bool_):  # not a Python bool, and not an integer either
        raise KernelInputError(f"{name} must be an integer, got a bool")
    return errors.as_int(name, value, lo=lo, hi=hi, error=KernelInputError)


def as_bool_mask(mask: Any, name: str = "mask") -> npt.NDArray[np.bool_]:
    """A C-contiguous 2-D bool array from a bool array, or an integer one holding only 0 and 1.

    A grey probability map is refused rather than read as "non-zero is on":
    threshold it first (``masks.threshold``).

    >>> as_bool_mask([[0, 1]]).tolist()
    [[False, True]]
    """
    arr = np.asarray(mask)
    if arr.ndim != 2:
        raise KernelInputError(f"{name} must be 2-D (height, width), got shape {arr.shape}")
    if arr.dtype != np.bool_:
        if not np.issubdtype(arr.dtype, np.integer):
            raise KernelInputError(f"{name} must be a bool array, got dtype {arr.dtype}")
        if arr.size and (arr.min() < 0 or arr.max() > 1):
            raise KernelInputError(
                f"{name} must be a bool array or hold only 0 and 1; "
                "threshold a grey mask first (masks.threshold)"
            )
        arr = arr.astype(np.bool_)
    return np.ascontiguousarray(arr)


def as_bool_masks(masks: Iterable[Any], name: str = "masks") -> list[npt.NDArray[np.bool_]]:
    """Each mask of ``masks`` checked by :func:`as_bool_mask`.

    >>> len(as_bool_masks([[[True]], [[0, 1]]]))
    2
    """
    if isinstance(masks, np.ndarray) and masks.ndim == 3:
        return [as_bool_mask(m, f"{name}[{i}]") for i, m in enumerate(masks)]
    if isinstance(masks, (str, bytes, np.ndarray)) or not isinstance(masks, Iterable):
        raise KernelInputError(f"{name} must be a sequence of 2-D masks")
    return [as_bool_mask(m, f"{name}[{i}]") for i, m in enumerate(masks)]


def as_offset(name: str, value: Any) -> tuple[int, int]:
    """An ``(x0, y0)`` pair of ints.

    >>> as_offset("offset", [1, 2])
    (1, 2)
    """
    try:
        x0, y0 = value
    except (TypeError, ValueError):
        raise KernelInputError(f"{name} must be an (x0, y0) pair, got {value!r}") from None
    return as_int(f"{name} x0", x0), as_int(f"{name} y0", y0)


def as_offsets(value: Any, n: int, name: str = "offsets") -> npt.NDArray[np.int64]:
    """``n`` offsets as an ``(n, 2)`` int64 array of ``(x0, y0)``.

    >>> as_offsets([(1, 2), (3, 4)], 2).tolist()
    [[1, 2], [3, 4]]
    """
    if isinstance(value, np.ndarray) and value.ndim == 2 and value.shape[1] == 2:
        if not np.issubdtype(value.dtype, np.integer) or value.dtype == np.uint64:
            raise KernelInputError(f"{name} must hold integers, got dtype {value.dtype}")
        rows: Sequence[Any] = value.tolist()
    elif isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise KernelInputError(f"{name} must be a sequence of (x0, y0) pairs")
    else:
        rows = list(value)
    if len(rows) != n:
        raise KernelInputError(f"{name} has {len(rows)} entries for {n} masks")
    pairs = [as_offset(f"{name}[{i}]", row) for i, row in enumerate(rows)]
    return np.array(pairs, dtype=np.int64).reshape(n, 2)


def as_shape(name: str, value: Any) -> tuple[int, int]:
    """A frame shape ``(height, width)`` of non-negative ints, at most 2**32 pixels.

    >>> as_shape("shape", (1080, 1920))
    (1080, 1920)
    """
    try:
        h, w = value
    except (TypeError, ValueError):
        raise KernelInputError(f"{name} must be a (height, width) pair, got {value!r}") from None
    height, width = as_int(f"{name} height", h, 0, 2**31), as_int(f"{name} width", w, 0, 2**31)
    if height * width > MAX_FRAME_PIXELS:
        raise KernelInputError(
            f"{name} {height}x{width} has more than {MAX_FRAME_PIXELS} pixels (2**32)"
        )
    return height, width
