"""PNG decode to 8-bit grey, exact to Pillow's ``convert("L")`` (SPEC M1).

>>> DEFAULT_MAX_PIXELS
16777216
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from gemini_vision._backend import kernels
from gemini_vision.errors import KernelInputError
from gemini_vision.masks.checks import as_int

__all__ = ["DEFAULT_MAX_PIXELS", "NO_PIXEL_LIMIT", "decode_png"]

#: The default pixel limit of ``decode_png`` (SPEC M1): 4096 x 4096.
DEFAULT_MAX_PIXELS = 4096 * 4096
# Any PNG has fewer than 2^62 pixels (each side < 2^31): a larger limit means none.
NO_PIXEL_LIMIT = 2**62


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
    limit = as_int("max_pixels", max_pixels, None, None)
    if limit < 1:
        raise KernelInputError(f"max_pixels must be a positive integer, got {limit}")
    return kernels.decode_png(data, min(limit, NO_PIXEL_LIMIT))
