# The kernels' signatures. The Rust extension and the NumPy fallback
# (gemini_vision._numpy_kernels) both implement exactly these; stubtest checks
# the extension against this file, mypy --strict the fallback (through
# _numpy_kernels/_stub_check.py, which binds each twin to its signature here).
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

def threshold(mask: npt.NDArray[np.uint8], threshold: int = 127) -> npt.NDArray[np.bool_]: ...
def decode_png(data: bytes, max_pixels: int) -> npt.NDArray[np.uint8]: ...
def resize_bilinear(
    mask: npt.NDArray[np.uint8], width: int, height: int, pillow: int = 13
) -> npt.NDArray[np.uint8]: ...
def resize_bilinear_threshold(
    mask: npt.NDArray[np.uint8], width: int, height: int, threshold: int = 127, pillow: int = 13
) -> npt.NDArray[np.bool_]: ...
def image_tokens_batch(
    widths: npt.NDArray[np.int64], heights: npt.NDArray[np.int64], rule: str, budget: int
) -> npt.NDArray[np.int64]: ...

# Paste (SPEC M4): masks are C-contiguous 2-D bool arrays, offsets (n, 2) int64 (x0, y0).
def paste(frame: npt.NDArray[np.bool_], mask: npt.NDArray[np.bool_], x0: int, y0: int) -> None: ...
def union(
    masks: Sequence[npt.NDArray[np.bool_]], offsets: npt.NDArray[np.int64], height: int, width: int
) -> npt.NDArray[np.bool_]: ...
def label_map(
    masks: Sequence[npt.NDArray[np.bool_]], offsets: npt.NDArray[np.int64], height: int, width: int
) -> npt.NDArray[np.int32]: ...
def full_masks(
    masks: Sequence[npt.NDArray[np.bool_]], offsets: npt.NDArray[np.int64], height: int, width: int
) -> npt.NDArray[np.bool_]: ...

# Overlay (SPEC M5): image h x w x 3|4 uint8 (in place), colors (n, 4) uint8 RGBA.
def overlay(
    image: npt.NDArray[np.uint8],
    masks: Sequence[npt.NDArray[np.bool_]],
    offsets: npt.NDArray[np.int64],
    colors: npt.NDArray[np.uint8],
) -> None: ...

# COCO RLE (SPEC M6): counts are 1-D uint32, frames (height, width).
def rle_encode(
    mask: npt.NDArray[np.bool_], x0: int, y0: int, height: int, width: int
) -> npt.NDArray[np.uint32]: ...
def rle_encode_many(
    masks: Sequence[npt.NDArray[np.bool_]], offsets: npt.NDArray[np.int64], height: int, width: int
) -> list[npt.NDArray[np.uint32]]: ...
def rle_decode(
    counts: npt.NDArray[np.uint32], height: int, width: int
) -> npt.NDArray[np.bool_]: ...
def rle_decode_box(
    counts: npt.NDArray[np.uint32],
    height: int,
    width: int,
    x0: int,
    y0: int,
    box_height: int,
    box_width: int,
) -> npt.NDArray[np.bool_]: ...
def rle_to_string(counts: npt.NDArray[np.uint32]) -> bytes: ...
def rle_from_string(s: bytes) -> npt.NDArray[np.uint32]: ...
def rle_area(counts: npt.NDArray[np.uint32]) -> int: ...
def rle_bbox(
    counts: npt.NDArray[np.uint32], height: int, width: int
) -> npt.NDArray[np.float64]: ...
def mask_bbox(
    mask: npt.NDArray[np.bool_], x0: int, y0: int, height: int, width: int
) -> npt.NDArray[np.float64]: ...
def box_iou(
    dt: npt.NDArray[np.float64], gt: npt.NDArray[np.float64], iscrowd: npt.NDArray[np.bool_]
) -> npt.NDArray[np.float64]: ...
def rle_iou(
    dt: Sequence[npt.NDArray[np.uint32]],
    dt_sizes: npt.NDArray[np.int64],
    gt: Sequence[npt.NDArray[np.uint32]],
    gt_sizes: npt.NDArray[np.int64],
    iscrowd: npt.NDArray[np.bool_],
) -> npt.NDArray[np.float64]: ...

# Fused pipeline (SPEC M7): per item (error class or None, message, mask, probabilities, counts).
def decode_masks(
    data: Sequence[bytes],
    boxes: npt.NDArray[np.int64],
    thresholds: npt.NDArray[np.int32],
    pillow: npt.NDArray[np.int64],
    max_pixels: int,
    want_probabilities: bool,
    rle_shape: tuple[int, int] | None,
    threads: int,
) -> list[
    tuple[
        str | None,
        str,
        npt.NDArray[np.bool_] | None,
        npt.NDArray[np.uint8] | None,
        npt.NDArray[np.uint32] | None,
    ]
]: ...
def decode_base64(text: bytes) -> bytes: ...

# The batch path's mask stage (SPEC D1, M7): data is base64 PNG text per mask,
# boxes (n, 4) int64 (x0, y0, x1, y1), frames (n, 2) int64 (height, width);
# threads 0 = every core. Per mask (None, compressed COCO RLE counts, area), or
# (error class name, message, 0) in its place.
def png_masks_to_rle(
    data: Sequence[bytes],
    boxes: npt.NDArray[np.int64],
    frames: npt.NDArray[np.int64],
    threshold: int,
    pillow: int,
    max_pixels: int,
    threads: int,
) -> list[tuple[str | None, str, int]]: ...

