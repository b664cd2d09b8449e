"""COCO evaluation kernels, the NumPy twin of ``rust/eval.rs``.

``eval_match`` is pycocotools' ``evaluateImg`` for every (image, category)
group at once; ``eval_polygons`` is its ``frPyObjects`` + ``merge`` for
polygons; ``eval_rle_strings`` decodes many compressed RLE strings. See the
Rust module's theory of operation for the layout of the arguments.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import numpy.typing as npt

from gemini_vision._numpy_kernels.rle import _box_iou, rle_from_string, rle_iou
from gemini_vision.errors import KernelInputError, RleError

__all__ = ["eval_masks", "eval_match", "eval_polygons", "eval_rle_strings"]

Masks = tuple[npt.NDArray[np.uint32], npt.NDArray[np.int64], npt.NDArray[np.int64]]


def _offsets(name: str, a: npt.NDArray[np.int64], total: int) -> list[int]:
    offs = [int(v) for v in np.asarray(a).tolist()]
    if (
        not offs
        or offs[0] != 0
        or offs[-1] != total
        or any(x > y for x, y in itertools.pairwise(offs))
    ):
        raise KernelInputError(f"{name} must rise from 0 to {total} (one more entry than groups)")
    return offs


def _split(masks: Masks, name: str) -> tuple[list[npt.NDArray[np.uint32]], npt.NDArray[np.int64]]:
    flat, offs, sizes = masks
    n = len(offs) - 1
    if np.shape(sizes) != (n, 2):
        raise KernelInputError(f"sizes must have shape ({n}, 2)")
    o = _offsets(f"{name} mask offsets", offs, len(flat))
    counts = [flat[o[i] : o[i + 1]] for i in range(n)]
    for c, (h, w) in zip(counts, sizes.tolist(), strict=True):
        if int(c.sum(dtype=np.uint64)) != h * w:
            raise RleError(f"RLE counts sum to {int(c.sum())}, but a {h}x{w} frame differs")
    return counts, np.asarray(sizes, dtype=np.int64)


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
    gt_masks: Masks | None = None,
    dt_masks: Masks | None = None,
) -> tuple[
    npt.NDArray[np.int64], npt.NDArray[np.bool_], npt.NDArray[np.float64], npt.NDArray[np.bool_]
]:
    """pycocotools' ``evaluateImg`` for every group (see ``rust/eval.rs``)."""
    if (gt_masks is None) != (dt_masks is None):
        raise KernelInputError("give masks for both ground truths and detections, or for neither")
    if gt_boxes.ndim != 2 or gt_boxes.shape[1] != 4 or dt_boxes.ndim != 2 or dt_boxes.shape[1] != 4:
        raise KernelInputError("gt_boxes and dt_boxes must have shape (n, 4)")
    if area_rng.ndim != 2 or area_rng.shape[1] != 2:
        raise KernelInputError("area_rng must have shape (n, 2)")
    if gt_masks is not None and dt_masks is not None:
        gcounts, gsizes = _split(gt_masks, "gt")
        dcounts, dsizes = _split(dt_masks, "dt")
        ng, nd = len(gcounts), len(dcounts)
    else:
        ng, nd = len(gt_boxes), len(dt_boxes)
    if len(gt_offsets) != len(dt_offsets) or len(gt_offsets) == 0:
        raise KernelInputError("gt_offsets and dt_offsets must have the same length, at least 1")
    go = _offsets("gt_offsets", gt_offsets, ng)
    do = _offsets("dt_offsets", dt_offsets, nd)
    for name, arr, n in (
        ("gt_area", gt_area, ng),
        ("gt_crowd", gt_crowd, ng),
        ("gt_id_nonzero", gt_id_nonzero, ng),
        ("dt_area", dt_area, nd),
    ):
        if len(arr) != n:
            raise KernelInputError(f"{name} has {len(arr)} entries for {n}")
    na, nt = len(area_rng), len(iou_thrs)
    dt_gt = np.full((nd, na, nt), -1, dtype=np.int64)
    dt_ig = np.zeros((nd, na, nt), dtype=np.bool_)
    dt_iou = np.zeros((nd, nt), dtype=np.float64)
    gt_ig = np.zeros((ng, na), dtype=np.bool_)
    thrs = [min(float(t), 1 - 1e-10) for t in iou_thrs.tolist()]
    rngs = [(float(lo), float(hi)) for lo, hi in area_rng.tolist()]
    for grp in range(len(go) - 1):
        g0, g1, d0, d1 = go[grp], go[grp + 1], do[grp], do[grp + 1]
        crowd = gt_crowd[g0:g1].tolist()
        nonzero = gt_id_nonzero[g0:g1].tolist()
        if g1 > g0 and d1 > d0:
            if gt_masks is not None:
                ious = rle_iou(
                    dcounts[d0:d1], dsizes[d0:d1], gcounts[g0:g1], gsizes[g0:g1], gt_crowd[g0:g1]
                )
            else:
                ious = _box_iou(dt_boxes[d0:d1], gt_boxes[g0:g1], gt_crowd[g0:g1])
            rows = ious.tolist()
        else:
            rows = []
        for a, (lo, hi) in enumerate(rngs):
            ignored = [
                c or ar < lo or ar > hi
                for c, ar in zip(crowd, gt_area[g0:g1].tolist(), strict=True)
            ]
            gt_ig[g0:g1, a] = ignored
            order = [k for k in range(g1 - g0) if not ignored[k]]
            order += [k for k in range(g1 - g0) if ignored[k]]
            for t, thr in enumerate(thrs):
                if not rows:
                    break
                taken = [False] * (g1 - g0)
                for di, row in enumerate(rows):
                    best, m = thr, -1
                    for k in order:
                        if taken[k] and not crowd[k]:
                            continue
                        if m > -1 and not ignored[m] and ignored[k]:
                            break
                        if row[k] < best:
                            continue
                        best, m = row[k], k
                    if m == -1:
                        continue
                    dt_gt[d0 + di, a, t] = g0 + m
                    dt_ig[d0 + di, a, t] = ignored[m]
                    taken[m] = True
                    if a == 0:
                        dt_iou[d0 + di, t] = row[m]
            for di in range(d0, d1):
                if not (dt_area[di] < lo or dt_area[di] > hi):
                    continue
                for t in range(nt):
                    m = int(dt_gt[di, a, t])
                    if m < 0 or not nonzero[m - g0]:
                        dt_ig[di, a, t] = True
    return dt_gt, dt_ig, dt_iou, gt_ig


