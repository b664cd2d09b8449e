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

import itertools
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import numpy.typing as npt

from gemini_vision._backend import kernels
from gemini_vision.errors import EvaluationError, KernelInputError, RleError

__all__ = [
    "GroundTruth",
    "Masks",
    "Predictions",
    "Segmentations",
    "load_ground_truth",
    "load_predictions",
    "masks_of",
    "take_segmentations",
]

F64 = npt.NDArray[np.float64]


def _read_bytes(source: Any, what: str) -> bytes | None:
    """A path's bytes, or None when ``source`` is not a path."""
    if isinstance(source, (str, os.PathLike)):
        try:
            with open(source, "rb") as f:
                return f.read()
        except OSError as e:
            raise EvaluationError(f"cannot read {what} from {os.fspath(source)!r}: {e}") from None
    return None


def _read_json(source: Any, what: str, doc: bytes | None = None) -> Any:
    """A path's JSON (orjson when installed, as ``wire.codec``), else ``source`` itself."""
    if doc is None:
        doc = _read_bytes(source, what)
    if doc is not None:
        from gemini_vision.wire.codec import loads

        try:
            return loads(doc)
        except ValueError as e:
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
    #: Each mask's pixel count when already known (the mask kernel computes it).
    known_areas: F64 | None = field(default=None, repr=False, compare=False)

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
        sizes = self.sizes[index].reshape(-1, 2)
        # The mask kernel's "counts as given" pool: a parallel copy, no index per count.
        counts, offsets, _, areas = kernels.eval_masks(
            np.full(len(index), 2, dtype=np.uint8),
            index,
            sizes,
            np.zeros(0),
            np.zeros(1, np.int64),
            np.zeros(1, np.int64),
            b"",
            np.zeros(1, np.int64),
            np.ascontiguousarray(self.counts, dtype=np.uint32),
            np.ascontiguousarray(self.offsets, dtype=np.int64),
        )
        return Masks(counts, offsets, sizes, areas)

    def areas(self) -> F64:
        """Each mask's pixel count (the sum of its odd runs), as float64."""
        if self.known_areas is not None:
            return self.known_areas
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