# The batch path's fast lane: records (answer texts[i], sizes[i] = (width,
# height)) to the output's columns. Returns (taken per record, cut per record
# (0, or a taken answer cut off: 1 after an item, 2 inside the next), then per
# row of the taken records: record position, item index, boxes (rows, 4) x0 y0 x1 y1,
# label offsets (rows + 1) and UTF-8 bytes, compressed RLE counts offsets and
# ASCII bytes (none for a box), segment (had a mask), area). A record not taken
# is the general parser's to read.
def records_to_columns(
    texts: Sequence[str],
    sizes: npt.NDArray[np.int64],
    threshold: int,
    pillow: int,
    max_png_pixels: int,
    max_mask_pixels: int,
    max_decoded_bytes: int,
    max_answer_bytes: int,
    max_items: int,
    threads: int,
) -> tuple[
    npt.NDArray[np.bool_],
    npt.NDArray[np.uint8],
    npt.NDArray[np.int64],
    npt.NDArray[np.int32],
    npt.NDArray[np.int32],
    npt.NDArray[np.int64],
    npt.NDArray[np.uint8],
    npt.NDArray[np.int64],
    npt.NDArray[np.uint8],
    npt.NDArray[np.bool_],
    npt.NDArray[np.int64],
]: ...

# The batch's rows of one record the general parser read (SPEC D1): its drafts
# (objects with index, label, box, confidence, point, box_3d), its diagnostics
# (index, action, code, message; any order), segments {item index: (compressed
# RLE counts, area)}, frame (height, width). The 16 columns of batch.schema.COLUMNS.
def item_rows(
    record_id: Any,
    drafts: Sequence[Any],
    diagnostics: Sequence[Any],
    segments: dict[int, tuple[str, int]],
    frame: tuple[int, int],
) -> list[list[Any]]: ...

# COCO evaluation (gemini_vision.evaluate): pycocotools' evaluateImg for every
# (image, category) group, polygon rasterisation and batched RLE strings.
def eval_match(
    gt_offsets: npt.NDArray[np.int64],
    dt_offsets: npt.NDArray[np.int64],
    gt_boxes: npt.NDArray[np.float64],
    dt_boxes: npt.NDArray[np.float64],
    gt_area: npt.NDArray[np.float64],
    gt_crowd: npt.NDArray[np.bool_],
    gt_id_nonzero: npt.NDArray[np.bool_],
    dt_area: npt.NDArray[np.float64],
    iou_thrs: npt.NDArray[np.float64],
    area_rng: npt.NDArray[np.float64],
    gt_masks: tuple[npt.NDArray[np.uint32], npt.NDArray[np.int64], npt.NDArray[np.int64]]
    | None = None,
    dt_masks: tuple[npt.NDArray[np.uint32], npt.NDArray[np.int64], npt.NDArray[np.int64]]
    | None = None,
) -> tuple[
    npt.NDArray[np.int64], npt.NDArray[np.bool_], npt.NDArray[np.float64], npt.NDArray[np.bool_]
]: ...
def eval_polygons(
    coords: npt.NDArray[np.float64],
    point_offsets: npt.NDArray[np.int64],
    poly_offsets: npt.NDArray[np.int64],
    sizes_hw: npt.NDArray[np.int64],
) -> tuple[npt.NDArray[np.uint32], npt.NDArray[np.int64]]: ...
def eval_rle_strings(
    data: bytes, offsets: npt.NDArray[np.int64]
) -> tuple[npt.NDArray[np.uint32], npt.NDArray[np.int64]]: ...
def eval_accumulate(
    cat_offsets: npt.NDArray[np.int64],
    rank: npt.NDArray[np.int64],
    score: npt.NDArray[np.float64],
    tp: npt.NDArray[np.bool_],
    fp: npt.NDArray[np.bool_],
    npig: npt.NDArray[np.int64],
    max_dets: npt.NDArray[np.int64],
    rec_thrs: npt.NDArray[np.float64],
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.float64]]: ...
def eval_masks(
    kinds: npt.NDArray[np.uint8],
    entries: npt.NDArray[np.int64],
    sizes_hw: npt.NDArray[np.int64],
    coords: npt.NDArray[np.float64],
    point_offsets: npt.NDArray[np.int64],
    poly_offsets: npt.NDArray[np.int64],
    str_data: bytes,
    str_offsets: npt.NDArray[np.int64],
    list_counts: npt.NDArray[np.uint32],
    list_offsets: npt.NDArray[np.int64],
) -> tuple[
    npt.NDArray[np.uint32], npt.NDArray[np.int64], npt.NDArray[np.uint64], npt.NDArray[np.float64]
]: ...
def eval_read_ground_truth(doc: bytes) -> dict[str, Any] | None: ...
def eval_read_results(doc: bytes) -> dict[str, Any] | None: ...
def simd_features() -> list[str]: ...

# The wire core's help for the standard library's json.loads: the document with
# its value strings of at least min_len bytes replaced by "<marker><index>",
# and those strings decoded; None when there is nothing to lift.
def split_long_strings(
    data: bytes, min_len: int, marker: bytes
) -> tuple[bytes, list[str]] | None: ...
