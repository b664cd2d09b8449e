"""COCO run-length encoding (SPEC M6), straight from box-local masks.

An :class:`Rle` is what pycocotools calls an RLE: a ``(height, width)`` frame
read column by column as alternating off/on runs, starting with an off run.
:func:`rle_encode` builds it from a box-local mask and its offset without
building the frame; :meth:`Rle.to_coco` gives the compressed string form that
``pycocotools.mask.decode`` reads, and :meth:`Rle.from_coco` reads it back
(a malformed string raises ``RleError``). Boxes are COCO ``[x, y, w, h]``
floats, and the IoU functions follow ``pycocotools.mask.iou`` exactly,
``iscrowd`` included.

>>> import numpy as np
>>> from gemini_vision import masks
>>> rle = masks.rle_encode(np.ones((2, 2), bool), (1, 0), (3, 4))
>>> rle.to_coco()
{'size': [3, 4], 'counts': '32103'}
>>> rle.area, rle.bbox()
(4, (1.0, 0.0, 2.0, 2.0))
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from gemini_vision._backend import kernels
from gemini_vision.errors import KernelInputError, RleError
from gemini_vision.masks.checks import (
    as_bool_mask,
    as_bool_masks,
    as_int,
    as_offset,
    as_offsets,
    as_shape,
)

__all__ = [
    "Rle",
    "box_iou",
    "mask_bbox",
    "mask_iou",
    "rle_decode",
    "rle_encode",
    "rle_encode_many",
    "rle_from_string",
    "rle_to_string",
]

Box = tuple[float, float, float, float]


def _as_counts(counts: Any) -> npt.NDArray[np.uint32]:
    arr = np.asarray(counts)
    if arr.ndim != 1:
        raise RleError(f"RLE counts must be a flat sequence, got shape {arr.shape}")
    if arr.size and (
        not np.issubdtype(arr.dtype, np.integer) or arr.min() < 0 or arr.max() > 2**32 - 1
    ):
        raise RleError("RLE counts must be integers in 0..2**32-1")
    out = np.ascontiguousarray(arr, dtype=np.uint32)
    out.flags.writeable = False
    return out


@dataclass(frozen=True, eq=False)
class Rle:
    """A COCO RLE: ``counts`` (uint32 runs) of a ``height x width`` frame.

    Constructing one checks that the runs cover the frame exactly
    (``RleError`` otherwise), so every method works on a valid RLE.

    >>> Rle([2, 1, 3], 2, 3).decode().astype(int).tolist()
    [[0, 1, 0], [0, 0, 0]]
    """

    counts: npt.NDArray[np.uint32]
    height: int
    width: int

    def __post_init__(self) -> None:
        height, width = as_shape("size", (self.height, self.width))
        counts = _as_counts(self.counts)
        total = int(counts.sum(dtype=np.uint64))
        if total != height * width:
            raise RleError(
                f"RLE counts sum to {total}, but a {height}x{width} frame has "
                f"{height * width} pixels"
            )
        object.__setattr__(self, "counts", counts)
        object.__setattr__(self, "height", height)
        object.__setattr__(self, "width", width)

    @property
    def size(self) -> tuple[int, int]:
        """``(height, width)``, COCO's ``size``."""
        return self.height, self.width

    @property
    def area(self) -> int:
        """The number of on pixels (pycocotools' ``area``)."""
        return kernels.rle_area(self.counts)

    def bbox(self) -> Box:
        """``(x, y, w, h)`` of the on pixels as floats (pycocotools' ``toBbox``); zeros if none."""
        x, y, w, h = kernels.rle_bbox(self.counts, self.height, self.width).tolist()
        return (x, y, w, h)

    def decode(self) -> npt.NDArray[np.bool_]:
        """The whole ``(height, width)`` bool frame."""
        return kernels.rle_decode(self.counts, self.height, self.width)

    def decode_box(self, box: Sequence[int]) -> npt.NDArray[np.bool_]:
        """The box-local mask inside ``box = (x0, y0, x1, y1)`` (pixels outside the frame are off).

        >>> Rle([2, 1, 3], 2, 3).decode_box((1, 0, 3, 1)).astype(int).tolist()
        [[1, 0]]
        """
        try:
            x0, y0, x1, y1 = (as_int("box", v) for v in box)
        except (TypeError, ValueError):
            raise KernelInputError(f"box must be (x0, y0, x1, y1), got {box!r}") from None
        if x1 < x0 or y1 < y0:
            raise KernelInputError(f"box must have x0 <= x1 and y0 <= y1, got {tuple(box)}")
        bh, bw = as_shape("box size", (y1 - y0, x1 - x0))
        return kernels.rle_decode_box(self.counts, self.height, self.width, x0, y0, bh, bw)

    def to_coco(self, *, compressed: bool = True) -> dict[str, Any]:
        """``{"size": [h, w], "counts": ...}``: a str (compressed) or a list of ints.

        >>> Rle([2, 1, 3], 2, 3).to_coco(compressed=False)
        {'size': [2, 3], 'counts': [2, 1, 3]}
        """
        counts: str | list[int]
        if compressed:
            counts = kernels.rle_to_string(self.counts).decode("ascii")
        else:
            counts = self.counts.tolist()
        return {"size": [self.height, self.width], "counts": counts}

    @classmethod
    def from_coco(cls, obj: Mapping[str, Any]) -> Rle:
        """Read a COCO RLE dict: ``counts`` a str, bytes, or a list of ints.

        >>> Rle.from_coco({"size": [2, 3], "counts": "213"}).area
        1
        """
        if not isinstance(obj, Mapping) or "size" not in obj or "counts" not in obj:
            raise RleError("a COCO RLE is a mapping with 'size' and 'counts'")
        try:
            height, width = obj["size"]
        except (TypeError, ValueError):
            raise RleError(f"RLE size must be [height, width], got {obj['size']!r}") from None
        counts = obj["counts"]
        if isinstance(counts, (str, bytes)):
            counts = rle_from_string(counts)
        return cls(counts, height, width)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Rle):
            return NotImplemented
        return self.size == other.size and np.array_equal(self.counts, other.counts)

    def __hash__(self) -> int:
        return hash((self.size, self.counts.tobytes()))

    def __repr__(self) -> str:
        return f"Rle(size={self.size}, runs={len(self.counts)}, area={self.area})"


