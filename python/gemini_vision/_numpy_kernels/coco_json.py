"""The twin of ``rust/coco_json.rs``: COCO files read into columns, or None.

The Rust reader scans the bytes; this twin lets the standard library's
``json`` parse them and then walks the values, accepting exactly what the
Rust reader accepts (the same integers, numbers, boxes and segmentations)
and answering None for the rest, so the general reader of
``gemini_vision.evaluate.data`` takes over in the same cases on either
backend.

>>> cols = eval_read_results(b'[{"image_id": 1, "category_id": 2, "score": 0.5, '
...                          b'"bbox": [0, 0, 2, 2]}]')
>>> cols["image"].tolist(), cols["bbox"].tolist(), cols["seg_kind"].tolist()
([1], [[0.0, 0.0, 2.0, 2.0]], [0])
>>> eval_read_results(b'[{"image_id": "a", "category_id": 2, "score": 0.5}]') is None
True
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np

__all__ = ["eval_read_ground_truth", "eval_read_results"]

SEG_NONE, SEG_POLYGONS, SEG_BOXES, SEG_RLE_STRING, SEG_RLE_COUNTS = range(5)
_MAX_DEPTH = 256
_I64 = (-(2**63), 2**63 - 1)


class _Refuse(Exception):
    """The document is the general reader's."""


def _refuse_constant(_: str) -> Any:
    raise _Refuse  # NaN, Infinity: not JSON


def _check_strings(v: Any, depth: int = 0) -> None:
    """Refuse lone surrogates anywhere and nesting deeper than the Rust reader's limit."""
    if depth > _MAX_DEPTH + 1:
        raise _Refuse
    if isinstance(v, str):
        try:
            v.encode("utf-8")
        except UnicodeEncodeError:
            raise _Refuse from None
    elif isinstance(v, list):
        for x in v:
            _check_strings(x, depth + 1)
    elif isinstance(v, dict):
        for k, x in v.items():
            _check_strings(k, depth + 1)
            _check_strings(x, depth + 1)


def _parse(doc: bytes) -> Any:
    try:
        text = doc.decode("utf-8")
        value = json.loads(text, parse_constant=_refuse_constant)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise _Refuse from None
    _check_strings(value)
    return value


def _int(v: Any, lo: int = _I64[0], hi: int = _I64[1]) -> int:
    if type(v) is not int or not lo <= v <= hi:
        raise _Refuse
    return v


def _num(v: Any) -> float:
    if type(v) is int:
        return float(_int(v))
    if type(v) is not float or not math.isfinite(v):
        raise _Refuse
    return v


def _list(v: Any) -> list[Any]:
    if v is None:
        return []
    if type(v) is not list:
        raise _Refuse
    return v


def _obj(v: Any) -> dict[str, Any]:
    if type(v) is not dict:
        raise _Refuse
    return v


def _numbers(v: Any) -> list[float]:
    if type(v) is not list:
        raise _Refuse
    return [_num(x) for x in v]


class _Segs:
    """The pooled segmentation columns, filled row by row."""

    def __init__(self) -> None:
        self.kind: list[int] = []
        self.poly_rows: list[int] = []
        self.coords: list[float] = []
        self.point_offsets = [0]
        self.poly_offsets = [0]
        self.str_rows: list[int] = []
        self.str_hw: list[tuple[int, int]] = []
        self.str_parts: list[bytes] = []
        self.str_offsets = [0]
        self.list_rows: list[int] = []
        self.list_hw: list[tuple[int, int]] = []
        self.list_counts: list[int] = []
        self.list_offsets = [0]

    def add(self, seg: Any) -> None:
        row = len(self.kind)
        if seg is None:
            self.kind.append(SEG_NONE)
        elif type(seg) is list:
            parts = [_numbers(p) for p in seg]
            if not parts:
                raise _Refuse
            boxes = len(parts[0]) == 4
            for part in parts:
                if boxes:
                    if len(part) != 4:
                        raise _Refuse
                    x, y, w, h = part
                    part = [x, y, x, y + h, x + w, y + h, x + w, y]
                elif len(part) < 2:
                    raise _Refuse
                k = len(part) // 2
                self.coords.extend(part[: 2 * k])
                self.point_offsets.append(self.point_offsets[-1] + k)
            self.poly_offsets.append(len(self.point_offsets) - 1)
            self.poly_rows.append(row)
            self.kind.append(SEG_BOXES if boxes else SEG_POLYGONS)
        elif type(seg) is dict:
            if "size" not in seg or "counts" not in seg or type(seg["size"]) is not list:
                raise _Refuse
            if len(seg["size"]) != 2:
                raise _Refuse
            h, w = (_int(v, 0, 2**32 - 1) for v in seg["size"])
            counts = seg["counts"]
            if type(counts) is str:
                if not counts.isascii():
                    raise _Refuse
                data = counts.encode("ascii")
                self.str_rows.append(row)
                self.str_hw.append((h, w))
                self.str_parts.append(data)
                self.str_offsets.append(self.str_offsets[-1] + len(data))
                self.kind.append(SEG_RLE_STRING)
            elif type(counts) is list:
                self.list_counts.extend(_int(c, 0, 2**32 - 1) for c in counts)
                self.list_rows.append(row)
                self.list_hw.append((h, w))
                self.list_offsets.append(len(self.list_counts))
                self.kind.append(SEG_RLE_COUNTS)
            else:
                raise _Refuse
        else:
            raise _Refuse

    def columns(self) -> dict[str, Any]:
        i64 = np.int64
        return {
            "seg_kind": np.array(self.kind, dtype=np.uint8),
            "poly_rows": np.array(self.poly_rows, dtype=i64),
            "coords": np.array(self.coords, dtype=np.float64),
            "point_offsets": np.array(self.point_offsets, dtype=i64),
            "poly_offsets": np.array(self.poly_offsets, dtype=i64),
            "str_rows": np.array(self.str_rows, dtype=i64),
            "str_hw": np.array(self.str_hw, dtype=i64).reshape(-1, 2),
            "str_data": b"".join(self.str_parts),
            "str_offsets": np.array(self.str_offsets, dtype=i64),
            "list_rows": np.array(self.list_rows, dtype=i64),
            "list_hw": np.array(self.list_hw, dtype=i64).reshape(-1, 2),
            "list_counts": np.array(self.list_counts, dtype=np.uint32),
            "list_offsets": np.array(self.list_offsets, dtype=i64),
        }


