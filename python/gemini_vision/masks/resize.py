"""Resize and threshold of grey masks, exact to Pillow's BILINEAR (SPEC M2, M3).

Every function checks its arguments (shape, dtype, ranges) and raises
``KernelInputError`` with a sentence that names the argument, so both backends
only ever see well-formed input and behave the same.

>>> import numpy as np
>>> resize_bilinear(np.array([[0, 255]], dtype=np.uint8), (4, 1)).tolist()
[[0, 64, 191, 255]]
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from gemini_vision._backend import kernels
from gemini_vision.errors import KernelInputError
from gemini_vision.masks.checks import as_int

__all__ = ["as_mask", "installed_pillow_order", "resize_bilinear", "resize_threshold", "threshold"]


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
    return kernels.threshold(as_mask(mask), as_int("threshold", threshold, None, None))


def _as_size(size: Any) -> tuple[int, int]:
    """``size`` as ``(width, height)`` positive ints, or ``KernelInputError``."""
    try:
        width, height = size
    except (TypeError, ValueError):
        raise KernelInputError(f"size must be a (width, height) pair, got {size!r}") from None
    width, height = (
        as_int("size width", width, None, None),
        as_int("size height", height, None, None),
    )
    if width < 1 or height < 1:
        raise KernelInputError(f"size must be positive, got (width, height) = ({width}, {height})")
    return width, height


def _as_pillow(pillow: Any) -> int:
    """The Pillow major version whose pass order to follow: 12 or 13."""
    major = as_int("pillow", pillow, None, None)
    if major not in (12, 13):
        raise KernelInputError(
            "pillow must be 12 (the pass order of Pillow 12) or 13 (that of Pillow 13), "
            f"got {major}"
        )
    return major


def _as_nonempty_mask(mask: Any) -> npt.NDArray[np.uint8]:
    arr = as_mask(mask)
    if arr.size == 0:
        raise KernelInputError(f"cannot resize an empty mask (shape {arr.shape})")
    return arr


def resize_bilinear(mask: Any, size: Any, *, pillow: int = 13) -> npt.NDArray[np.uint8]:
    """Resize a grey mask exactly as Pillow's BILINEAR resize does (SPEC M2).

    Byte for byte the result of
    ``Image.fromarray(mask).resize(size, Image.Resampling.BILINEAR)`` on mode "L".

    Args:
        mask: 2-D uint8 array, not empty (other integer arrays with values 0..255,
            and bool arrays as 0/255, are accepted).
        size: ``(width, height)`` of the result, as Pillow takes it; both >= 1.
        pillow: 13 follows Pillow 13's pass order (the vertical pass first when
            the height shrinks more than twice as much as the width), 12 that of
            Pillow 12 (horizontal first, unless the mask is over 100 times taller
            than wide and shrinks in height). They differ by ±1 on some pixels.
            Pillow <= 12.1 matches 12 except on such very tall masks.

    Returns:
        A uint8 array of shape ``(height, width)``.

    Raises:
        KernelInputError: a bad mask, size or ``pillow`` value; the message says which.

    >>> import numpy as np
    >>> resize_bilinear(np.array([[0, 100]], dtype=np.uint8), (4, 1)).tolist()
    [[0, 25, 75, 100]]
    """
    arr = _as_nonempty_mask(mask)
    width, height = _as_size(size)
    return kernels.resize_bilinear(arr, width, height, _as_pillow(pillow))


def resize_threshold(
    mask: Any, size: Any, threshold: int = 127, *, pillow: int = 13
) -> npt.NDArray[np.bool_]:
    """``resize_bilinear(mask, size, pillow=pillow) > threshold`` in one step (SPEC M2, M3).

    The threshold is applied inside the resize's last pass, so no resized grey
    image is written; the result is the same as resizing, then thresholding.

    Args:
        mask: as for ``resize_bilinear``.
        size: ``(width, height)`` of the result.
        threshold: 127 is the documented midpoint; -1 keeps every pixel, 255 none.
        pillow: 12 or 13, as for ``resize_bilinear``.

    Returns:
        A bool array of shape ``(height, width)``.

    Raises:
        KernelInputError: a bad mask, size, threshold or ``pillow`` value.

    >>> import numpy as np
    >>> resize_threshold(np.array([[0, 255]], dtype=np.uint8), (4, 1)).tolist()
    [[False, False, True, True]]
    """
    arr = _as_nonempty_mask(mask)
    width, height = _as_size(size)
    # Beyond a byte's range every threshold acts like -1 or 255.
    t = min(max(as_int("threshold", threshold, None, None), -1), 255)
    return kernels.resize_bilinear_threshold(arr, width, height, t, _as_pillow(pillow))


def installed_pillow_order() -> int:
    """The ``pillow=`` value (12 or 13) that matches the installed Pillow's pass order.

    Meant for tests and for callers who want the installed Pillow's bytes
    rather than those of a fixed version. Imports Pillow.

    >>> installed_pillow_order() in (12, 13)
    True
    """
    import PIL

    return 13 if int(PIL.__version__.split(".")[0]) >= 13 else 12
