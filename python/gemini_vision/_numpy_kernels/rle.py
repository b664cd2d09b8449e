"""COCO RLE (SPEC M6), the NumPy twin of ``rust/rle.rs``.

Counts are uint32 arrays of Fortran-order runs starting with an off run, frame
sizes ``(height, width)``. Encoding works from the box-local mask: the runs are
found inside the clipped box and their ends placed in frame coordinates, so no
frame is built. The compressed string codec and the box/IoU conventions follow
pycocotools exactly (see the Rust module's theory of operation).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from gemini_vision._numpy_kernels.alloc import check, guarded
from gemini_vision._numpy_kernels.paste import clip
from gemini_vision.errors import KernelInputError, RleError

__all__ = [
    "box_iou",
    "mask_bbox",
    "rle_area",
    "rle_bbox",
    "rle_decode",
    "rle_decode_box",
    "rle_encode",
    "rle_encode_many",
    "rle_from_string",
    "rle_iou",
    "rle_to_string",
]

_U32_MAX = 2**32 - 1


def _pixels(height: int, width: int) -> int:
    pixels = height * width
    if pixels > _U32_MAX:
        raise KernelInputError(
            f"a {height}x{width} frame has more pixels than COCO RLE counts can hold (2**32 - 1)"
        )
    return pixels


def _check(counts: npt.NDArray[np.uint32], height: int, width: int) -> int:
    pixels = _pixels(height, width)
    total = int(counts.sum(dtype=np.uint64))
    if total != pixels:
        raise RleError(
            f"RLE counts sum to {total}, but a {height}x{width} frame has {pixels} pixels"
        )
    return pixels


def rle_encode(
    mask: npt.NDArray[np.bool_], x0: int, y0: int, height: int, width: int
) -> npt.NDArray[np.uint32]:
    """The RLE counts of ``mask`` at (x0, y0) in an empty ``height x width`` frame."""
    pixels = _pixels(height, width)
    win = clip(mask.shape, x0, y0, height, width)
    if win is None:
        return np.array([pixels], dtype=np.uint32)
    fy, fx, my, mx = win
    box = mask[my, mx]
    rows, cols = box.shape
    # Each box column padded with an off pixel above and below, in Fortran order,
    # so every run of on pixels starts and ends inside its own column.
    padded = np.zeros((cols, rows + 2), dtype=np.int8)
    padded[:, 1:-1] = box.T
    change = np.diff(padded.ravel())
    starts = np.flatnonzero(change == 1) + 1
    ends = np.flatnonzero(change == -1) + 1
    stride = rows + 2

    def frame_index(q: npt.NDArray[np.intp]) -> npt.NDArray[np.int64]:
        column, row = np.divmod(q.astype(np.int64), stride)
        index: npt.NDArray[np.int64] = (fx.start + column) * height + fy.start + row - 1
        return index

    s, e = frame_index(starts), frame_index(ends)
    # A run ending at the bottom of the frame continues at the top of the next
    # column when that pixel is on: drop the boundary between them.
    joined = np.zeros(len(s), dtype=np.bool_)
    joined[1:] = e[:-1] == s[1:]
    keep_start = ~joined
    keep_end = np.ones(len(e), dtype=np.bool_)
    keep_end[:-1] = ~joined[1:]
    bounds = np.empty(2 * int(keep_start.sum()), dtype=np.int64)
    bounds[0::2] = s[keep_start]
    bounds[1::2] = e[keep_end]
    counts = np.diff(np.concatenate(([0], bounds, [pixels])))
    if len(bounds) and bounds[-1] == pixels:
        counts = counts[:-1]  # the frame ends on an on run: no empty off run after it
    return counts.astype(np.uint32)


def rle_encode_many(
    masks: Sequence[npt.NDArray[np.bool_]],
    offsets: npt.NDArray[np.int64],
    height: int,
    width: int,
) -> list[npt.NDArray[np.uint32]]:
    """:func:`rle_encode` of every mask."""
    if np.shape(offsets) != (len(masks), 2):
        raise KernelInputError(
            f"offsets must have shape ({len(masks)}, 2), got {np.shape(offsets)}"
        )
    return [
        rle_encode(m, x0, y0, height, width)
        for m, (x0, y0) in zip(masks, offsets.tolist(), strict=True)
    ]


def rle_decode_box(
    counts: npt.NDArray[np.uint32],
    height: int,
    width: int,
    x0: int,
    y0: int,
    box_height: int,
    box_width: int,
) -> npt.NDArray[np.bool_]:
    """The part of the RLE inside a box, as a ``box_height x box_width`` mask."""
    _check(counts, height, width)
    what = "the decoded mask"
    with guarded(check(box_height * box_width, 1, what), what):
        return _decode_box(counts, height, width, x0, y0, box_height, box_width)


def _decode_box(
    counts: npt.NDArray[np.uint32],
    height: int,
    width: int,
    x0: int,
    y0: int,
    box_height: int,
    box_width: int,
) -> npt.NDArray[np.bool_]:
    out = np.zeros((box_height, box_width), dtype=np.bool_)
    win = clip((box_height, box_width), x0, y0, height, width)
    if win is None:
        return out
    fy, fx, my, mx = win
    first, last = fx.start * height, fx.stop * height
    ends = np.cumsum(counts, dtype=np.int64)
    starts = ends - counts
    s = np.clip(starts[1::2], first, last) - first
    e = np.clip(ends[1::2], first, last) - first
    keep = s < e
    steps = np.zeros(last - first + 1, dtype=np.int32)
    steps[s[keep]] += 1
    steps[e[keep]] -= 1
    columns = (np.cumsum(steps[:-1]) > 0).reshape(fx.stop - fx.start, height)
    out[my, mx] = columns.T[fy]
    return out


def rle_decode(counts: npt.NDArray[np.uint32], height: int, width: int) -> npt.NDArray[np.bool_]:
    """Decode counts into a ``height x width`` bool frame."""
    _check(counts, height, width)
    what = "the decoded mask"
    with guarded(check(height * width, 1, what), what):
        values = np.arange(len(counts)) % 2 == 1
        flat = np.repeat(values, counts.astype(np.int64))
        return np.ascontiguousarray(flat.reshape(width, height).T)


def rle_to_string(counts: npt.NDArray[np.uint32]) -> bytes:
    """The compressed (pycocotools string) form of counts."""
    values = counts.tolist()
    out = bytearray()
    for i, n in enumerate(values):
        x = n - values[i - 2] if i > 2 else n
        while True:
            c = x & 0x1F
            x >>= 5  # arithmetic shift, as C's on a signed long
            more = x != -1 if c & 0x10 else x != 0
            out.append((c | 0x20 if more else c) + 48)
            if not more:
                break
    return bytes(out)


def rle_from_string(s: bytes) -> npt.NDArray[np.uint32]:
    """Counts from the compressed form; ``RleError`` if it is malformed."""
    counts: list[int] = []
    p, n = 0, len(s)
    while p < n:
        begin, x, k = p, 0, 0
        while True:
            if p >= n:
                raise RleError(f"RLE string ends inside a number (at character {begin})")
            byte = s[p]
            if not 48 <= byte < 112:
                raise RleError(
                    f"RLE string has character {chr(byte)!r} at {p}; only '0'..'o' are allowed"
                )
            if k >= 12:
                raise RleError(f"RLE string has a number too long at character {begin}")
            c = byte - 48
            x |= (c & 0x1F) << (5 * k)
            p += 1
            k += 1
            if not c & 0x20:
                if c & 0x10:
                    x |= -1 << (5 * k)
                break
        m = len(counts)
        if m > 2:
            x += counts[m - 2]
        if not 0 <= x <= _U32_MAX:
            raise RleError(f"RLE string gives count {m} the value {x}, outside 0..2**32")
        counts.append(x)
    return np.array(counts, dtype=np.uint32)


def rle_area(counts: npt.NDArray[np.uint32]) -> int:
    """The number of on pixels."""
    return int(counts[1::2].sum(dtype=np.uint64))


def rle_bbox(counts: npt.NDArray[np.uint32], height: int, width: int) -> npt.NDArray[np.float64]:
    """``[x, y, w, h]`` of the on pixels, as pycocotools' ``toBbox``."""
    _check(counts, height, width)
    m = len(counts) // 2 * 2
    if m == 0 or height == 0:
        return np.zeros(4)
    cc = np.cumsum(counts[:m], dtype=np.int64)
    # pycocotools' unsigned t = cc - j % 2 (wraps only on degenerate input).
    t = (cc - np.arange(m) % 2) % 2**32
    y = t % height
    x = (t - y) // height
    xs, xe = min(width, int(x.min())), max(0, int(x.max()))
    ys, ye = min(height, int(y.min())), max(0, int(y.max()))
    if np.any(x[0::2] < x[1::2]):  # a run crosses a column: first and last rows
        ys, ye = 0, height - 1
    return np.array([xs, ys, xe - xs + 1, ye - ys + 1], dtype=np.float64)


