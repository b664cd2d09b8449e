"""NumPy twin of ``rust/batch.rs``: base64 PNG masks of many records to COCO RLE.

Same name, arguments and results as the Rust kernel (``_rust.pyi``): per mask
``(None, compressed counts, area)``, or ``(error class name, message, 0)`` in its
place. Each mask runs the NumPy pipeline's item function, with its own frame.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import numpy.typing as npt

from gemini_vision._numpy_kernels.pipeline import _decode_one
from gemini_vision._numpy_kernels.rle import rle_to_string
from gemini_vision.errors import KernelInputError

__all__ = ["png_masks_to_rle"]

Result = tuple[str | None, str, int]


def png_masks_to_rle(
    data: Sequence[bytes],
    boxes: npt.NDArray[np.int64],
    frames: npt.NDArray[np.int64],
    threshold: int,
    pillow: int,
    max_pixels: int,
    threads: int,
) -> list[Result]:
    """Each mask resized to its box ``(x0, y0, x1, y1)``, thresholded, as RLE in its frame."""
    n = len(data)
    if np.shape(boxes) != (n, 4) or np.shape(frames) != (n, 2):
        raise KernelInputError(
            f"boxes must have shape ({n}, 4) and frames ({n}, 2), "
            f"got {np.shape(boxes)} and {np.shape(frames)}"
        )
    if pillow not in (12, 13):
        raise KernelInputError(f"pillow must be 12 or 13, got {pillow}")
    if threads < 0:
        raise KernelInputError(f"threads must be 0 (every core) or more, got {threads}")
    if (frames < 1).any():
        raise KernelInputError("frame sides must be positive")

    def one(item: tuple[bytes, list[int], list[int]]) -> Result:
        text, (x0, y0, x1, y1), (height, width) = item
        if x1 <= x0 or y1 <= y0:
            return "KernelInputError", f"the box {[x0, y0, x1, y1]} is empty or reversed", 0
        error, message, _, _, counts = _decode_one(
            text, (x0, y0, x1, y1), threshold, pillow, max_pixels, False, (height, width)
        )
        if error is not None or counts is None:
            return error or "GeminiVisionError", message, 0
        area = int(counts[1::2].sum(dtype=np.uint64))
        return None, rle_to_string(counts).decode("ascii"), area

    items = list(zip(data, boxes.tolist(), frames.tolist(), strict=True))
    workers = (os.cpu_count() or 1) if threads == 0 else threads
    if workers <= 1 or n <= 1:
        return [one(item) for item in items]
    with ThreadPoolExecutor(max_workers=min(workers, n)) as pool:
        return list(pool.map(one, items))
