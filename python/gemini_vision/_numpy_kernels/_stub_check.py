"""A type check of the NumPy twin against the extension's stub; nothing runs here.

``_rust.pyi`` describes the Rust extension, and ``mypy.stubtest`` holds the
compiled extension to it. This module holds the NumPy twin to the same stub:
for every kernel, a variable typed as the stub's function is assigned the
twin's, and one typed as the twin's is assigned the stub's. Each assignment
type-checks only if one signature is usable wherever the other is, so the
pair of them fails ``mypy --strict`` (``make lint``) as soon as a parameter,
a default, a keyword name or a return type of either side drifts.

``tests/kernels/test_backend_parity.py`` checks that this list names every
function of the stub, so a new kernel cannot be left out.

>>> KERNELS[:2]
('threshold', 'decode_png')
"""

from __future__ import annotations

from typing import TYPE_CHECKING

__all__ = ["KERNELS"]

#: The kernels checked below, in the stub's order.
KERNELS = (
    "threshold",
    "decode_png",
    "resize_bilinear",
    "resize_bilinear_threshold",
    "image_tokens_batch",
    "paste",
    "union",
    "label_map",
    "full_masks",
    "overlay",
    "rle_encode",
    "rle_encode_many",
    "rle_decode",
    "rle_decode_box",
    "rle_to_string",
    "rle_from_string",
    "rle_area",
    "rle_bbox",
    "mask_bbox",
    "box_iou",
    "rle_iou",
    "decode_masks",
    "decode_base64",
    "png_masks_to_rle",
    "records_to_columns",
    "item_rows",
    "eval_match",
    "eval_polygons",
    "eval_rle_strings",
    "eval_accumulate",
    "eval_masks",
    "eval_read_ground_truth",
    "eval_read_results",
    "simd_features",
    "split_long_strings",
)

