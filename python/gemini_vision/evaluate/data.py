"""COCO ground truth and predictions as columns, read the way pycocotools reads them.

:func:`load_ground_truth` takes a COCO dict (or a path to its JSON file);
:func:`load_predictions` takes a COCO results list (or a path), and applies
pycocotools' ``loadRes`` rules: whether the first result has a ``bbox``
decides what ``area`` every result gets (the box's ``w * h``, else the mask's
pixel count), and every result's ``image_id`` must be an image of the ground
truth. Masks (polygons, uncompressed or compressed RLE) become RLE counts in
one batched kernel call each (:func:`masks_of`).

>>> gt = load_ground_truth({
...     "images": [{"id": 1, "height": 10, "width": 10}],
...     "categories": [{"id": 3, "name": "cat"}],
...     "annotations": [{"id": 1, "image_id": 1, "category_id": 3,
...                      "bbox": [0, 0, 4, 4], "area": 16, "iscrowd": 0}]})
>>> gt.category_names, gt.bbox.tolist()
({3: 'cat'}, [[0.0, 0.0, 4.0, 4.0]])
>>> dt = load_predictions([{"image_id": 1, "category_id": 3, "bbox": [0, 0, 2, 2],
...                         "score": 0.5}], gt)
>>> dt.area.tolist(), dt.score.tolist()
([4.0], [0.5])
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from gemini_vision._backend import kernels
from gemini_vision.errors import EvaluationError, KernelInputError, RleError

__all__ = [
    "GroundTruth",
    "Masks",
    "Predictions",
    "load_ground_truth",
    "load_predictions",
    "masks_of",
]

F64 = npt.NDArray[np.float64]


def _read_json(source: Any, what: str) -> Any:
    """A path's JSON (orjson when installed, as ``wire.codec``), else ``source`` itself."""
    if isinstance(source, (str, os.PathLike)):
        from gemini_vision.wire.codec import loads

        try:
            with open(source, "rb") as f:
                return loads(f.read())
        except (OSError, ValueError) as e:
            raise EvaluationError(f"cannot read {what} from {os.fspath(source)!r}: {e}") from None
    return source


@dataclass(frozen=True)
class Masks:
    """Concatenated RLE counts: mask ``i`` is ``counts[offsets[i]:offsets[i + 1]]``.

    ``sizes[i]`` is its frame, ``(height, width)``.
    """

    counts: npt.NDArray[np.uint32]
    offsets: npt.NDArray[np.int64]
    sizes: npt.NDArray[np.int64]

    def __len__(self) -> int:
        return len(self.sizes)

    def take(self, index: npt.NDArray[np.int64]) -> Masks:
        """The masks at ``index``, in that order.

        >>> counts = np.array([1, 2, 4], np.uint32)
        >>> m = Masks(counts, np.array([0, 1, 3]), np.array([[1, 1], [2, 3]]))
        >>> m.take(np.array([1])).counts.tolist()
        [2, 4]
        """
        index = np.asarray(index, dtype=np.int64)
        if len(index) == len(self.sizes) and np.array_equal(index, np.arange(len(index))):
            return self
        lens = (self.offsets[1:] - self.offsets[:-1])[index]
        offsets = np.zeros(len(index) + 1, dtype=np.int64)
        np.cumsum(lens, out=offsets[1:])
        # One slice per mask: far less memory than an index per count.
        starts, ends = self.offsets[:-1][index].tolist(), self.offsets[1:][index].tolist()
        c = self.counts
        parts = [c[a:b] for a, b in zip(starts, ends, strict=True)]
        counts = np.concatenate(parts) if parts else np.zeros(0, np.uint32)
        return Masks(counts, offsets, self.sizes[index])

    def areas(self) -> F64:
        """Each mask's pixel count (the sum of its odd runs), as float64."""
        # Running sums of the counts at even and at odd positions: a mask starting at
        # an even position has its on runs at odd ones, and the other way round.
        c = self.counts.astype(np.uint64)
        sums = []
        for parity in (0, 1):
            part = c.copy()
            part[parity::2] = 0
            cs = np.zeros(len(c) + 1, dtype=np.uint64)
            np.cumsum(part, out=cs[1:])
            sums.append(cs[self.offsets[1:]] - cs[self.offsets[:-1]])
        start_even = self.offsets[:-1] % 2 == 0
        return np.where(start_even, sums[0], sums[1]).astype(np.float64)

    def bboxes(self) -> F64:
        """Each mask's ``[x, y, w, h]`` as pycocotools' ``toBbox``."""
        out = np.zeros((len(self.sizes), 4), dtype=np.float64)
        for i, (h, w) in enumerate(self.sizes.tolist()):
            c = self.counts[self.offsets[i] : self.offsets[i + 1]]
            out[i] = kernels.rle_bbox(np.ascontiguousarray(c), h, w)
        return out

    def get(self, i: int) -> dict[str, Any]:
        """Mask ``i`` as a COCO RLE dict (compressed)."""
        h, w = self.sizes[i].tolist()
        c = np.ascontiguousarray(self.counts[self.offsets[i] : self.offsets[i + 1]])
        return {"size": [h, w], "counts": kernels.rle_to_string(c).decode("ascii")}


