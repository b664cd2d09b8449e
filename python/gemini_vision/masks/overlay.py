"""Colour masks alpha-composited onto an image (SPEC M5), byte for byte as Pillow.

``overlay(image, masks, offsets, colors, alpha)`` gives the same bytes as
chaining ``Image.alpha_composite(base, layer_i)`` where ``layer_i`` is
``colors[i]`` with alpha ``alpha[i]`` on mask ``i``'s pixels and transparent
elsewhere, but it only visits the masks' pixels (a table per colour replaces
Pillow's per-pixel arithmetic). An RGB image is composited as opaque RGBA and
returned as RGB (its alpha would stay 255); an RGBA image keeps its own alpha
arithmetic.

>>> import numpy as np
>>> from gemini_vision import masks
>>> img = np.zeros((1, 2, 3), np.uint8)
>>> masks.overlay(img, [np.ones((1, 1), bool)], [(1, 0)], [(255, 0, 0)], 128).tolist()
[[[0, 0, 0], [128, 0, 0]]]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from gemini_vision._backend import kernels
from gemini_vision.errors import KernelInputError
from gemini_vision.masks.checks import as_bool_masks, as_int, as_offsets

__all__ = ["overlay"]


def _as_image(image: Any) -> npt.NDArray[np.uint8]:
    arr = np.asarray(image)
    if arr.ndim != 3 or arr.shape[2] not in (3, 4):
        raise KernelInputError(
            "image must be (height, width, 3) RGB or (height, width, 4) RGBA, "
            f"got shape {arr.shape}"
        )
    if arr.dtype != np.uint8:
        raise KernelInputError(f"image must be uint8, got dtype {arr.dtype}")
    return arr


def _as_colors(colors: Any, alpha: Any, n: int) -> npt.NDArray[np.uint8]:
    """``(n, 4)`` RGBA rows from one or ``n`` RGB triples and one or ``n`` alphas."""
    try:
        rgb = np.asarray(colors)
    except (TypeError, ValueError):
        raise KernelInputError("colors must be RGB triples of ints 0..255") from None
    if rgb.size == 0 and n == 0:
        rgb = np.zeros((0, 3), dtype=np.uint8)  # no masks, no colours: nothing to draw
    elif rgb.ndim == 1:
        rgb = np.broadcast_to(rgb, (n, rgb.shape[0]))
    if rgb.ndim != 2 or rgb.shape != (n, 3):
        raise KernelInputError(
            f"colors must be one RGB triple or {n} of them, got shape {rgb.shape}"
        )
    if rgb.size and (not np.issubdtype(rgb.dtype, np.integer) or rgb.min() < 0 or rgb.max() > 255):
        raise KernelInputError("colors must hold integers 0..255")
    if isinstance(alpha, (Sequence, np.ndarray)) and not isinstance(alpha, (str, bytes)):
        alphas = [as_int(f"alpha[{i}]", a, 0, 255) for i, a in enumerate(alpha)]
        if len(alphas) != n:
            raise KernelInputError(f"alpha has {len(alphas)} values for {n} masks")
    else:
        alphas = [as_int("alpha", alpha, 0, 255)] * n
    out = np.empty((n, 4), dtype=np.uint8)
    out[:, :3] = rgb
    out[:, 3] = alphas
    return out


def overlay(
    image: Any,
    masks: Any,
    offsets: Any,
    colors: Any,
    alpha: int | Sequence[int] = 128,
    *,
    out: npt.NDArray[np.uint8] | None = None,
) -> npt.NDArray[np.uint8]:
    """Composite each mask's colour onto an RGB or RGBA uint8 image, in order.

    Args:
        image: ``(height, width, 3)`` RGB or ``(height, width, 4)`` RGBA uint8.
        masks: box-local 2-D bool masks.
        offsets: one ``(x0, y0)`` per mask (boxes may lie partly outside).
        colors: one RGB triple for all masks, or one per mask.
        alpha: the layers' opacity 0..255, one for all or one per mask.
        out: write here instead of a new array; pass ``image`` itself to draw
            in place (it must be a writeable C-contiguous uint8 array of the
            same shape).

    Returns:
        The composited image, same shape and mode as ``image``.

    Raises:
        KernelInputError: bad shapes, dtypes, colours or alphas.

    >>> import numpy as np
    >>> img = np.full((1, 1, 4), 255, np.uint8)
    >>> overlay(img, [np.ones((1, 1), bool)], [(0, 0)], [(0, 0, 0)], 255).tolist()
    [[[0, 0, 0, 255]]]
    """
    img = _as_image(image)
    ms = as_bool_masks(masks)
    offs = as_offsets(offsets, len(ms))
    rgba = _as_colors(colors, alpha, len(ms))
    if out is None:
        target = np.array(img, dtype=np.uint8, order="C", copy=True)
    else:
        if not (
            isinstance(out, np.ndarray)
            and out.dtype == np.uint8
            and out.shape == img.shape
            and out.flags.c_contiguous
            and out.flags.writeable
        ):
            raise KernelInputError(
                f"out must be a writeable C-contiguous uint8 array of shape {img.shape}"
            )
        if out is not img:
            np.copyto(out, img)
        target = out
    kernels.overlay(target, ms, offs, rgba)
    return target