def mask_bbox(
    mask: npt.NDArray[np.bool_], x0: int, y0: int, height: int, width: int
) -> npt.NDArray[np.float64]:
    """``[x, y, w, h]`` of the on pixels of a box-local mask inside the frame."""
    win = clip(mask.shape, x0, y0, height, width)
    if win is None:
        return np.zeros(4)
    fy, fx, my, mx = win
    box = mask[my, mx]
    rows = np.flatnonzero(box.any(axis=1))
    cols = np.flatnonzero(box.any(axis=0))
    if len(rows) == 0:
        return np.zeros(4)
    return np.array(
        [fx.start + cols[0], fy.start + rows[0], cols[-1] - cols[0] + 1, rows[-1] - rows[0] + 1],
        dtype=np.float64,
    )


def _crowd(iscrowd: npt.NDArray[np.bool_], n: int) -> npt.NDArray[np.bool_]:
    if len(iscrowd) == 0:
        return np.zeros(n, dtype=np.bool_)
    if len(iscrowd) != n:
        raise KernelInputError(f"iscrowd has {len(iscrowd)} flags for {n} ground truths")
    return iscrowd


def _box_iou(
    dt: npt.NDArray[np.float64], gt: npt.NDArray[np.float64], crowd: npt.NDArray[np.bool_]
) -> npt.NDArray[np.float64]:
    d, g = dt[:, None, :], gt[None, :, :]
    w = np.fmin(d[..., 2] + d[..., 0], g[..., 2] + g[..., 0]) - np.fmax(d[..., 0], g[..., 0])
    h = np.fmin(d[..., 3] + d[..., 1], g[..., 3] + g[..., 1]) - np.fmax(d[..., 1], g[..., 1])
    i = w * h
    da = d[..., 2] * d[..., 3]
    u = np.where(crowd[None, :], da, da + g[..., 2] * g[..., 3] - i)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        iou = i / u
    out: npt.NDArray[np.float64] = np.where((w > 0) & (h > 0), iou, 0.0)
    return out