def _box(v: Any) -> list[float]:
    box = _numbers(v)
    if len(box) != 4:
        raise _Refuse
    return box


def _read_ground_truth(doc: bytes) -> dict[str, Any]:
    data = _obj(_parse(doc))
    imgs = [_obj(v) for v in _list(data.get("images"))]
    cats = [_obj(v) for v in _list(data.get("categories"))]
    anns = [_obj(v) for v in _list(data.get("annotations"))]
    if any("id" not in v for v in imgs + cats):
        raise _Refuse

    def side(img: dict[str, Any], key: str) -> int:
        v = img.get(key)
        return 0 if v is None else _int(v)

    def file_name(img: dict[str, Any]) -> str | None:
        v = img.get("file_name")
        if v is not None and type(v) is not str:
            raise _Refuse
        return v or None

    def name(cat: dict[str, Any]) -> str:
        v = cat.get("name", "")
        if type(v) is not str:
            raise _Refuse
        return v

    segs = _Segs()
    ids, images, categories, boxes, areas, crowd = [], [], [], [], [], []
    for a in anns:
        if "image_id" not in a or "category_id" not in a or "bbox" not in a:
            raise _Refuse
        ids.append(_int(a.get("id", 0)))
        images.append(_int(a["image_id"]))
        categories.append(_int(a["category_id"]))
        boxes.append(_box(a["bbox"]))
        area = a.get("area")
        areas.append(math.nan if area is None else _num(area))
        crowd.append(_int(a.get("iscrowd", 0)))
        segs.add(a.get("segmentation"))
    i64 = np.int64
    return {
        "img_id": np.array([_int(v["id"]) for v in imgs], dtype=i64),
        "img_height": np.array([side(v, "height") for v in imgs], dtype=i64),
        "img_width": np.array([side(v, "width") for v in imgs], dtype=i64),
        "img_file": [file_name(v) for v in imgs],
        "cat_id": np.array([_int(v["id"]) for v in cats], dtype=i64),
        "cat_name": [name(v) for v in cats],
        "ann_id": np.array(ids, dtype=i64),
        "ann_image": np.array(images, dtype=i64),
        "ann_category": np.array(categories, dtype=i64),
        "ann_bbox": np.array(boxes, dtype=np.float64).reshape(-1, 4),
        "ann_area": np.array(areas, dtype=np.float64),
        "ann_crowd": np.array(crowd, dtype=i64),
        **segs.columns(),
    }


def _read_results(doc: bytes) -> dict[str, Any]:
    data = _parse(doc)
    if type(data) is not list:
        raise _Refuse
    segs = _Segs()
    images, categories, scores, boxes, has_box = [], [], [], [], []
    for a in data:
        a = _obj(a)
        if "image_id" not in a or "category_id" not in a or "score" not in a:
            raise _Refuse
        images.append(_int(a["image_id"]))
        categories.append(_int(a["category_id"]))
        scores.append(_num(a["score"]))
        box = _numbers(a["bbox"]) if a.get("bbox") is not None else []
        if len(box) not in (0, 4):
            raise _Refuse
        has_box.append(bool(box))
        boxes.append(box or [0.0, 0.0, 0.0, 0.0])
        segs.add(a.get("segmentation"))
    i64 = np.int64
    return {
        "image": np.array(images, dtype=i64),
        "category": np.array(categories, dtype=i64),
        "score": np.array(scores, dtype=np.float64),
        "bbox": np.array(boxes, dtype=np.float64).reshape(-1, 4),
        "has_bbox": np.array(has_box, dtype=np.bool_),
        **segs.columns(),
    }


def eval_read_ground_truth(doc: bytes) -> dict[str, Any] | None:
    """A COCO ground truth's columns, or None when the general reader must read it."""
    try:
        return _read_ground_truth(doc)
    except _Refuse:
        return None


def eval_read_results(doc: bytes) -> dict[str, Any] | None:
    """A COCO results list's columns, or None when the general reader must read it."""
    try:
        return _read_results(doc)
    except _Refuse:
        return None