if TYPE_CHECKING:
    from gemini_vision import _numpy_kernels as twin
    from gemini_vision import _rust as stub

    # The first assignment fixes each variable's type; the second must fit it.
    stub_threshold = stub.threshold
    stub_threshold = twin.threshold
    twin_threshold = twin.threshold
    twin_threshold = stub.threshold
    stub_decode_png = stub.decode_png
    stub_decode_png = twin.decode_png
    twin_decode_png = twin.decode_png
    twin_decode_png = stub.decode_png
    stub_resize_bilinear = stub.resize_bilinear
    stub_resize_bilinear = twin.resize_bilinear
    twin_resize_bilinear = twin.resize_bilinear
    twin_resize_bilinear = stub.resize_bilinear
    stub_resize_bilinear_threshold = stub.resize_bilinear_threshold
    stub_resize_bilinear_threshold = twin.resize_bilinear_threshold
    twin_resize_bilinear_threshold = twin.resize_bilinear_threshold
    twin_resize_bilinear_threshold = stub.resize_bilinear_threshold
    stub_image_tokens_batch = stub.image_tokens_batch
    stub_image_tokens_batch = twin.image_tokens_batch
    twin_image_tokens_batch = twin.image_tokens_batch
    twin_image_tokens_batch = stub.image_tokens_batch
    stub_paste = stub.paste
    stub_paste = twin.paste
    twin_paste = twin.paste
    twin_paste = stub.paste
    stub_union = stub.union
    stub_union = twin.union
    twin_union = twin.union
    twin_union = stub.union
    stub_label_map = stub.label_map
    stub_label_map = twin.label_map
    twin_label_map = twin.label_map
    twin_label_map = stub.label_map
    stub_full_masks = stub.full_masks
    stub_full_masks = twin.full_masks
    twin_full_masks = twin.full_masks
    twin_full_masks = stub.full_masks
    stub_overlay = stub.overlay
    stub_overlay = twin.overlay
    twin_overlay = twin.overlay
    twin_overlay = stub.overlay
    stub_rle_encode = stub.rle_encode
    stub_rle_encode = twin.rle_encode
    twin_rle_encode = twin.rle_encode
    twin_rle_encode = stub.rle_encode
    stub_rle_encode_many = stub.rle_encode_many
    stub_rle_encode_many = twin.rle_encode_many
    twin_rle_encode_many = twin.rle_encode_many
    twin_rle_encode_many = stub.rle_encode_many
    stub_rle_decode = stub.rle_decode
    stub_rle_decode = twin.rle_decode
    twin_rle_decode = twin.rle_decode
    twin_rle_decode = stub.rle_decode
    stub_rle_decode_box = stub.rle_decode_box
    stub_rle_decode_box = twin.rle_decode_box
    twin_rle_decode_box = twin.rle_decode_box
    twin_rle_decode_box = stub.rle_decode_box
    stub_rle_to_string = stub.rle_to_string
    stub_rle_to_string = twin.rle_to_string
    twin_rle_to_string = twin.rle_to_string
    twin_rle_to_string = stub.rle_to_string
    stub_rle_from_string = stub.rle_from_string
    stub_rle_from_string = twin.rle_from_string
    twin_rle_from_string = twin.rle_from_string
    twin_rle_from_string = stub.rle_from_string
    stub_rle_area = stub.rle_area
    stub_rle_area = twin.rle_area
    twin_rle_area = twin.rle_area
    twin_rle_area = stub.rle_area
    stub_rle_bbox = stub.rle_bbox
    stub_rle_bbox = twin.rle_bbox
    twin_rle_bbox = twin.rle_bbox
    twin_rle_bbox = stub.rle_bbox
    stub_mask_bbox = stub.mask_bbox
    stub_mask_bbox = twin.mask_bbox
    twin_mask_bbox = twin.mask_bbox
    twin_mask_bbox = stub.mask_bbox
    stub_box_iou = stub.box_iou
    stub_box_iou = twin.box_iou
    twin_box_iou = twin.box_iou
    twin_box_iou = stub.box_iou
    stub_rle_iou = stub.rle_iou
    stub_rle_iou = twin.rle_iou
    twin_rle_iou = twin.rle_iou
    twin_rle_iou = stub.rle_iou
    stub_decode_masks = stub.decode_masks
    stub_decode_masks = twin.decode_masks
    twin_decode_masks = twin.decode_masks
    twin_decode_masks = stub.decode_masks
    stub_decode_base64 = stub.decode_base64
    stub_decode_base64 = twin.decode_base64
    twin_decode_base64 = twin.decode_base64
    twin_decode_base64 = stub.decode_base64
    stub_png_masks_to_rle = stub.png_masks_to_rle
    stub_png_masks_to_rle = twin.png_masks_to_rle
    twin_png_masks_to_rle = twin.png_masks_to_rle
    twin_png_masks_to_rle = stub.png_masks_to_rle
    stub_records_to_columns = stub.records_to_columns
    stub_records_to_columns = twin.records_to_columns
    twin_records_to_columns = twin.records_to_columns
    twin_records_to_columns = stub.records_to_columns
    stub_item_rows = stub.item_rows
    stub_item_rows = twin.item_rows
    twin_item_rows = twin.item_rows
    twin_item_rows = stub.item_rows
    stub_eval_match = stub.eval_match
    stub_eval_match = twin.eval_match
    twin_eval_match = twin.eval_match
    twin_eval_match = stub.eval_match
    stub_eval_polygons = stub.eval_polygons
    stub_eval_polygons = twin.eval_polygons
    twin_eval_polygons = twin.eval_polygons
    twin_eval_polygons = stub.eval_polygons
    stub_eval_rle_strings = stub.eval_rle_strings
    stub_eval_rle_strings = twin.eval_rle_strings
    twin_eval_rle_strings = twin.eval_rle_strings
    twin_eval_rle_strings = stub.eval_rle_strings
    stub_eval_accumulate = stub.eval_accumulate
    stub_eval_accumulate = twin.eval_accumulate
    twin_eval_accumulate = twin.eval_accumulate
    twin_eval_accumulate = stub.eval_accumulate
    stub_eval_masks = stub.eval_masks
    stub_eval_masks = twin.eval_masks
    twin_eval_masks = twin.eval_masks
    twin_eval_masks = stub.eval_masks
    stub_eval_read_ground_truth = stub.eval_read_ground_truth
    stub_eval_read_ground_truth = twin.eval_read_ground_truth
    twin_eval_read_ground_truth = twin.eval_read_ground_truth
    twin_eval_read_ground_truth = stub.eval_read_ground_truth
    stub_eval_read_results = stub.eval_read_results
    stub_eval_read_results = twin.eval_read_results
    twin_eval_read_results = twin.eval_read_results
    twin_eval_read_results = stub.eval_read_results
    stub_simd_features = stub.simd_features
    stub_simd_features = twin.simd_features
    twin_simd_features = twin.simd_features
    twin_simd_features = stub.simd_features
    stub_split_long_strings = stub.split_long_strings
    stub_split_long_strings = twin.split_long_strings
    twin_split_long_strings = twin.split_long_strings
    twin_split_long_strings = stub.split_long_strings