@dataclass(frozen=True)
class GroundTruth:
    """A COCO ground truth as columns (one row per annotation, in file order).

    ``segmentation`` keeps each annotation's mask as given; :func:`masks_of`
    turns it into RLE counts when an evaluation needs masks.
    """

    image_ids: list[Any]
    image_sizes: dict[Any, tuple[int, int]]
    category_ids: list[Any]
    category_names: dict[Any, str]
    id: npt.NDArray[np.int64]
    image_id: list[Any]
    category_id: list[Any]
    bbox: F64
    area: F64
    iscrowd: npt.NDArray[np.bool_]
    segmentation: list[Any]
    file_names: dict[Any, str]


@dataclass(frozen=True)
class Predictions:
    """Predictions as columns, in the order given (ties in score keep it)."""

    image_id: list[Any]
    category_id: list[Any]
    score: F64
    bbox: F64
    area: F64
    segmentation: list[Any]
    area_from_box: bool
    masks: Masks | None = None
    score_given: npt.NDArray[np.bool_] | None = None
    unmapped: dict[Any, int] = field(default_factory=dict)
    unmapped_items: list[dict[str, Any]] = field(default_factory=list)


def _field(ann: Mapping[str, Any], key: str, where: str) -> Any:
    try:
        return ann[key]
    except (KeyError, TypeError):
        raise EvaluationError(f"{where} has no {key!r}") from None