def rle_encode(mask: Any, offset: Sequence[int], shape: Sequence[int]) -> Rle:
    """The RLE of a box-local mask at ``offset = (x0, y0)`` in a ``shape = (h, w)`` frame.

    Equal to ``pycocotools.mask.encode`` of the full frame (clipped), without building it.

    >>> import numpy as np
    >>> rle_encode(np.array([[True]]), (0, 1), (2, 2)).to_coco(compressed=False)["counts"]
    [1, 1, 2]
    """
    m = as_bool_mask(mask)
    x0, y0 = as_offset("offset", offset)
    h, w = as_shape("shape", shape)
    return Rle(kernels.rle_encode(m, x0, y0, h, w), h, w)


def rle_encode_many(masks: Any, offsets: Any, shape: Sequence[int]) -> list[Rle]:
    """:func:`rle_encode` of every mask (spread over threads by the Rust backend).

    >>> import numpy as np
    >>> [r.area for r in rle_encode_many([np.ones((2, 2), bool)] * 2, [(0, 0), (1, 1)], (2, 2))]
    [4, 1]
    """
    ms = as_bool_masks(masks)
    offs = as_offsets(offsets, len(ms))
    h, w = as_shape("shape", shape)
    return [Rle(c, h, w) for c in kernels.rle_encode_many(ms, offs, h, w)]


def _as_rle(value: Any, name: str) -> Rle:
    if isinstance(value, Rle):
        return value
    if isinstance(value, Mapping):
        return Rle.from_coco(value)
    raise KernelInputError(f"{name} must be an Rle or a COCO RLE dict, got {type(value).__name__}")


def rle_decode(
    rle: Rle | Mapping[str, Any], box: Sequence[int] | None = None
) -> npt.NDArray[np.bool_]:
    """Decode an RLE (or a COCO dict) to the full frame, or to ``box = (x0, y0, x1, y1)``.

    >>> rle_decode({"size": [1, 3], "counts": [1, 2]}).astype(int).tolist()
    [[0, 1, 1]]
    """
    r = _as_rle(rle, "rle")
    return r.decode() if box is None else r.decode_box(box)


def rle_to_string(counts: Any) -> bytes:
    """pycocotools' compressed form of RLE counts.

    >>> rle_to_string([7, 3, 2])
    b'732'
    """
    return kernels.rle_to_string(_as_counts(counts))


def rle_from_string(s: str | bytes) -> npt.NDArray[np.uint32]:
    """Counts from pycocotools' compressed form; ``RleError`` if it is malformed.

    >>> rle_from_string("732").tolist()
    [7, 3, 2]
    """
    if isinstance(s, str):
        try:
            s = s.encode("ascii")
        except UnicodeEncodeError:
            raise RleError("an RLE string holds only ASCII characters '0'..'o'") from None
    if not isinstance(s, bytes):
        raise RleError(f"an RLE string must be str or bytes, got {type(s).__name__}")
    return kernels.rle_from_string(s)


