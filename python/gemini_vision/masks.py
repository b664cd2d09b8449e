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
from gemini_vision._masks.overlay import overlay
from gemini_vision._masks.paste import full_masks, label_map, paste, union
from gemini_vision._masks.pipeline import MaskFailure, MaskItem, MaskResult, decode_masks
from gemini_vision._masks.rle import (
    Rle,
    box_iou,
    mask_bbox,
    mask_iou,
    rle_decode,
    rle_encode,
    rle_encode_many,
    rle_from_string,
    rle_to_string,
)
from gemini_vision.errors import KernelInputError

__all__ = [
    "DEFAULT_MAX_PIXELS",
    "MaskFailure",
    "MaskItem",
    "MaskResult",
    "Rle",
    "box_iou",
    "decode_masks",
    "decode_png",
    "full_masks",
    "installed_pillow_order",
    "label_map",
    "mask_bbox",
    "mask_iou",
    "overlay",
    "paste",
    "resize_bilinear",
    "resize_threshold",
    "rle_decode",
    "rle_encode",
    "rle_encode_many",
    "rle_from_string",
    "rle_to_string",
    "threshold",
    "union",
]

#: The default pixel limit of ``decode_png`` (SPEC M1): 4096 x 4096.
DEFAULT_MAX_PIXELS = 4096 * 4096
# Any PNG has fewer than 2^62 pixels (each side < 2^31): a larger limit means none.
_NO_PIXEL_LIMIT = 2**62


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


def _as_size(size: Any) -> tuple[int, int]:
    """``size`` as ``(width, height)`` positive ints, or ``KernelInputError``."""
    try:
        width, height = size
    except (TypeError, ValueError):
        raise KernelInputError(f"size must be a (width, height) pair, got {size!r}") from None
    width, height = _as_int("size width", width), _as_int("size height", height)
    if width < 1 or height < 1:
        raise KernelInputError(f"size must be positive, got (width, height) = ({width}, {height})")
    return width, height


def _as_pillow(pillow: Any) -> int:
    """The Pillow major version whose pass order to follow: 12 or 13."""
    major = _as_int("pillow", pillow)
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
    t = min(max(_as_int("threshold", threshold), -1), 255)
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


def decode_png(data: bytes, *, max_pixels: int = DEFAULT_MAX_PIXELS) -> npt.NDArray[np.uint8]:
    """Decode a PNG to 8-bit grey exactly as Pillow's ``convert("L")`` does (SPEC M1, S5).

    Every colour type, bit depth and Adam7 interlacing is read. Grey samples of
    1, 2 or 4 bits are scaled to 0..255 and 16-bit grey is clipped at 255;
    colour becomes Pillow's luma ``(R*19595 + G*38470 + B*7471 + 0x8000) >> 16``
    of the high bytes; palette entries count by their colour (indices past the
    palette are black); alpha and tRNS are ignored. All chunk CRCs are checked.

    Args:
        data: the PNG file (``bytes``, ``bytearray``, ``memoryview`` or any buffer).
        max_pixels: refuse a header declaring more than this many pixels
            (width x height) before decoding anything; default 4096 x 4096.

    Returns:
        A C-contiguous uint8 array of shape (height, width).

    Raises:
        PixelLimitError: the header declares more than ``max_pixels`` pixels.
        MaskDecodeError: ``data`` is not a PNG, or is corrupt or truncated; the
            message says what is wrong.
        KernelInputError: ``data`` is not bytes-like, or ``max_pixels`` is not a
            positive integer.

    >>> import base64
    >>> png = base64.b64decode(
    ...     "iVBORw0KGgoAAAANSUhEUgAAAAIAAAABCAAAAADRSSBWAAAAC0lEQVR4nGNgaAAAAIMAgYfP7KQAAAAA"
    ...     "SUVORK5CYII="
    ... )
    >>> decode_png(png).tolist()
    [[0, 128]]
    >>> decode_png(png, max_pixels=1)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    gemini_vision.errors.PixelLimitError: PNG header declares 2x1 = 2 pixels, more than the ...
    """
    if not isinstance(data, bytes):
        if isinstance(data, str):
            raise KernelInputError("data must be bytes-like (the PNG file), got str")
        try:
            data = memoryview(data).tobytes()
        except TypeError:
            raise KernelInputError(
                f"data must be bytes-like (the PNG file), got {type(data).__name__}"
            ) from None
    limit = _as_int("max_pixels", max_pixels)
    if limit < 1:
        raise KernelInputError(f"max_pixels must be a positive integer, got {limit}")
    return kernels.decode_png(data, min(limit, _NO_PIXEL_LIMIT))
