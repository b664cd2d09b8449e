"""Mask kernels: validate once, then dispatch to the Rust or the NumPy backend.

Every function here checks its arguments (shape, dtype, ranges) and raises
``KernelInputError`` with a sentence that names the argument, so both backends
only ever see well-formed input and behave the same.

>>> import numpy as np
>>> from gemini_vision import masks
>>> masks.threshold(np.array([[0, 127, 128, 255]], dtype=np.uint8)).tolist()
[[False, False, True, True]]
"""

from __future__ import annotations

import operator
from typing import Any

import numpy as np
import numpy.typing as npt

from gemini_vision._backend import kernels
from gemini_vision.errors import KernelInputError

__all__ = ["threshold"]


def _as_int(name: str, value: Any) -> int:
    """``value`` as a Python int, refusing bools, floats and strings."""
    if isinstance(value, bool):
        raise KernelInputError(f"{name} must be an integer, got a bool")
    try:
        return operator.index(value)
    except TypeError:
        raise KernelInputError(
            f"{name} must be an integer, got {type(value).__name__} {value!r}"
        ) from None


def as_mask(mask: Any, name: str = "mask") -> npt.NDArray[np.uint8]:
    """A C-contiguous 2-D uint8 view (or copy) of ``mask``, or ``KernelInputError``.

    >>> as_mask([[1, 2], [3, 4]]).dtype
    dtype('uint8')
    """
    arr = np.asarray(mask)
    if arr.ndim != 2:
        raise KernelInputError(f"{name} must be 2-D (height, width), got shape {arr.shape}")
    if arr.dtype != np.uint8:
        if arr.dtype == np.bool_:
            arr = arr.astype(np.uint8) * np.uint8(255)
        elif np.issubdtype(arr.dtype, np.integer) and (
            arr.size == 0 or (arr.min() >= 0 and arr.max() <= 255)
        ):
            arr = arr.astype(np.uint8)
        else:
            raise KernelInputError(f"{name} must hold uint8 values 0..255, got dtype {arr.dtype}")
    return np.ascontiguousarray(arr)


def threshold(mask: Any, threshold: int = 127) -> npt.NDArray[np.bool_]:
    """Binarize a grey mask: ``mask > threshold`` (SPEC M3).

    Args:
        mask: 2-D uint8 array (other integer arrays with values 0..255 are accepted).
        threshold: 127 is the documented midpoint; -1 keeps every pixel, 255 none.

    Returns:
        A bool array of the same shape.

    Raises:
        KernelInputError: ``mask`` is not 2-D uint8, or ``threshold`` is not an int.

    >>> import numpy as np
    >>> threshold(np.array([[100, 200]], dtype=np.uint8), 150).tolist()
    [[False, True]]
    """
    return kernels.threshold(as_mask(mask), _as_int("threshold", threshold))