def mask_bbox(mask: Any, offset: Sequence[int], shape: Sequence[int]) -> Box:
    """``(x, y, w, h)`` of a box-local mask's on pixels inside the frame; zeros if none.

    >>> import numpy as np
    >>> mask_bbox(np.array([[False, True]]), (5, 2), (10, 10))
    (6.0, 2.0, 1.0, 1.0)
    """
    m = as_bool_mask(mask)
    x0, y0 = as_offset("offset", offset)
    h, w = as_shape("shape", shape)
    x, y, bw, bh = kernels.mask_bbox(m, x0, y0, h, w).tolist()
    return (x, y, bw, bh)


def _as_boxes(boxes: Any, name: str, fmt: str) -> npt.NDArray[np.float64]:
    try:
        arr = np.asarray(boxes, dtype=np.float64)
    except (TypeError, ValueError):
        raise KernelInputError(f"{name} must be an (n, 4) array of numbers") from None
    if arr.size == 0:
        arr = arr.reshape(0, 4)
    if arr.ndim != 2 or arr.shape[1] != 4:
        raise KernelInputError(f"{name} must have shape (n, 4), got {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise KernelInputError(f"{name} must hold finite numbers")
    if fmt == "xyxy":
        arr = np.concatenate([arr[:, :2], arr[:, 2:] - arr[:, :2]], axis=1)
    return np.ascontiguousarray(arr)


def _as_crowd(iscrowd: Any, n: int) -> npt.NDArray[np.bool_]:
    if iscrowd is None:
        return np.zeros(0, dtype=np.bool_)
    flags = np.asarray(iscrowd)
    if flags.ndim != 1 or len(flags) != n:
        raise KernelInputError(f"iscrowd must have one flag per ground truth ({n})")
    if flags.size and not (
        flags.dtype == np.bool_ or (np.issubdtype(flags.dtype, np.integer) and flags.min() >= 0)
    ):
        raise KernelInputError("iscrowd must hold bools or 0/1")
    return np.ascontiguousarray(flags.astype(np.bool_))


def box_iou(
    dt: Any, gt: Any, iscrowd: Any = None, *, fmt: Literal["xywh", "xyxy"] = "xywh"
) -> npt.NDArray[np.float64]:
    """IoU of every detection box with every ground-truth box: ``(len(dt), len(gt))``.

    As ``pycocotools.mask.iou`` on boxes: with ``iscrowd[g]`` the union is the
    detection's area. ``fmt="xyxy"`` reads boxes as ``(x0, y0, x1, y1)``.

    >>> box_iou([[0, 0, 2, 2]], [[1, 1, 2, 2], [0, 0, 1, 1]], [0, 1]).round(4).tolist()
    [[0.1429, 0.25]]
    """
    if fmt not in ("xywh", "xyxy"):
        raise KernelInputError(f"fmt must be 'xywh' or 'xyxy', got {fmt!r}")
    d, g = _as_boxes(dt, "dt", fmt), _as_boxes(gt, "gt", fmt)
    return kernels.box_iou(d, g, _as_crowd(iscrowd, len(g)))


def mask_iou(dt: Sequence[Any], gt: Sequence[Any], iscrowd: Any = None) -> npt.NDArray[np.float64]:
    """IoU of every detection RLE with every ground-truth RLE: ``(len(dt), len(gt))``.

    As ``pycocotools.mask.iou`` on RLEs: 0 where the boxes do not overlap, -1
    where the frames differ in size, the detection's area as the union for a
    crowd ground truth. Items are :class:`Rle` or COCO RLE dicts.

    >>> a = Rle([0, 4], 2, 2)
    >>> mask_iou([a], [Rle([2, 2], 2, 2)]).tolist()
    [[0.5]]
    """
    ds = [_as_rle(r, f"dt[{i}]") for i, r in enumerate(dt)]
    gs = [_as_rle(r, f"gt[{i}]") for i, r in enumerate(gt)]

    def sizes(rles: list[Rle]) -> npt.NDArray[np.int64]:
        return np.array([r.size for r in rles], dtype=np.int64).reshape(len(rles), 2)

    return kernels.rle_iou(
        [r.counts for r in ds],
        sizes(ds),
        [r.counts for r in gs],
        sizes(gs),
        _as_crowd(iscrowd, len(gs)),
    )