def _boxes(values: list[Any], what: str) -> F64:
    try:
        arr = np.array(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise EvaluationError(f"every {what} bbox must be four numbers [x, y, w, h]") from None
    if arr.size == 0:
        arr = arr.reshape(0, 4)
    if arr.ndim != 2 or arr.shape[1] != 4 or not np.all(np.isfinite(arr)):
        raise EvaluationError(f"every {what} bbox must be four finite numbers [x, y, w, h]")
    return arr


def load_ground_truth(source: Any) -> GroundTruth:
    """Read a COCO ground truth: a dict, a :class:`GroundTruth`, or a path to its JSON file.

    ``iscrowd`` defaults to 0 and ``area`` to the box's ``w * h`` when missing
    (pycocotools would fail on both).
    """
    if isinstance(source, GroundTruth):
        return source
    data = _read_json(source, "the ground truth")
    if not isinstance(data, Mapping):
        raise EvaluationError("the ground truth must be a COCO dict with images and annotations")
    images = data.get("images") or []
    anns = data.get("annotations") or []
    cats = data.get("categories") or []
    sizes: dict[Any, tuple[int, int]] = {}
    names: dict[Any, str] = {}
    files: dict[Any, str] = {}
    for i, img in enumerate(images):
        where = f"images[{i}]"
        iid = _field(img, "id", where)
        h, w = img.get("height", 0), img.get("width", 0)
        sizes[iid] = (int(h or 0), int(w or 0))
        if img.get("file_name"):
            files[iid] = str(img["file_name"])
    for i, cat in enumerate(cats):
        names[_field(cat, "id", f"categories[{i}]")] = str(cat.get("name", ""))
    try:
        # The common case in one pass per column; the loop below finds what is wrong.
        img_ids = [a["image_id"] for a in anns]
        cat_ids = [a["category_id"] for a in anns]
        boxes = [a["bbox"] for a in anns]
        ids = [a.get("id", 0) for a in anns]
        areas = [a.get("area") for a in anns]
        crowd = [a.get("iscrowd", 0) for a in anns]
        segs = [a.get("segmentation") for a in anns]
        fast = set(img_ids) <= sizes.keys() and None not in areas
    except (KeyError, TypeError, AttributeError):
        fast = False
    if not fast:
        ids, img_ids, cat_ids, boxes, areas, crowd, segs = [], [], [], [], [], [], []
        for i, ann in enumerate(anns):
            where = f"annotations[{i}]"
            iid = _field(ann, "image_id", where)
            if iid not in sizes:
                raise EvaluationError(f"{where} refers to image {iid!r}, which is not in images")
            ids.append(ann.get("id", 0))
            img_ids.append(iid)
            cat_ids.append(_field(ann, "category_id", where))
            box = ann.get("bbox")
            if box is None or not isinstance(box, (list, tuple)) or len(box) != 4:
                raise EvaluationError(f"{where} needs 'bbox': [x, y, w, h]")
            boxes.append(box)
            area = ann.get("area")
            areas.append(float(box[2]) * float(box[3]) if area is None else area)
            crowd.append(ann.get("iscrowd", 0))
            segs.append(ann.get("segmentation"))
    try:
        id_arr = np.array(ids, dtype=np.int64)
        area_arr = np.array(areas, dtype=np.float64)
        crowd_arr = np.array(crowd, dtype=np.int64).astype(np.bool_)
    except (TypeError, ValueError, OverflowError):
        raise EvaluationError("annotation id, area and iscrowd must be numbers") from None
    return GroundTruth(
        image_ids=list(sizes),
        image_sizes=sizes,
        category_ids=list(names),
        category_names=names,
        id=id_arr,
        image_id=img_ids,
        category_id=cat_ids,
        bbox=_boxes(boxes, "annotation"),
        area=area_arr,
        iscrowd=crowd_arr,
        segmentation=segs,
        file_names=files,
    )


def load_predictions(source: Any, gt: GroundTruth) -> Predictions:
    """Read COCO results (a list of dicts, or a path to their JSON) as pycocotools' ``loadRes``.

    A result without ``score`` is scored by its place among its image's results,
    ``1 / (1 + place)``: the first result of every image scores 1, the second 0.5,
    ..., so earlier items rank first and ties across images keep image order
    (``score_given`` records which scores came with the data).
    """
    if isinstance(source, Predictions):
        return source
    anns = _read_json(source, "the predictions")
    if not isinstance(anns, Sequence) or isinstance(anns, (str, bytes)):
        raise EvaluationError("predictions must be a list of COCO result dicts")
    known = gt.image_sizes
    first_box = bool(anns) and isinstance(anns[0], Mapping) and bool(anns[0].get("bbox"))
    try:
        img_ids = [a["image_id"] for a in anns]
        cat_ids = [a["category_id"] for a in anns]
        scores = [a["score"] for a in anns]
        given = [True] * len(anns)
        segs = [a.get("segmentation") for a in anns]
        if first_box:
            boxes = [a["bbox"] for a in anns]
        else:
            boxes = [a.get("bbox") or [0.0, 0.0, 0.0, 0.0] for a in anns]
            if None in segs:
                raise KeyError("segmentation")
        fast = set(img_ids) <= known.keys() and not (first_box and not all(boxes))
    except (KeyError, TypeError, AttributeError):
        fast = False
    if not fast:
        img_ids, cat_ids, scores, boxes, segs = [], [], [], [], []
        given = []
        per_image: dict[Any, int] = {}
        for i, ann in enumerate(anns):
            where = f"predictions[{i}]"
            iid = _field(ann, "image_id", where)
            if iid not in known:
                raise EvaluationError(
                    f"{where} refers to image {iid!r}, which the ground truth lacks"
                )
            img_ids.append(iid)
            cat_ids.append(_field(ann, "category_id", where))
            score = ann.get("score")
            place = per_image.get(iid, 0)
            per_image[iid] = place + 1
            scores.append(1.0 / (1.0 + place) if score is None else score)
            given.append(score is not None)
            seg = ann.get("segmentation")
            box = ann.get("bbox")
            if first_box:
                if not box:
                    raise EvaluationError(f"{where} has no 'bbox' (the first result has one)")
            elif seg is None:
                raise EvaluationError(f"{where} has neither 'bbox' nor 'segmentation'") from None
            boxes.append(box if box else [0.0, 0.0, 0.0, 0.0])
            segs.append(seg)
    try:
        score_arr = np.array(scores, dtype=np.float64)
    except (TypeError, ValueError):
        raise EvaluationError("every prediction's score must be a number") from None
    if not np.all(np.isfinite(score_arr)):
        raise EvaluationError("every prediction's score must be a finite number")
    bbox = _boxes(boxes, "prediction")
    if first_box:
        area = bbox[:, 2] * bbox[:, 3]
        # pycocotools gives box-only results the box as a polygon.
        for i, seg in enumerate(segs):
            if seg is None:
                x, y, w, h = bbox[i].tolist()
                segs[i] = [[x, y, x, y + h, x + w, y + h, x + w, y]]
    masks = None
    if not first_box:
        m = masks = masks_of(segs, img_ids, gt)
        area = m.areas()
        missing = [i for i, a in enumerate(anns) if not a.get("bbox")]
        if missing:
            bbox[missing] = m.take(np.array(missing, dtype=np.int64)).bboxes()
    return Predictions(
        image_id=img_ids,
        category_id=cat_ids,
        score=score_arr,
        bbox=bbox,
        area=np.asarray(area, dtype=np.float64),
        segmentation=segs,
        area_from_box=first_box,
        masks=masks,
        score_given=np.array(given, dtype=np.bool_),
    )


def _rle_size(seg: Mapping[str, Any], where: str) -> tuple[int, int]:
    try:
        h, w = seg["size"]
        return int(h), int(w)
    except (KeyError, TypeError, ValueError):
        raise EvaluationError(f"{where}: an RLE needs 'size': [height, width]") from None


def masks_of(segmentations: Sequence[Any], image_ids: Sequence[Any], gt: GroundTruth) -> Masks:
    """Every segmentation as RLE counts, as pycocotools' ``annToRLE``.

    Polygons (a list of ``[x0, y0, x1, y1, ...]``; a first entry of exactly four
    numbers makes pycocotools read every entry as a box) take the image's size;
    RLE dicts keep their ``size``.

    >>> gt = load_ground_truth({"images": [{"id": 1, "height": 4, "width": 4}]})
    >>> m = masks_of([[[1, 1, 1, 3, 3, 3, 3, 1]]], [1], gt)
    >>> m.areas().tolist(), m.sizes.tolist()
    ([4.0], [[4, 4]])
    """
    n = len(segmentations)
    poly_idx: list[int] = []
    coords: list[float] = []
    point_offsets = [0]
    poly_offsets = [0]
    poly_sizes: list[tuple[int, int]] = []
    str_idx: list[int] = []
    strs: list[bytes] = []
    str_sizes: list[tuple[int, int]] = []
    list_parts: dict[int, tuple[npt.NDArray[np.uint32], tuple[int, int]]] = {}
    for i, seg in enumerate(segmentations):
        where = f"segmentation of annotation {i}"
        if isinstance(seg, list):
            h, w = gt.image_sizes[image_ids[i]]
            if not seg:
                raise EvaluationError(f"{where} is an empty polygon list")
            first = seg[0]
            boxes = isinstance(first, (list, tuple)) and len(first) == 4
            for part in seg:
                if not isinstance(part, (list, tuple)) or (not boxes and len(part) < 2):
                    raise EvaluationError(f"{where}: a polygon is a list of x, y numbers")
                if boxes:
                    if len(part) != 4:
                        raise EvaluationError(f"{where}: boxes must be [x, y, w, h]")
                    x, y, bw, bh = (float(v) for v in part)
                    part = [x, y, x, y + bh, x + bw, y + bh, x + bw, y]
                k = len(part) // 2
                coords.extend(part[: 2 * k])
                point_offsets.append(point_offsets[-1] + k)
            poly_offsets.append(len(point_offsets) - 1)
            poly_sizes.append((h, w))
            poly_idx.append(i)
        elif isinstance(seg, Mapping) and "counts" in seg:
            hw = _rle_size(seg, where)
            counts = seg["counts"]
            if isinstance(counts, (str, bytes)):
                strs.append(
                    counts.encode("ascii", "replace") if isinstance(counts, str) else counts
                )
                str_sizes.append(hw)
                str_idx.append(i)
            else:
                try:
                    arr = np.array(counts, dtype=np.int64)
                except (TypeError, ValueError):
                    raise EvaluationError(f"{where}: RLE counts must be integers") from None
                if arr.ndim != 1 or (arr.size and (arr.min() < 0 or arr.max() > 2**32 - 1)):
                    raise EvaluationError(f"{where}: RLE counts must be integers in 0..2**32-1")
                list_parts[i] = (arr.astype(np.uint32), hw)
        else:
            raise EvaluationError(f"{where} must be polygons or a COCO RLE dict")
    pools: list[Masks] = []
    where_from = np.zeros(n, dtype=np.int64)
    try:
        if poly_idx:
            c, o = kernels.eval_polygons(
                np.array(coords, dtype=np.float64),
                np.array(point_offsets, dtype=np.int64),
                np.array(poly_offsets, dtype=np.int64),
                np.array(poly_sizes, dtype=np.int64).reshape(-1, 2),
            )
            pools.append(Masks(c, o, np.array(poly_sizes, np.int64).reshape(-1, 2)))
            where_from[poly_idx] = np.arange(len(poly_idx))
        if str_idx:
            offs = np.zeros(len(strs) + 1, dtype=np.int64)
            np.cumsum([len(s) for s in strs], out=offs[1:])
            c, o = kernels.eval_rle_strings(b"".join(strs), offs)
            base = sum(len(p) for p in pools)
            pools.append(Masks(c, o, np.array(str_sizes, np.int64).reshape(-1, 2)))
            where_from[str_idx] = base + np.arange(len(str_idx))
    except (KernelInputError, RleError) as e:
        raise EvaluationError(f"a segmentation is malformed: {e}") from None
    if list_parts:
        base = sum(len(p) for p in pools)
        idx = list(list_parts)
        arrs = [list_parts[i][0] for i in idx]
        offs = np.zeros(len(arrs) + 1, dtype=np.int64)
        np.cumsum([len(a) for a in arrs], out=offs[1:])
        sizes = np.array([list_parts[i][1] for i in idx], dtype=np.int64).reshape(-1, 2)
        pools.append(Masks(np.concatenate(arrs).astype(np.uint32), offs, sizes))
        where_from[idx] = base + np.arange(len(idx))
    out = _concat(pools).take(where_from)
    cs = np.zeros(len(out.counts) + 1, dtype=np.uint64)
    np.cumsum(out.counts, dtype=np.uint64, out=cs[1:])
    sums = (cs[out.offsets[1:]] - cs[out.offsets[:-1]]).astype(np.int64)
    bad = np.flatnonzero(sums != out.sizes[:, 0] * out.sizes[:, 1])
    if bad.size:
        i = int(bad[0])
        raise EvaluationError(
            f"the RLE counts of annotation {i} sum to {int(sums[i])}, "
            f"not the {out.sizes[i].tolist()} frame's pixel count"
        )
    return out


def _concat(parts: list[Masks]) -> Masks:
    if not parts:
        return Masks(np.zeros(0, np.uint32), np.zeros(1, np.int64), np.zeros((0, 2), np.int64))
    if len(parts) == 1:
        return parts[0]
    counts = np.concatenate([p.counts for p in parts]).astype(np.uint32, copy=False)
    lens = np.concatenate([p.offsets[1:] - p.offsets[:-1] for p in parts])
    offsets = np.zeros(len(lens) + 1, dtype=np.int64)
    np.cumsum(lens, out=offsets[1:])
    sizes = np.concatenate([p.sizes for p in parts]).astype(np.int64, copy=False)
    return Masks(counts, offsets, sizes)
