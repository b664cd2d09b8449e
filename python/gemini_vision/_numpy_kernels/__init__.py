"""The NumPy fallback: the same kernels as the Rust extension, same names and signatures.

Chosen by ``_backend`` when the extension is missing or
``GEMINI_VISION_BACKEND=numpy`` is set. ``_rust.pyi`` describes both.
"""

from gemini_vision._numpy_kernels.accumulate import eval_accumulate
from gemini_vision._numpy_kernels.batch import png_masks_to_rle
from gemini_vision._numpy_kernels.coco_json import eval_read_ground_truth, eval_read_results
from gemini_vision._numpy_kernels.cpu import simd_features
from gemini_vision._numpy_kernels.eval import (
    eval_masks,
    eval_match,
    eval_polygons,
    eval_rle_strings,
)
from gemini_vision._numpy_kernels.json_strings import split_long_strings
from gemini_vision._numpy_kernels.overlay import overlay
from gemini_vision._numpy_kernels.paste import full_masks, label_map, paste, union
from gemini_vision._numpy_kernels.pipeline import decode_base64, decode_masks
from gemini_vision._numpy_kernels.png import decode_png
from gemini_vision._numpy_kernels.records import records_to_columns
from gemini_vision._numpy_kernels.resize import resize_bilinear, resize_bilinear_threshold
from gemini_vision._numpy_kernels.rle import (
    box_iou,
    mask_bbox,
    rle_area,
    rle_bbox,
    rle_decode,
    rle_decode_box,
    rle_encode,
    rle_encode_many,
    rle_from_string,
    rle_iou,
    rle_to_string,
)
from gemini_vision._numpy_kernels.rows import item_rows
from gemini_vision._numpy_kernels.threshold import threshold
from gemini_vision._numpy_kernels.tokens import image_tokens_batch

__all__ = [
    "box_iou",
    "decode_base64",
    "decode_masks",
    "decode_png",
    "eval_accumulate",
    "eval_masks",
    "eval_match",
    "eval_polygons",
    "eval_read_ground_truth",
    "eval_read_results",
    "eval_rle_strings",
    "full_masks",
    "image_tokens_batch",
    "item_rows",
    "label_map",
    "mask_bbox",
    "overlay",
    "paste",
    "png_masks_to_rle",
    "records_to_columns",
    "resize_bilinear",
    "resize_bilinear_threshold",
    "rle_area",
    "rle_bbox",
    "rle_decode",
    "rle_decode_box",
    "rle_encode",
    "rle_encode_many",
    "rle_from_string",
    "rle_iou",
    "rle_to_string",
    "simd_features",
    "split_long_strings",
    "threshold",
    "union",
]
