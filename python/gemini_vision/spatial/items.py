"""Item kinds and the conversion of normalized coordinates to pixels (SPEC S2, S3).

Theory of operation. The model speaks in coordinates normalized to 0–1000:
``box_2d = [ymin, xmin, ymax, xmax]``, ``point = [y, x]``, polygons
``[[x, y], ...]``. Each raw JSON object is read into a ``Draft`` (geometry in
pixels, plus the mask as given) by these rules, in this order:

1. every coordinate must be a number or a numeric string (``"12.5"``); a bool,
   null, list, non-numeric string, NaN or infinity rejects the item, and so
   does a wrong count of values;
2. each value outside 0–1000 is clamped into it (reported), so no number can
   place a box outside the image or make a mask larger than the image;
3. reversed corners (``ymin > ymax``) are swapped (reported);
4. pixels follow the guide's conversion ``int(v / 1000 * size)`` with ``y``
   scaled by the height and ``x`` by the width; the unrounded values are kept
   as ``box_float``.

A pixel box is ``(x0, y0, x1, y1)`` with exclusive ends: the box-local mask has
shape ``(y1 - y0, x1 - x0)``. 3D boxes are metric and are not converted.

>>> diags = []
>>> d = read_item(0, {"box_2d": [100, 1200, 50, 400], "label": "cat"}, (200, 100), diags)
>>> d.box, [x.code for x in diags]
((80, 5, 200, 10), ['clamped', 'reversed'])
"""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, cast

from gemini_vision.spatial.diagnostics import Diagnostic
from gemini_vision.spatial.extract import Broken
from gemini_vision.spatial.polygon import polygon_box, read_polygon
from gemini_vision.spatial.values import fmt, json_type, to_number

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

__all__ = [
    "Draft",
    "Kind",
    "MaskSource",
    "SpatialItem",
    "read_item",
    "to_number",
]

#: "box": a 2D box (a mask that cannot be decoded leaves a box too); "segment": a
#: box with a mask; "point": a point; "box_3d": a metric 3D box.
Kind = Literal["box", "segment", "point", "box_3d"]
#: Where a mask came from: a base64 PNG, a polygon, or ``<seg_..>`` tokens.
MaskSource = Literal["png", "polygon", "seg_tokens"]

_BOX_KEYS = ("box_2d", "bbox_2d")
_KNOWN_KEYS = frozenset({*_BOX_KEYS, "point", "box_3d", "mask", "polygon", "label", "confidence"})
_PNG_PREFIX = "data:image/png;base64,"
_SEG_TOKEN = re.compile(r"<seg_\d*>")


@dataclass
class Draft:
    """An item read from JSON, before its mask is decoded.

    Attributes:
        index: position in the model's list.
        label: the label as a string ("" when absent).
        box: pixel box ``(x0, y0, x1, y1)`` or None.
        box_float: the same before ``int()``.
        box_2d: ``box_2d`` exactly as given (list of the raw JSON values).
        point: pixel ``(x, y)`` or None; point_float: before ``int()``.
        box_3d: nine floats (centre xyz m, size xyz m, roll/pitch/yaw degrees) or None.
        confidence: a float or None.
        mask_source: "png", "polygon", "seg_tokens" or None.
        png_base64: the base64 text of a PNG mask (prefix removed).
        polygon: rings of ``(x, y)`` pixel floats for a polygon mask.
        extra: every key the library does not know, as given.
    """

    index: int
    label: str = ""
    box: tuple[int, int, int, int] | None = None
    box_float: tuple[float, float, float, float] | None = None
    box_2d: list[Any] | None = None
    point: tuple[int, int] | None = None
    point_float: tuple[float, float] | None = None
    box_3d: tuple[float, ...] | None = None
    confidence: float | None = None
    mask_source: MaskSource | None = None
    png_base64: str | None = None
    polygon: list[list[tuple[float, float]]] | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class _Probabilities:
    """The ``probabilities`` field of ``SpatialItem``: an array, or made on first read.

    ``parse`` makes masks by the contour path, which never writes the resized
    grey map (half the work of a mask); it passes a function that makes the
    map instead, and the first read calls it (once: the result is kept).
    """

    _lock = threading.Lock()

    def __get__(self, item: object, owner: type | None = None) -> Any:
        if item is None:
            return self
        value = item.__dict__.get("_probabilities")
        if callable(value):
            with self._lock:
                value = item.__dict__["_probabilities"]
                if callable(value):
                    value = value()
                    item.__dict__["_probabilities"] = value
        return value

    def __set__(self, item: object, value: Any) -> None:
        # The dataclass passes the field's default (this object) when none is given.
        item.__dict__["_probabilities"] = None if value is self else value