def _boxes(a: npt.NDArray[np.float64], name: str) -> npt.NDArray[np.float64]:
    if a.ndim != 2 or a.shape[1] != 4:
        raise KernelInputError(f"{name} must have shape (n, 4)")
    return a


def box_iou(
    dt: npt.NDArray[np.float64], gt: npt.NDArray[np.float64], iscrowd: npt.NDArray[np.bool_]
) -> npt.NDArray[np.float64]:
    """IoU of ``[x, y, w, h]`` boxes, ``len(dt) x len(gt)``, as pycocotools' ``iou``."""
    dt, gt = _boxes(dt, "dt"), _boxes(gt, "gt")
    return _box_iou(dt, gt, _crowd(iscrowd, len(gt)))


def _coco_walk(a: list[int], b: list[int]) -> tuple[int, int]:
    """Intersection and union by pycocotools' ``rleIou`` walk, step for step.

    It takes at most one new run per side per step and stops once both current
    runs are empty at once, which empty runs inside both lists can make happen
    before their end. Without such runs on one side it is the plain overlap.
    """
    if not a or not b:
        return 0, 0
    ca, cb, ia, ib, va, vb = a[0], b[0], 1, 1, False, False
    inter = union = 0
    ct = 1
    while ct > 0:
        c = min(ca, cb)
        if va or vb:
            union += c
            if va and vb:
                inter += c
        ca -= c
        refill_a = ca == 0 and ia < len(a)
        if refill_a:
            ca, ia, va = a[ia], ia + 1, not va
        cb -= c
        refill_b = cb == 0 and ib < len(b)
        if refill_b:
            cb, ib, vb = b[ib], ib + 1, not vb
        if c == 0 and not refill_a and not refill_b:
            break  # lists of different sums: pycocotools would not stop
        ct = (ca + cb) & 0xFFFFFFFF  # an unsigned int there
    return inter, union


