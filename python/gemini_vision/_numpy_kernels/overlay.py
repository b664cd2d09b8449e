"""Colour masks alpha-composited onto an RGB(A) image (SPEC M5), the NumPy twin
of ``rust/overlay.rs``: Pillow's ``alpha_composite`` integer arithmetic, applied
to the mask's pixels only."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from gemini_vision._numpy_kernels.paste import clip
from gemini_vision.errors import KernelInputError

__all__ = ["overlay"]

_ALL_ALPHAS = np.arange(256, dtype=np.uint32)


def _coefficients(
    sa: int,
) -> tuple[npt.NDArray[np.uint32], npt.NDArray[np.uint32], npt.NDArray[np.uint8]]:
    """(c1, c2, out alpha) of a source alpha ``sa`` over every destination alpha."""
    outa255 = np.uint32(sa * 255) + _ALL_ALPHAS * np.uint32(255 - sa)
    c1 = np.uint32(sa * 255 * 255 * 128) // outa255
    c2 = np.uint32(255 * 128) - c1
    u = outa255 + np.uint32(0x80)
    alpha = (((u >> 8) + u) >> 8).astype(np.uint8)
    return c1, c2, alpha


def overlay(
    image: npt.NDArray[np.uint8],
    masks: Sequence[npt.NDArray[np.bool_]],
    offsets: npt.NDArray[np.int64],
    colors: npt.NDArray[np.uint8],
) -> None:
    """Composite ``colors[i]`` (RGBA) through ``masks[i]``, in order, onto
    ``image`` (``h x w x 3|4`` uint8), in place."""
    if image.ndim != 3 or image.shape[2] not in (3, 4):
        raise KernelInputError(
            f"image must have 3 (RGB) or 4 (RGBA) channels, got shape {image.shape}"
        )
    if np.shape(offsets) != (len(masks), 2):
        raise KernelInputError(
            f"offsets must have shape ({len(masks)}, 2), got {np.shape(offsets)}"
        )
    if np.shape(colors) != (len(masks), 4):
        raise KernelInputError(f"colors must have shape ({len(masks)}, 4), got {np.shape(colors)}")
    height, width, channels = image.shape
    for mask, (x0, y0), rgba in zip(masks, offsets.tolist(), colors.tolist(), strict=True):
        win = clip(mask.shape, x0, y0, height, width)
        if rgba[3] == 0 or win is None:
            continue
        fy, fx, my, mx = win
        region = image[fy, fx]
        on = mask[my, mx]
        pixels = region[on].astype(np.uint32)
        c1_by_alpha, c2_by_alpha, a_by_alpha = _coefficients(rgba[3])
        dest_alpha = pixels[:, 3] if channels == 4 else np.full(len(pixels), 255)
        c1 = c1_by_alpha[dest_alpha][:, None]
        c2 = c2_by_alpha[dest_alpha][:, None]
        t = np.asarray(rgba[:3], dtype=np.uint32) * c1 + pixels[:, :3] * c2 + np.uint32(128 << 7)
        pixels[:, :3] = (((t >> 8) + t) >> 8) >> 7
        if channels == 4:
            pixels[:, 3] = a_by_alpha[dest_alpha]
        region[on] = pixels.astype(np.uint8)