#: ``SpatialItem(probabilities=lazy(make))``: the map is made by ``make()`` when first read.
def lazy(make: Callable[[], npt.NDArray[np.uint8]]) -> npt.NDArray[np.uint8]:
    """Wrap ``make`` for ``SpatialItem(probabilities=...)``: called on the first read, once."""
    return cast("npt.NDArray[np.uint8]", make)


@dataclass(frozen=True, eq=False)
class SpatialItem:
    """One thing the model located in the image.

    Attributes:
        index: position in the model's list (diagnostics use the same numbers).
        kind: "box", "segment" (a box with a mask), "point" or "box_3d".
        label: any Unicode string ("" when the model gave none).
        box: pixel box ``(x0, y0, x1, y1)``, ends exclusive, inside the image; or None.
        box_float: the same before ``int()``; box_2d: the model's values as given.
        point: pixel ``(x, y)``; point_float: before ``int()``.
        box_3d: nine floats (centre xyz and size xyz in metres, roll/pitch/yaw degrees).
        confidence: the model's confidence, if it gave one.
        mask: for segments, a box-local bool array of shape ``(y1 - y0, x1 - x0)``.
        probabilities: the resized uint8 map the mask was thresholded from; made
            on first read (``parse`` itself never needs it), then kept.
        mask_source: "png", "polygon", "seg_tokens" (not decodable) or None.
        extra: the keys of the model's object that the library does not know.

    >>> item = SpatialItem(0, "box", "cat", box=(1, 2, 4, 6))
    >>> item.area, item.width, item.height
    (12, 3, 4)
    """

    index: int
    kind: Kind
    label: str
    box: tuple[int, int, int, int] | None = None
    box_float: tuple[float, float, float, float] | None = None
    box_2d: list[Any] | None = None
    point: tuple[int, int] | None = None
    point_float: tuple[float, float] | None = None
    box_3d: tuple[float, ...] | None = None
    confidence: float | None = None
    mask: npt.NDArray[np.bool_] | None = field(default=None, repr=False)
    probabilities: npt.NDArray[np.uint8] | None = field(
        default=cast("npt.NDArray[np.uint8] | None", _Probabilities()), repr=False
    )
    mask_source: MaskSource | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def width(self) -> int:
        """Pixel width of the box (0 without a box)."""
        return 0 if self.box is None else self.box[2] - self.box[0]

    @property
    def height(self) -> int:
        """Pixel height of the box (0 without a box)."""
        return 0 if self.box is None else self.box[3] - self.box[1]

    @property
    def area(self) -> int:
        """Mask pixels for a segment, box pixels for a box, 0 otherwise."""
        if self.mask is not None:
            return int(self.mask.sum())
        return self.width * self.height

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values (no arrays; ``area`` instead of the mask).

        >>> SpatialItem(2, "point", "eye", point=(3, 4)).to_dict()["point"]
        [3, 4]
        """
        out: dict[str, Any] = {"index": self.index, "kind": self.kind, "label": self.label}
        for name in ("box", "box_float", "point", "point_float", "box_3d"):
            value = getattr(self, name)
            if value is not None:
                out[name] = list(value)
        if self.box_2d is not None:
            out["box_2d"] = self.box_2d
        if self.confidence is not None:
            out["confidence"] = self.confidence
        if self.mask_source is not None:
            out["mask_source"] = self.mask_source
        if self.mask is not None:
            out["mask_area"] = self.area
        if self.extra:
            out["extra"] = self.extra
        return out


class _Reject(Exception):
    """The item cannot be read; the message says why."""


def read_item(
    index: int, raw: Any, image_size: tuple[int, int], diags: list[Diagnostic]
) -> Draft | None:
    """Read one raw JSON item into a ``Draft``; None (with a diagnostic) if rejected.

    Args:
        index: the item's position in the model's list (used in messages).
        raw: the JSON value (normally a dict).
        image_size: ``(width, height)`` in pixels.
        diags: diagnostics are appended here.

    >>> diags = []
    >>> read_item(4, {"point": ["500", 250]}, (640, 480), diags).point
    (160, 240)
    >>> read_item(5, {"box_2d": [1, 2, 3]}, (640, 480), diags) is None
    True
    >>> diags[-1].message
    'item 5: box_2d must hold 4 numbers [ymin, xmin, ymax, xmax], got 3 values; item dropped'
    """
    if isinstance(raw, Broken):
        return None  # extraction already reported it
    try:
        return _read(index, raw, image_size, diags)
    except _Reject as why:
        diags.append(Diagnostic(index, "rejected", why.args[0], f"item {index}: {why.args[1]}"))
        return None


def _read(index: int, raw: Any, size: tuple[int, int], diags: list[Diagnostic]) -> Draft:
    if not isinstance(raw, dict):
        raise _Reject("not_object", f"is a {json_type(raw)}, not an object; item dropped")
    width, height = size
    # Most items hold only known keys: one set test instead of a pass over them.
    extra = (
        {} if raw.keys() <= _KNOWN_KEYS else {k: v for k, v in raw.items() if k not in _KNOWN_KEYS}
    )
    draft = Draft(index, extra=extra)
    draft.label = _label(index, raw, diags)
    draft.confidence = _confidence(index, raw, diags)
    # The first of _BOX_KEYS the item has.
    box_key = "box_2d" if "box_2d" in raw else "bbox_2d" if "bbox_2d" in raw else None
    if box_key is not None:
        values = _numbers(raw[box_key], 4, box_key, "[ymin, xmin, ymax, xmax]")
        values = _clamped(index, box_key, values, diags)
        ymin, xmin, ymax, xmax = values
        if ymin > ymax or xmin > xmax:
            diags.append(
                Diagnostic(
                    index,
                    "repaired",
                    "reversed",
                    f"item {index}: {box_key} corners are reversed ({fmt(raw[box_key])}); "
                    "sorted into [ymin, xmin, ymax, xmax]",
                )
            )
            ymin, ymax = min(ymin, ymax), max(ymin, ymax)
            xmin, xmax = min(xmin, xmax), max(xmin, xmax)
        draft.box_2d = list(raw[box_key])
        x0, y0 = xmin / 1000 * width, ymin / 1000 * height
        x1, y1 = xmax / 1000 * width, ymax / 1000 * height
        draft.box_float = (x0, y0, x1, y1)
        draft.box = (int(x0), int(y0), int(x1), int(y1))
    if "point" in raw:
        y, x = _clamped(index, "point", _numbers(raw["point"], 2, "point", "[y, x]"), diags)
        draft.point_float = (x / 1000 * width, y / 1000 * height)
        # A point on the far edge (1000) would be one pixel outside the image.
        draft.point = (
            min(int(x / 1000 * width), width - 1),
            min(int(y / 1000 * height), height - 1),
        )
    if "box_3d" in raw:
        draft.box_3d = tuple(
            _numbers(
                raw["box_3d"], 9, "box_3d", "[x, y, z, size_x, size_y, size_z, roll, pitch, yaw]"
            )
        )
    _read_mask(index, raw, draft, size, diags)
    if draft.box is None and draft.point is None and draft.box_3d is None:
        if draft.png_base64 is not None or draft.mask_source == "seg_tokens":
            raise _Reject("no_box", "has a mask but no box_2d to place it in; item dropped")
        raise _Reject(
            "no_geometry",
            "has none of box_2d, bbox_2d, point, box_3d or a polygon mask; item dropped",
        )
    return draft


def _read_mask(
    index: int, raw: dict[str, Any], draft: Draft, size: tuple[int, int], diags: list[Diagnostic]
) -> None:
    """Record the mask as given: PNG base64, polygon, or ``<seg_..>`` tokens."""
    key = "mask" if "mask" in raw else "polygon" if "polygon" in raw else None
    if key is None:
        return
    value = raw[key]
    if isinstance(value, str):
        text = value.strip()
        # A one-character test first (memchr): a mask is kilobytes, and base64 has no "<".
        if "<" in text and _SEG_TOKEN.search(text):
            draft.mask_source = "seg_tokens"
            diags.append(
                Diagnostic(
                    index,
                    "note",
                    "seg_tokens",
                    f"item {index}: the mask is <seg_..> tokens, which only the model's own "
                    "decoder can turn into pixels; kept as a box without a mask",
                )
            )
            return
        # Only the prefix is lowered (not the kilobytes of base64 after it).
        if text[:5].lower() == "data:":
            if text[: len(_PNG_PREFIX)].lower() != _PNG_PREFIX:
                diags.append(
                    Diagnostic(
                        index,
                        "rejected",
                        "mask_type",
                        f"item {index}: the mask is {text[:40]!r}..., not a "
                        f"{_PNG_PREFIX!r} PNG; kept as a box without a mask",
                    )
                )
                return
            text = text[len(_PNG_PREFIX) :]
        if not text:
            diags.append(
                Diagnostic(index, "note", "mask_empty", f"item {index}: the mask is empty")
            )
            return
        draft.mask_source = "png"
        draft.png_base64 = text
        return
    if isinstance(value, list):
        rings = read_polygon(index, key, value, size, diags)
        if rings is not None:
            draft.mask_source = "polygon"
            draft.polygon = rings
            if draft.box is None:
                draft.box = polygon_box(rings, size)
        return
    if value is None:
        return
    diags.append(
        Diagnostic(
            index,
            "rejected",
            "mask_type",
            f"item {index}: {key} is a {json_type(value)}, neither a base64 PNG nor a "
            "polygon; kept without a mask",
        )
    )


def _numbers(value: Any, count: int, key: str, shape: str) -> list[float]:
    if not isinstance(value, (list, tuple)) or len(value) != count:
        got = f"{len(value)} values" if isinstance(value, (list, tuple)) else fmt(value)
        raise _Reject(
            "wrong_length", f"{key} must hold {count} numbers {shape}, got {got}; item dropped"
        )
    if all(type(v) is int or type(v) is float for v in value):
        # The common case, JSON numbers: no string parsing, one finiteness check.
        try:
            floats = [float(v) for v in value]
        except OverflowError:  # an int beyond the float range: the general path says so
            floats = []
        if floats and all(map(math.isfinite, floats)):
            return floats
    numbers = [to_number(v) for v in value]
    for raw, number in zip(value, numbers, strict=True):
        if number is None:
            raise _Reject(
                "bad_number",
                f"{key} value {fmt(raw)} is not a finite number (in {fmt(value)}); item dropped",
            )
    return [n for n in numbers if n is not None]


def _clamped(index: int, key: str, values: list[float], diags: list[Diagnostic]) -> list[float]:
    # The values are finite (``_numbers``), so min and max decide.
    if min(values) >= 0.0 and max(values) <= 1000.0:
        return values
    clamped = [min(max(v, 0.0), 1000.0) for v in values]
    if clamped != values:
        outside = ", ".join(fmt(v) for v, c in zip(values, clamped, strict=True) if v != c)
        diags.append(
            Diagnostic(
                index,
                "repaired",
                "clamped",
                f"item {index}: {key} values outside 0–1000 ({outside}) were clamped into it",
            )
        )
    return clamped


def _label(index: int, raw: dict[str, Any], diags: list[Diagnostic]) -> str:
    label = raw.get("label")
    if label is None or isinstance(label, str):
        return label or ""
    text = fmt(label)
    diags.append(
        Diagnostic(
            index,
            "repaired",
            "label_type",
            f"item {index}: label is a {json_type(label)}; used its text {text!r}",
        )
    )
    return text


def _confidence(index: int, raw: dict[str, Any], diags: list[Diagnostic]) -> float | None:
    if raw.get("confidence") is None:
        return None
    number = to_number(raw["confidence"])
    if number is None:
        diags.append(
            Diagnostic(
                index,
                "repaired",
                "bad_confidence",
                f"item {index}: confidence {fmt(raw['confidence'])} is not a finite number; "
                "ignored",
            )
        )
    return number