def _c_int(v: float) -> int:
    """C's ``(int)`` of a double: truncation toward zero."""
    return math.trunc(v)


def _polygon_counts(xy: list[float], h: int, w: int) -> list[int]:
    """pycocotools' ``rleFrPoly`` (see ``rust/eval.rs``)."""
    k = len(xy) // 2
    if k == 0:
        raise KernelInputError("a polygon needs at least one point")
    if any(not math.isfinite(v) or abs(v) > 1e8 for v in xy):
        raise KernelInputError("polygon coordinates must be finite numbers within +-1e8")
    scale = 5.0
    x = [_c_int(scale * xy[2 * j] + 0.5) for j in range(k)]
    y = [_c_int(scale * xy[2 * j + 1] + 0.5) for j in range(k)]
    x.append(x[0])
    y.append(y[0])
    u: list[int] = []
    v: list[int] = []
    for j in range(k):
        xs, xe, ys, ye = x[j], x[j + 1], y[j], y[j + 1]
        dx, dy = abs(xe - xs), abs(ys - ye)
        flip = (dx >= dy and xs > xe) or (dx < dy and ys > ye)
        if flip:
            xs, xe, ys, ye = xe, xs, ye, ys
        if dx == 0 and dy == 0:
            u.append(xs)
            v.append(ys)
            continue
        if dx >= dy:
            s = (ye - ys) / dx
            for d in range(dx + 1):
                t = dx - d if flip else d
                u.append(t + xs)
                v.append(_c_int(ys + s * t + 0.5))
        else:
            s = (xe - xs) / dy
            for d in range(dy + 1):
                t = dy - d if flip else d
                v.append(t + ys)
                u.append(_c_int(xs + s * t + 0.5))
    a: list[int] = []
    for j in range(1, len(u)):
        if u[j] == u[j - 1]:
            continue
        xd = float(u[j] if u[j] < u[j - 1] else u[j] - 1)
        xd = (xd + 0.5) / scale - 0.5
        if math.floor(xd) != xd or xd < 0 or xd > w - 1:
            continue
        yd = float(min(v[j], v[j - 1]))
        yd = (yd + 0.5) / scale - 0.5
        yd = math.ceil(min(max(yd, 0.0), float(h)))
        a.append(int(xd) * h + int(yd))
    a.append(h * w)
    a.sort()
    counts: list[int] = []
    prev, j = 0, 0
    while j < len(a):
        run = a[j] - prev
        prev = a[j]
        j += 1
        if not counts or run > 0:
            counts.append(run)
        elif j < len(a):
            counts[-1] += a[j] - prev
            prev = a[j]
            j += 1
    return counts


def _union(parts: list[list[int]], pixels: int) -> list[int]:
    if len(parts) == 1:
        return parts[0]
    on = np.zeros(pixels, dtype=np.bool_)
    for counts in parts:
        ends = np.cumsum(counts)
        for i in range(1, len(counts), 2):
            on[ends[i] - counts[i] : ends[i]] = True
    change = np.flatnonzero(np.diff(on.astype(np.int8))) + 1
    bounds = np.concatenate([[0], change, [pixels]])
    runs = np.diff(bounds).tolist()
    if pixels and on[0]:
        runs = [0, *runs]
    return [int(r) for r in runs] if runs else [0]


