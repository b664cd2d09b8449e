"""Hypothesis strategies shared by the test modules."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

# --- box-local masks in a frame (paste, overlay, RLE) ---------------------------------


@st.composite
def bool_masks(draw: st.DrawFn, max_side: int = 12) -> np.ndarray:
    """A 2-D bool mask, sometimes empty, sometimes all on, usually random."""
    h = draw(st.integers(0, max_side))
    w = draw(st.integers(0, max_side))
    fill = draw(st.sampled_from(["random", "random", "random", "on", "off"]))
    if fill == "on":
        return np.ones((h, w), dtype=np.bool_)
    if fill == "off":
        return np.zeros((h, w), dtype=np.bool_)
    return draw(hnp.arrays(np.bool_, (h, w)))


@st.composite
def placed_masks(
    draw: st.DrawFn, max_masks: int = 5, max_frame: int = 20
) -> tuple[list[np.ndarray], list[tuple[int, int]], tuple[int, int]]:
    """(masks, offsets (x0, y0), frame shape (h, w)); boxes may hang over any edge."""
    h = draw(st.integers(0, max_frame))
    w = draw(st.integers(0, max_frame))
    n = draw(st.integers(0, max_masks))
    masks = [draw(bool_masks()) for _ in range(n)]
    offsets = [(draw(st.integers(-14, w + 2)), draw(st.integers(-14, h + 2))) for _ in range(n)]
    return masks, offsets, (h, w)


def reference_paste(frame: np.ndarray, mask: np.ndarray, x0: int, y0: int) -> None:
    """Pixel by pixel: set the frame pixel under every on pixel of the mask that lands inside."""
    h, w = frame.shape
    for y, x in zip(*np.nonzero(mask), strict=True):
        fy, fx = int(y) + y0, int(x) + x0
        if 0 <= fy < h and 0 <= fx < w:
            frame[fy, fx] = True


def reference_full(mask: np.ndarray, x0: int, y0: int, shape: tuple[int, int]) -> np.ndarray:
    """The mask alone in an empty frame, by :func:`reference_paste`."""
    frame = np.zeros(shape, dtype=np.bool_)
    reference_paste(frame, mask, x0, y0)
    return frame


# --- images and colours (overlay) ----------------------------------------------------


@st.composite
def overlay_cases(
    draw: st.DrawFn,
) -> tuple[np.ndarray, list[np.ndarray], list[tuple[int, int]], np.ndarray]:
    """(image h x w x 3|4, masks, offsets, RGBA colours (n, 4)); alphas include 0 and 255."""
    ms, offsets, (h, w) = draw(placed_masks(max_masks=4, max_frame=16))
    channels = draw(st.sampled_from([3, 4]))
    image = draw(hnp.arrays(np.uint8, (h, w, channels)))
    if channels == 4 and draw(st.booleans()):
        # Mostly opaque with some translucent pixels: both paths of the kernel.
        image[..., 3] = np.where(image[..., 3] < 64, image[..., 3], 255)
    alpha = st.one_of(st.sampled_from([0, 1, 128, 200, 254, 255]), st.integers(0, 255))
    colours = np.array(
        [[*draw(st.tuples(*[st.integers(0, 255)] * 3)), draw(alpha)] for _ in ms],
        dtype=np.uint8,
    ).reshape(len(ms), 4)
    return image, ms, offsets, colours
