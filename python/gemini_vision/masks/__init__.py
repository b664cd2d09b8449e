"""Mask kernels: validate once, then dispatch to the Rust or the NumPy backend.

One module per concern, every public name re-exported here:

- ``png``: ``decode_png`` (SPEC M1);
- ``resize``: ``resize_bilinear``, ``resize_threshold``, ``threshold`` (M2, M3);
- ``paste``: ``paste``, ``union``, ``label_map``, ``full_masks`` (M4);
- ``overlay``: ``overlay`` (M5);
- ``rle``: COCO RLE, box and mask IoU (M6);
- ``pipeline``: ``decode_masks``, the fused base64 -> mask pipeline (M7);
- ``checks``: the argument checks the others share.

Every function checks its arguments (shape, dtype, ranges) and raises
``KernelInputError`` with a sentence that names the argument, so both backends
only ever see well-formed input and behave the same.

>>> import numpy as np
>>> from gemini_vision import masks
>>> masks.threshold(np.array([[0, 127, 128, 255]], dtype=np.uint8)).tolist()
[[False, False, True, True]]
"""

from __future__ import annotations

from gemini_vision.masks.overlay import overlay
from gemini_vision.masks.paste import full_masks, label_map, paste, union
from gemini_vision.masks.pipeline import MaskFailure, MaskItem, MaskResult, decode_masks
from gemini_vision.masks.png import DEFAULT_MAX_PIXELS, decode_png
from gemini_vision.masks.resize import (
    as_mask,
    installed_pillow_order,
    resize_bilinear,
    resize_threshold,
    threshold,
)
from gemini_vision.masks.rle import (
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

__all__ = [
    "DEFAULT_MAX_PIXELS",
    "MaskFailure",
    "MaskItem",
    "MaskResult",
    "Rle",
    "as_mask",
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