def _flatten(all_counts: list[list[int]]) -> tuple[npt.NDArray[np.uint32], npt.NDArray[np.int64]]:
    offsets = np.zeros(len(all_counts) + 1, dtype=np.int64)
    offsets[1:] = np.cumsum([len(c) for c in all_counts])
    flat = [v for c in all_counts for v in c]
    return np.array(flat, dtype=np.uint32), offsets


def eval_polygons(
    coords: npt.NDArray[np.float64],
    point_offsets: npt.NDArray[np.int64],
    poly_offsets: npt.NDArray[np.int64],
    sizes_hw: npt.NDArray[np.int64],
) -> tuple[npt.NDArray[np.uint32], npt.NDArray[np.int64]]:
    """The RLE counts of every annotation's polygons (see ``rust/eval.rs``)."""
    po = _offsets("point_offsets", point_offsets, len(coords) // 2)
    ao = _offsets("poly_offsets", poly_offsets, len(po) - 1)
    if np.shape(sizes_hw) != (len(ao) - 1, 2):
        raise KernelInputError(f"sizes must have shape ({len(ao) - 1}, 2)")
    xy = coords.tolist()
    out = []
    for i, (h, w) in enumerate(sizes_hw.tolist()):
        if h < 0 or w < 0:
            raise KernelInputError("sizes must be >= 0")
        if h * w > 2**32 - 1:
            raise KernelInputError(
                f"a {h}x{w} frame has more pixels than COCO RLE counts can hold (2**32 - 1)"
            )
        parts = [
            _polygon_counts(xy[2 * po[p] : 2 * po[p + 1]], h, w) for p in range(ao[i], ao[i + 1])
        ]
        if not parts:
            raise KernelInputError(f"annotation {i} has no polygon")
        out.append(_union(parts, h * w))
    return _flatten(out)


def eval_rle_strings(
    data: bytes, offsets: npt.NDArray[np.int64]
) -> tuple[npt.NDArray[np.uint32], npt.NDArray[np.int64]]:
    """Counts of many compressed RLE strings (see ``rust/eval.rs``)."""
    o = _offsets("offsets", offsets, len(data))
    return _flatten([rle_from_string(data[o[i] : o[i + 1]]).tolist() for i in range(len(o) - 1)])


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
]:
    """The masks ``(kinds[i], entries[i])`` of three pools (see ``rust/eval.rs``).

    Kind 0 is polygons, 1 a compressed string, 2 uncompressed counts (copied as given).
    Returns the counts, their offsets, each mask's count sum and its area.
    """
    po = _offsets("point_offsets", point_offsets, len(coords) // 2)
    ao = _offsets("poly_offsets", poly_offsets, len(po) - 1)
    so = _offsets("str_offsets", str_offsets, len(str_data))
    lo = _offsets("list_offsets", list_offsets, len(list_counts))
    n = len(kinds)
    if len(entries) != n or np.shape(sizes_hw) != (n, 2):
        raise KernelInputError("kinds, entries and sizes must have one entry per mask")
    xy = coords.tolist()
    out: list[npt.NDArray[np.uint32]] = []
    for i, (k, e, (h, w)) in enumerate(
        zip(kinds.tolist(), entries.tolist(), sizes_hw.tolist(), strict=True)
    ):
        if e < 0 or h < 0 or w < 0:
            raise KernelInputError("entries and sizes must be >= 0")
        pool = {0: ao, 1: so, 2: lo}.get(k)
        if pool is None:
            raise KernelInputError(f"mask kind {k} is not 0, 1 or 2")
        if e + 1 >= len(pool):
            raise KernelInputError(f"entry {e} is outside its pool of {len(pool) - 1}")
        a, b = pool[e], pool[e + 1]
        if k == 0:
            if h * w > 2**32 - 1:
                raise KernelInputError(
                    f"a {h}x{w} frame has more pixels than COCO RLE counts can hold (2**32 - 1)"
                )
            parts = [_polygon_counts(xy[2 * po[p] : 2 * po[p + 1]], h, w) for p in range(a, b)]
            if not parts:
                raise KernelInputError(f"mask {i} has no polygon")
            out.append(np.array(_union(parts, h * w), dtype=np.uint32))
        elif k == 1:
            out.append(np.asarray(rle_from_string(str_data[a:b]), dtype=np.uint32))
        else:
            out.append(np.asarray(list_counts[a:b], dtype=np.uint32))
    offsets = np.zeros(len(out) + 1, dtype=np.int64)
    np.cumsum([len(c) for c in out], out=offsets[1:])
    flat = np.concatenate(out) if out else np.zeros(0, np.uint32)
    sums = np.array([int(c.sum(dtype=np.uint64)) for c in out], dtype=np.uint64)
    areas = np.array([float(c[1::2].sum(dtype=np.uint64)) for c in out], dtype=np.float64)
    return flat, offsets, sums, areas
