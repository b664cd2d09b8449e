"""The fused mask pipeline (SPEC M7): many base64 PNG masks to box-local masks at once.

``decode_masks`` takes the mask items of one model answer (or of many) and runs
each through base64 -> PNG -> grey -> the Pillow-exact resize to its pixel box
-> ``> threshold``, exactly the documented procedure (SPEC S5). The Rust
backend runs the whole batch with the GIL released, spread over threads; the
NumPy backend loops (on a thread pool when ``threads`` > 1). An item that
fails (bad base64, a corrupt PNG, a PNG over the pixel limit) becomes a
:class:`MaskFailure` in its place and the others go on.

>>> import base64, io
>>> import numpy as np
>>> from PIL import Image
>>> from gemini_vision import masks
>>> buf = io.BytesIO()
>>> Image.fromarray(np.array([[0, 255]], np.uint8)).save(buf, "PNG")
>>> png = "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()
>>> ok, bad = masks.decode_masks([(png, (2, 1, 6, 2)), ("%%%", (0, 0, 1, 1))])
>>> ok.mask.astype(int).tolist()
[[0, 0, 1, 1]]
>>> bad.error, bad.ok
('MaskDecodeError', False)
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, NamedTuple

import numpy as np
import numpy.typing as npt

from gemini_vision import errors
from gemini_vision._backend import kernels
from gemini_vision.errors import KernelInputError
from gemini_vision.masks.checks import MAX_FRAME_PIXELS, as_int, as_shape
from gemini_vision.masks.rle import Rle

__all__ = ["DEFAULT_MAX_PIXELS", "MaskFailure", "MaskItem", "MaskResult", "decode_masks"]

#: The default PNG pixel limit, the same as ``masks.DEFAULT_MAX_PIXELS`` (SPEC M1).
DEFAULT_MAX_PIXELS = 4096 * 4096

Box = tuple[int, int, int, int]


class MaskItem(NamedTuple):
    """One mask to decode: base64 PNG text and the pixel box ``(x0, y0, x1, y1)`` it fills.

    ``threshold`` and ``pillow`` override the batch's defaults for this item.
    """

    data: str | bytes
    box: Sequence[int]
    threshold: int | None = None
    pillow: int | None = None


@dataclass(frozen=True, slots=True, eq=False)
class MaskResult:
    """A decoded mask: ``mask`` is the box-local bool array of shape ``(y1 - y0, x1 - x0)``.

    ``probabilities`` is the resized uint8 map (when asked for), ``rle`` the COCO
    RLE in the frame (when ``rle_shape`` was given).
    """

    box: Box
    mask: npt.NDArray[np.bool_]
    probabilities: npt.NDArray[np.uint8] | None = None
    rle: Rle | None = None
    ok: ClassVar[bool] = True


@dataclass(frozen=True, slots=True)
class MaskFailure:
    """A mask that could not be decoded: ``error`` names the ``gemini_vision.errors``
    class (``MaskDecodeError``, ``PixelLimitError``), ``message`` says what was wrong."""

    box: Box
    error: str
    message: str
    ok: ClassVar[bool] = False

    def exception(self) -> errors.GeminiVisionError:
        """The failure as an exception instance of its class, to raise or log."""
        cls = getattr(errors, self.error, errors.GeminiVisionError)
        exc: errors.GeminiVisionError = cls(self.message)
        return exc


def _as_data(value: Any, i: int) -> bytes:
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        # Non-ASCII text fails in the base64 decoder, as a failure of this item only.
        return value.encode("utf-8", "surrogatepass")
    if isinstance(value, (bytearray, memoryview)):
        return bytes(value)
    raise KernelInputError(f"items[{i}] data must be str or bytes, got {type(value).__name__}")


# Boxes whose sides reach this are checked the long way (as_shape's limits).
_FAST_SIDE = 2**31


def _as_box(value: Any, i: int) -> Box:
    # The common case, four plain ints in order, is accepted without building
    # the error messages; anything else takes the checks below, which word them.
    if type(value) is tuple and len(value) == 4:
        x0, y0, x1, y1 = value
        if (
            type(x0) is int
            and type(y0) is int
            and type(x1) is int
            and type(y1) is int
            and -_FAST_SIDE < x0 <= x1 < x0 + _FAST_SIDE
            and -_FAST_SIDE < y0 <= y1 < y0 + _FAST_SIDE
            and (x1 - x0) * (y1 - y0) <= MAX_FRAME_PIXELS
        ):
            return value
    return _checked_box(value, i)


def _checked_box(value: Any, i: int) -> Box:
    try:
        x0, y0, x1, y1 = (as_int(f"items[{i}] box", v) for v in value)
    except (TypeError, ValueError) as exc:
        if isinstance(exc, KernelInputError):
            raise
        raise KernelInputError(f"items[{i}] box must be (x0, y0, x1, y1), got {value!r}") from None
    if x1 < x0 or y1 < y0:
        raise KernelInputError(f"items[{i}] box must have x0 <= x1 and y0 <= y1, got {value!r}")
    as_shape(f"items[{i}] box size", (y1 - y0, x1 - x0))
    return x0, y0, x1, y1


def _as_pillow(value: Any, name: str) -> int:
    major = as_int(name, value)
    if major not in (12, 13):
        raise KernelInputError(f"{name} must be 12 or 13 (the Pillow whose resize to match)")
    return major


def decode_masks(
    items: Iterable[MaskItem | tuple[Any, ...]],
    *,
    threshold: int = 127,
    pillow: int = 13,
    threads: int | None = None,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    want_probabilities: bool = False,
    rle_shape: Sequence[int] | None = None,
) -> list[MaskResult | MaskFailure]:
    """Decode many base64 PNG masks into box-local bool masks, exactly as the guide does.

    Args:
        items: :class:`MaskItem` or ``(data, box[, threshold[, pillow]])`` tuples;
            ``data`` is base64 text (a ``data:image/png;base64,`` prefix and line
            breaks are fine), ``box`` the pixel box ``(x0, y0, x1, y1)``.
        threshold: on where the resized value is ``> threshold`` (127, the midpoint).
        pillow: 13 matches Pillow 13's resize, 12 Pillow <= 12's.
        threads: worker threads; None uses every core, 1 runs on the calling thread.
        max_pixels: refuse PNGs whose header declares more pixels (item failure).
        want_probabilities: also keep each resized uint8 probability map.
        rle_shape: the frame's ``(height, width)``; when given, each result carries
            its COCO RLE in that frame.

    Returns:
        One :class:`MaskResult` or :class:`MaskFailure` per item, in order.

    Raises:
        KernelInputError: an argument itself is malformed (a box that is not four
            ints with ``x0 <= x1``, a data value that is not text, a bad option).
    """
    rows = list(items)
    data: list[bytes] = []
    boxes: list[Box] = []
    thresholds: list[int] = []
    majors: list[int] = []
    default_t = as_int("threshold", threshold, -(2**31), 2**31 - 1)
    default_p = _as_pillow(pillow, "pillow")
    for i, row in enumerate(rows):
        if not isinstance(row, tuple) or not 2 <= len(row) <= 4:
            raise KernelInputError(f"items[{i}] must be a MaskItem or a (data, box) tuple")
        item = MaskItem(*row)
        data.append(_as_data(item.data, i))
        boxes.append(_as_box(item.box, i))
        t, p = item.threshold, item.pillow
        # The defaults were checked above; an item's own values are checked here.
        thresholds.append(
            default_t if t is None else as_int(f"items[{i}] threshold", t, -(2**31), 2**31 - 1)
        )
        majors.append(default_p if p is None else _as_pillow(p, f"items[{i}] pillow"))
    n_threads = 0 if threads is None else as_int("threads", threads, 1, 1024)
    limit = as_int("max_pixels", max_pixels, 1, 2**62)
    shape = None if rle_shape is None else as_shape("rle_shape", rle_shape)
    raw = kernels.decode_masks(
        data,
        np.array(boxes, dtype=np.int64).reshape(len(boxes), 4),
        np.array(thresholds, dtype=np.int32),
        np.array(majors, dtype=np.int64),
        limit,
        bool(want_probabilities),
        shape,
        n_threads,
    )
    results: list[MaskResult | MaskFailure] = []
    for box, (error, message, mask, probabilities, counts) in zip(boxes, raw, strict=True):
        if error is not None or mask is None:
            results.append(MaskFailure(box, error or "GeminiVisionError", message))
            continue
        rle = None if counts is None or shape is None else Rle(counts, *shape)
        results.append(MaskResult(box, mask, probabilities, rle))
    return results