def rle_iou(
    dt: Sequence[npt.NDArray[np.uint32]],
    dt_sizes: npt.NDArray[np.int64],
    gt: Sequence[npt.NDArray[np.uint32]],
    gt_sizes: npt.NDArray[np.int64],
    iscrowd: npt.NDArray[np.bool_],
) -> npt.NDArray[np.float64]:
    """IoU of RLE masks, ``len(dt) x len(gt)``, as pycocotools' ``iou``."""
    for name, counts, sizes in (("dt_sizes", dt, dt_sizes), ("gt_sizes", gt, gt_sizes)):
        if np.shape(sizes) != (len(counts), 2):
            raise KernelInputError(
                f"{name} must have shape ({len(counts)}, 2), got {np.shape(sizes)}"
            )
    dt_hw = [(int(h), int(w)) for h, w in dt_sizes.tolist()]
    gt_hw = [(int(h), int(w)) for h, w in gt_sizes.tolist()]
    crowd = _crowd(iscrowd, len(gt))
    dt_boxes = np.array([rle_bbox(c, *hw) for c, hw in zip(dt, dt_hw, strict=True)]).reshape(-1, 4)
    gt_boxes = np.array([rle_bbox(c, *hw) for c, hw in zip(gt, gt_hw, strict=True)]).reshape(-1, 4)
    out = _box_iou(dt_boxes, gt_boxes, crowd)
    flat: dict[tuple[str, int], npt.NDArray[np.bool_]] = {}

    def pixels(side: str, k: int) -> npt.NDArray[np.bool_]:
        if (side, k) not in flat:
            counts = (dt if side == "dt" else gt)[k]
            flat[side, k] = np.repeat(np.arange(len(counts)) % 2 == 1, counts.astype(np.int64))
        return flat[side, k]

    for d, g in zip(*np.nonzero(out > 0), strict=True):
        if dt_hw[d] != gt_hw[g]:
            out[d, g] = -1.0
            continue
        if not (dt[d][1:].all() or gt[g][1:].all()):
            # Empty runs inside both: pycocotools' walk may stop early; follow it.
            inter, union = _coco_walk(dt[d].tolist(), gt[g].tolist())
            if inter == 0:
                out[d, g] = 0.0
            else:
                out[d, g] = inter / (rle_area(dt[d]) if crowd[g] else union)
            continue
        a, b = pixels("dt", int(d)), pixels("gt", int(g))
        inter = int(np.count_nonzero(a & b))
        if inter == 0:
            out[d, g] = 0.0
        else:
            union = rle_area(dt[d]) if crowd[g] else int(np.count_nonzero(a | b))
            out[d, g] = inter / union
    return out