def _ragged(
    offsets: npt.NDArray[np.int64], index: npt.NDArray[np.int64]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Entries ``index`` of a ragged column: the new offsets and the gather index."""
    starts, ends = offsets[:-1][index], offsets[1:][index]
    lens = ends - starts
    new = np.zeros(len(index) + 1, dtype=np.int64)
    np.cumsum(lens, out=new[1:])
    gather = np.arange(int(new[-1]), dtype=np.int64) + np.repeat(starts - new[:-1], lens)
    return new, gather


@dataclass(frozen=True)
class Segmentations(Sequence[Any]):
    """Segmentations as pooled columns, as the fast COCO reader gives them.

    ``kind[i]`` says what row ``i`` holds: 0 nothing, 1 polygons, 2 boxes (a
    polygon list whose first entry has four numbers, stored as four-corner
    polygons), 3 a compressed RLE string, 4 uncompressed RLE counts, 5 the
    row's box as a polygon (a box-only result, as pycocotools' ``loadRes``).
    Each pool lists its rows in ascending order. Indexing gives a row back as
    a COCO value (polygons as lists of floats, RLEs as dicts), so code that
    reads one segmentation at a time works unchanged; :func:`masks_of` reads
    the pools whole.

    >>> from gemini_vision._backend import kernels
    >>> cols = kernels.eval_read_results(
    ...     b'[{"image_id": 1, "category_id": 1, "score": 1,'
    ...     b' "segmentation": {"size": [2, 2], "counts": [1, 2, 1]}}]')
    >>> Segmentations.of(cols)[0]
    {'size': [2, 2], 'counts': [1, 2, 1]}
    """

    kind: npt.NDArray[np.uint8]
    poly_rows: npt.NDArray[np.int64]
    coords: F64
    point_offsets: npt.NDArray[np.int64]
    poly_offsets: npt.NDArray[np.int64]
    str_rows: npt.NDArray[np.int64]
    str_hw: npt.NDArray[np.int64]
    str_data: bytes
    str_offsets: npt.NDArray[np.int64]
    list_rows: npt.NDArray[np.int64]
    list_hw: npt.NDArray[np.int64]
    list_counts: npt.NDArray[np.uint32]
    list_offsets: npt.NDArray[np.int64]
    box_rows: npt.NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, np.int64))
    boxes: F64 = field(default_factory=lambda: np.zeros((0, 4)))

    @classmethod
    def of(cls, cols: Mapping[str, Any]) -> Segmentations:
        """The segmentation columns of a reader's output."""
        names = [f for f in cls.__dataclass_fields__ if f not in ("kind", "box_rows", "boxes")]
        return cls(kind=cols["seg_kind"], **{f: cols[f] for f in names})

    def __len__(self) -> int:
        return len(self.kind)

    def _pos(self, rows: npt.NDArray[np.int64], i: int) -> int:
        return int(np.searchsorted(rows, i))

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        i = int(i)
        if i < 0:
            i += len(self)
        k = int(self.kind[i])
        if k in (1, 2):
            j = self._pos(self.poly_rows, i)
            a, b = self.poly_offsets[j : j + 2].tolist()
            pts = self.point_offsets[a : b + 1].tolist()
            xy = self.coords
            return [xy[2 * p : 2 * q].tolist() for p, q in itertools.pairwise(pts)]
        if k == 3:
            j = self._pos(self.str_rows, i)
            a, b = self.str_offsets[j : j + 2].tolist()
            counts: Any = self.str_data[a:b].decode("ascii")
            return {"size": self.str_hw[j].tolist(), "counts": counts}
        if k == 4:
            j = self._pos(self.list_rows, i)
            a, b = self.list_offsets[j : j + 2].tolist()
            return {"size": self.list_hw[j].tolist(), "counts": self.list_counts[a:b].tolist()}
        if k == 5:
            x, y, w, h = self.boxes[self._pos(self.box_rows, i)].tolist()
            return [[x, y, x, y + h, x + w, y + h, x + w, y]]
        return None

    def with_box_polygons(self, bbox: F64) -> Segmentations:
        """Rows without a segmentation get their box as a polygon (pycocotools' ``loadRes``)."""
        rows = np.flatnonzero(self.kind == 0).astype(np.int64)
        if not rows.size:
            return self
        kind = self.kind.copy()
        kind[rows] = 5
        return replace(self, kind=kind, box_rows=rows, boxes=np.asarray(bbox, np.float64)[rows])

    def take(self, index: npt.NDArray[np.int64]) -> Segmentations:
        """The rows at ``index``, in that order (each pool stays in row order).

        >>> from gemini_vision._backend import kernels
        >>> s = Segmentations.of(kernels.eval_read_results(
        ...     b'[{"image_id": 1, "category_id": 1, "score": 1, "segmentation": [[0, 0, 1, 1]]},'
        ...     b' {"image_id": 1, "category_id": 1, "score": 1, "segmentation": [[2, 2, 3, 3]]}]'))
        >>> s.take(np.array([1, 0]))[0]
        [[2.0, 2.0, 2.0, 5.0, 5.0, 5.0, 5.0, 2.0]]
        """
        index = np.asarray(index, dtype=np.int64)
        n = len(self.kind)
        if len(index) == n and np.array_equal(index, np.arange(n)):
            return self

        def pick(
            rows: npt.NDArray[np.int64],
        ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
            # (pool entries, new rows) of the taken rows held by this pool, in new-row order.
            if not len(rows):
                return np.zeros(0, np.int64), np.zeros(0, np.int64)
            pos = np.minimum(np.searchsorted(rows, index), len(rows) - 1)
            new = np.flatnonzero(rows[pos] == index).astype(np.int64)
            return pos[new].astype(np.int64), new

        pj, prow = pick(self.poly_rows)
        poly_offsets, poly_sel = _ragged(self.poly_offsets, pj)
        point_offsets, pt_sel = _ragged(self.point_offsets, poly_sel)
        coord_idx = (2 * pt_sel[:, None] + np.array([0, 1])).ravel()
        sj, srow = pick(self.str_rows)
        str_offsets, str_sel = _ragged(self.str_offsets, sj)
        data = np.frombuffer(self.str_data, dtype=np.uint8)[str_sel].tobytes()
        lj, lrow = pick(self.list_rows)
        list_offsets, list_sel = _ragged(self.list_offsets, lj)
        bj, brow = pick(self.box_rows)
        return Segmentations(
            kind=self.kind[index],
            poly_rows=prow,
            coords=self.coords[coord_idx],
            point_offsets=point_offsets,
            poly_offsets=poly_offsets,
            str_rows=srow,
            str_hw=self.str_hw[sj].reshape(-1, 2),
            str_data=data,
            str_offsets=str_offsets,
            list_rows=lrow,
            list_hw=self.list_hw[lj].reshape(-1, 2),
            list_counts=self.list_counts[list_sel],
            list_offsets=list_offsets,
            box_rows=brow,
            boxes=self.boxes[bj].reshape(-1, 4),
        )


def take_segmentations(segs: Sequence[Any], rows: npt.NDArray[np.int64]) -> Sequence[Any]:
    """``segs`` at ``rows``: a :class:`Segmentations` stays columns, a list stays a list.

    >>> take_segmentations([None, [[0, 0, 1, 1]]], np.array([1]))
    [[[0, 0, 1, 1]]]
    """
    if isinstance(segs, Segmentations):
        return segs.take(rows)
    return [segs[i] for i in np.asarray(rows).tolist()]


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
    segmentation: Sequence[Any]
    file_names: dict[Any, str]


@dataclass(frozen=True)
class Predictions:
    """Predictions as columns, in the order given (ties in score keep it)."""

    image_id: list[Any]
    category_id: list[Any]
    score: F64
    bbox: F64
    area: F64
    segmentation: Sequence[Any]
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


def _known(ids: npt.NDArray[np.int64], keys: Any) -> bool:
    """Every id in ``ids`` is one of ``keys`` (ints)."""
    if not len(ids):
        return True
    if not all(type(k) is int for k in keys):
        return False
    return bool(np.isin(ids, np.fromiter(keys, dtype=np.int64, count=len(keys))).all())


def _ground_truth_of(cols: Mapping[str, Any]) -> GroundTruth | None:
    """A :class:`GroundTruth` from the fast reader's columns; None if the general reader
    must read the document (an annotation of an unknown image: it raises the error)."""
    img = cols["img_id"].tolist()
    sizes = dict(
        zip(
            img,
            zip(cols["img_height"].tolist(), cols["img_width"].tolist(), strict=True),
            strict=True,
        )
    )
    files = {iid: f for iid, f in zip(img, cols["img_file"], strict=True) if f}
    names = dict(zip(cols["cat_id"].tolist(), cols["cat_name"], strict=True))
    if not _known(cols["ann_image"], sizes.keys()):
        return None
    bbox = cols["ann_bbox"]
    area = cols["ann_area"]
    missing = np.isnan(area)
    if missing.any():
        area = np.where(missing, bbox[:, 2] * bbox[:, 3], area)
    return GroundTruth(
        image_ids=list(sizes),
        image_sizes=sizes,
        category_ids=list(names),
        category_names=names,
        id=cols["ann_id"],
        image_id=cols["ann_image"].tolist(),
        category_id=cols["ann_category"].tolist(),
        bbox=bbox,
        area=area,
        iscrowd=cols["ann_crowd"] != 0,
        segmentation=Segmentations.of(cols),
        file_names=files,
    )


def _predictions_of(cols: Mapping[str, Any], gt: GroundTruth) -> Predictions | None:
    """:func:`load_predictions` on the fast reader's columns; None if the general reader
    must (an unknown image, a result without the box or mask ``loadRes`` needs)."""
    image = cols["image"]
    if not _known(image, gt.image_sizes.keys()):
        return None
    has_box = cols["has_bbox"]
    segs = Segmentations.of(cols)
    n = len(image)
    first_box = bool(n) and bool(has_box[0])
    if (first_box and not has_box.all()) or (not first_box and (segs.kind == 0).any()):
        return None
    bbox = cols["bbox"]
    masks = None
    if first_box:
        area = bbox[:, 2] * bbox[:, 3]
        segs = segs.with_box_polygons(bbox)
    else:
        masks = masks_of(segs, image, gt)
        area = masks.areas()
        missing = np.flatnonzero(~has_box)
        if missing.size:
            bbox = bbox.copy()
            bbox[missing] = masks.take(missing).bboxes()
    return Predictions(
        image_id=image.tolist(),
        category_id=cols["category"].tolist(),
        score=cols["score"],
        bbox=bbox,
        area=np.asarray(area, dtype=np.float64),
        segmentation=segs,
        area_from_box=first_box,
        masks=masks,
        score_given=np.ones(n, dtype=np.bool_),
    )


def load_ground_truth(source: Any) -> GroundTruth:
    """Read a COCO ground truth: a dict, a :class:`GroundTruth`, or a path to its JSON file.

    ``iscrowd`` defaults to 0 and ``area`` to the box's ``w * h`` when missing
    (pycocotools would fail on both).
    """
    if isinstance(source, GroundTruth):
        return source
    doc = _read_bytes(source, "the ground truth")
    if doc is not None:
        cols = kernels.eval_read_ground_truth(doc)
        read = None if cols is None else _ground_truth_of(cols)
        if read is not None:
            return read
    data = _read_json(source, "the ground truth", doc)
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
    doc = _read_bytes(source, "the predictions")
    if doc is not None:
        cols = kernels.eval_read_results(doc)
        got = None if cols is None else _predictions_of(cols, gt)
        if got is not None:
            return got
    anns = _read_json(source, "the predictions", doc)
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


def masks_of(
    segmentations: Sequence[Any],
    image_ids: Sequence[Any] | npt.NDArray[Any],
    gt: GroundTruth,
    rows: npt.NDArray[np.int64] | None = None,
) -> Masks:
    """Every segmentation as RLE counts, as pycocotools' ``annToRLE``.

    Polygons (a list of ``[x0, y0, x1, y1, ...]``; a first entry of exactly four
    numbers makes pycocotools read every entry as a box) take the image's size;
    RLE dicts keep their ``size``. ``rows``: only those segmentations, in that
    order (``image_ids`` still lines up with ``segmentations``).

    >>> gt = load_ground_truth({"images": [{"id": 1, "height": 4, "width": 4}]})
    >>> m = masks_of([[[1, 1, 1, 3, 3, 3, 3, 1]]], [1], gt)
    >>> m.areas().tolist(), m.sizes.tolist()
    ([4.0], [[4, 4]])
    """
    if isinstance(segmentations, Segmentations):
        return _masks_of_columns(segmentations, image_ids, gt, rows)
    if rows is not None:
        idx = np.asarray(rows, dtype=np.int64).tolist()
        segmentations = [segmentations[i] for i in idx]
        image_ids = [image_ids[i] for i in idx]
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
    i64 = np.int64
    polys = _Polygons(
        np.array(poly_idx, i64),
        np.array(coords, dtype=np.float64),
        np.array(point_offsets, dtype=i64),
        np.array(poly_offsets, dtype=i64),
        np.array(poly_sizes, dtype=i64).reshape(-1, 2),
    )
    str_offsets = np.zeros(len(strs) + 1, dtype=i64)
    np.cumsum([len(s) for s in strs], out=str_offsets[1:])
    str_pool = _Strings(
        np.array(str_idx, i64),
        b"".join(strs),
        str_offsets,
        np.array(str_sizes, i64).reshape(-1, 2),
    )
    idx = list(list_parts)
    arrs = [list_parts[i][0] for i in idx]
    list_offsets = np.zeros(len(arrs) + 1, dtype=i64)
    np.cumsum([len(a) for a in arrs], out=list_offsets[1:])
    list_pool = Masks(
        np.concatenate(arrs).astype(np.uint32) if arrs else np.zeros(0, np.uint32),
        list_offsets,
        np.array([list_parts[i][1] for i in idx], dtype=i64).reshape(-1, 2),
    )
    return _pooled(n, [polys], str_pool, (np.array(idx, i64), list_pool))


@dataclass(frozen=True)
class _Polygons:
    """Rows given as polygons: the arguments of ``kernels.eval_polygons``."""

    rows: npt.NDArray[np.int64]
    coords: F64
    point_offsets: npt.NDArray[np.int64]
    poly_offsets: npt.NDArray[np.int64]
    sizes: npt.NDArray[np.int64]


@dataclass(frozen=True)
class _Strings:
    """Rows given as compressed RLE strings: ``data[offsets[j]:offsets[j + 1]]``."""

    rows: npt.NDArray[np.int64]
    data: bytes
    offsets: npt.NDArray[np.int64]
    sizes: npt.NDArray[np.int64]


def _pooled(
    n: int,
    polygons: list[_Polygons],
    strings: _Strings,
    lists: tuple[npt.NDArray[np.int64], Masks],
) -> Masks:
    """Every pool turned into counts by its kernel, put back in row order and checked."""
    pools: list[Masks] = []
    where_from = np.zeros(n, dtype=np.int64)
    base = 0
    try:
        for p in polygons:
            if not len(p.rows):
                continue
            c, o = kernels.eval_polygons(p.coords, p.point_offsets, p.poly_offsets, p.sizes)
            pools.append(Masks(c, o, p.sizes))
            where_from[p.rows] = base + np.arange(len(p.rows))
            base += len(p.rows)
        if len(strings.rows):
            c, o = kernels.eval_rle_strings(strings.data, strings.offsets)
            pools.append(Masks(c, o, strings.sizes))
            where_from[strings.rows] = base + np.arange(len(strings.rows))
            base += len(strings.rows)
    except (KernelInputError, RleError) as e:
        raise EvaluationError(f"a segmentation is malformed: {e}") from None
    rows, masks = lists
    if len(rows):
        pools.append(masks)
        where_from[rows] = base + np.arange(len(rows))
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


def _image_hw(image_ids: Any, gt: GroundTruth) -> npt.NDArray[np.int64]:
    """``(n, 2)``: each image's ``(height, width)`` from the ground truth."""
    ids = np.asarray(image_ids)
    if ids.ndim == 1 and ids.dtype.kind in "iu" and gt.image_sizes:
        known = np.array(list(gt.image_sizes), dtype=object)
        if all(type(k) is int for k in known):
            keys = known.astype(np.int64)
            hw = np.array(list(gt.image_sizes.values()), dtype=np.int64).reshape(-1, 2)
            order = np.argsort(keys, kind="stable")
            pos = order[np.minimum(np.searchsorted(keys[order], ids), len(keys) - 1)]
            if np.array_equal(keys[pos], ids):
                return hw[pos]
    return np.array([gt.image_sizes[i] for i in list(image_ids)], np.int64).reshape(-1, 2)


def _masks_of_columns(
    segs: Segmentations,
    image_ids: Sequence[Any] | npt.NDArray[Any],
    gt: GroundTruth,
    rows: npt.NDArray[np.int64] | None = None,
) -> Masks:
    """:func:`masks_of` for pooled columns: one kernel call, no Python object per mask."""
    n = len(segs)
    rows = np.arange(n, dtype=np.int64) if rows is None else np.asarray(rows, np.int64)
    kind = segs.kind[rows]
    none = np.flatnonzero(kind == 0)
    if none.size:
        raise EvaluationError(
            f"segmentation of annotation {int(none[0])} must be polygons or a COCO RLE dict"
        )
    # Each row's place in its pool; box-only rows join the polygon pool at its end.
    entry = np.zeros(n, dtype=np.int64)
    n_poly = len(segs.poly_rows)
    entry[segs.poly_rows] = np.arange(n_poly)
    entry[segs.str_rows] = np.arange(len(segs.str_rows))
    entry[segs.list_rows] = np.arange(len(segs.list_rows))
    coords, point_offsets, poly_offsets = segs.coords, segs.point_offsets, segs.poly_offsets
    m = len(segs.box_rows)
    if m:
        entry[segs.box_rows] = n_poly + np.arange(m)
        x, y, w, h = (segs.boxes[:, j] for j in range(4))
        corners = np.stack([x, y, x, y + h, x + w, y + h, x + w, y], axis=1).reshape(-1)
        steps = np.arange(1, m + 1, dtype=np.int64)
        coords = np.concatenate([coords, corners])
        point_offsets = np.concatenate([point_offsets, point_offsets[-1] + 4 * steps])
        poly_offsets = np.concatenate([poly_offsets, poly_offsets[-1] + steps])
    # Pool codes of the kernel: 0 polygons (kinds 1, 2, 5), 1 strings (3), 2 counts (4).
    code = np.array([0, 0, 0, 1, 2, 0], dtype=np.uint8)[kind]
    sizes = np.zeros((len(rows), 2), dtype=np.int64)
    ent = entry[rows]
    drawn = code == 0
    if drawn.any():
        ids = image_ids if isinstance(image_ids, np.ndarray) else np.asarray(list(image_ids))
        sizes[drawn] = _image_hw(ids[rows[drawn]], gt)
    sizes[code == 1] = segs.str_hw[ent[code == 1]]
    sizes[code == 2] = segs.list_hw[ent[code == 2]]
    try:
        counts, offsets, sums, areas = kernels.eval_masks(
            code,
            ent,
            sizes,
            coords,
            point_offsets,
            poly_offsets,
            segs.str_data,
            segs.str_offsets,
            segs.list_counts,
            segs.list_offsets,
        )
    except (KernelInputError, RleError) as e:
        raise EvaluationError(f"a segmentation is malformed: {e}") from None
    bad = np.flatnonzero(sums.astype(np.int64) != sizes[:, 0] * sizes[:, 1])
    if bad.size:
        i = int(bad[0])
        raise EvaluationError(
            f"the RLE counts of annotation {i} sum to {int(sums[i])}, "
            f"not the {sizes[i].tolist()} frame's pixel count"
        )
    return Masks(counts, offsets, sizes, areas)


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
