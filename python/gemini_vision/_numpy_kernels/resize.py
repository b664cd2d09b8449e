"""Pillow-exact bilinear resize (SPEC M2, M3), the NumPy twin of ``rust/resize.rs``.

The arithmetic is Pillow's, as ``docs/resize.md`` describes it: per-axis
weight tables computed in float64 in Pillow's order of operations, 22-bit fixed
point, ``int32`` accumulation, an 8-bit image between the two passes, and
Pillow 13's (or Pillow 12's) choice of which pass runs first.

Vectorising must not change a single double. Element-wise float64 operations
in NumPy are plain IEEE operations, so the table is built with the same
expressions as the C loop, one array operation per C operation. The one trap
is the sum of a row's weights: ``np.sum`` adds pairwise, Pillow left to right;
``np.add.accumulate`` (a running sum) keeps Pillow's order.

Where the installed Pillow runs the passes in the order asked for (Pillow 13
for ``pillow=13``, Pillow 12.2 or later for ``pillow=12``, or any shape on
which the two orders agree), its own ``Image.resize`` is called instead: it is
the reference, so it is exact by definition, and it is faster than NumPy. The
NumPy code serves the other cases (Pillow 12's order under Pillow 13, older
Pillows).
"""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np
import numpy.typing as npt

from gemini_vision._numpy_kernels.alloc import check, guarded
from gemini_vision._numpy_kernels.pixels import to_array
from gemini_vision.errors import KernelInputError

__all__ = ["MAX_SIDE", "resize_bilinear", "resize_bilinear_threshold"]

_PRECISION_BITS = 22
_HALF = 1 << (_PRECISION_BITS - 1)
#: The longest side accepted, as in Rust: the int32 accumulator cannot overflow.
MAX_SIDE = 1 << 23

_I32 = npt.NDArray[np.int32]
_I64 = npt.NDArray[np.int64]


def _axis_table(in_len: int, out_len: int) -> tuple[_I64, _I32]:
    """``(indices, weights)``, both ``(out_len, taps)``: output ``i`` is
    ``Σ_t in[indices[i, t]] * weights[i, t]`` (padding taps weigh 0)."""
    scale = in_len / out_len
    filterscale = max(scale, 1.0)
    support = filterscale  # the triangle's radius (1) times the scale
    ss = 1.0 / filterscale

    center = (np.arange(out_len, dtype=np.float64) + 0.5) * scale
    # astype(int64) truncates toward zero, like C's (int) cast.
    lo = np.maximum((center - support + 0.5).astype(np.int64), 0)
    hi = np.minimum((center + support + 0.5).astype(np.int64), in_len)
    taps = max(int((hi - lo).max()), 1)
    j = lo[:, None] + np.arange(taps, dtype=np.int64)[None, :]
    inside = j < hi[:, None]

    x = np.abs((j.astype(np.float64) - center[:, None] + 0.5) * ss)
    w = np.where(inside & (x < 1.0), 1.0 - x, 0.0)
    # Pillow's left-to-right sum; the zero padding at the end adds nothing.
    total = np.add.accumulate(w, axis=1)[:, -1:]
    safe_total = np.where(total != 0.0, total, 1.0)
    w = np.where(total != 0.0, w / safe_total, w)
    scaled = w * float(1 << _PRECISION_BITS)
    fixed = np.trunc(np.where(w < 0.0, scaled - 0.5, scaled + 0.5)).astype(np.int32)
    return np.minimum(j, in_len - 1), fixed


#: Accumulators per block: small enough that the int32 temporaries stay in cache.
_BLOCK = 1 << 15


def _store_bytes(acc: _I32, out: npt.NDArray[np.uint8]) -> None:
    """Write ``clamp(acc >> 22, 0, 255)`` into ``out`` (``acc`` is clobbered)."""
    np.right_shift(acc, _PRECISION_BITS, out=acc)
    np.clip(acc, 0, 255, out=acc)
    np.copyto(out, acc, casting="unsafe")


def _horizontal(src: npt.NDArray[np.uint8], out_w: int) -> npt.NDArray[np.uint8]:
    """One pass along the rows of ``src``, a block of rows at a time."""
    indices, weights = _axis_table(src.shape[1], out_w)
    out = np.empty((src.shape[0], out_w), dtype=np.uint8)
    step = max(1, _BLOCK // out_w)
    for r in range(0, src.shape[0], step):
        block = src[r : r + step]
        acc = np.full((block.shape[0], out_w), _HALF, dtype=np.int32)
        for t in range(weights.shape[1]):
            # uint8 times int32 is computed in int32.
            acc += block[:, indices[:, t]] * weights[:, t]
        _store_bytes(acc, out[r : r + step])
    return out


def _vertical(src: npt.NDArray[np.uint8], out_h: int) -> npt.NDArray[np.uint8]:
    """One pass along the columns of ``src``, a block of output rows at a time."""
    indices, weights = _axis_table(src.shape[0], out_h)
    out = np.empty((out_h, src.shape[1]), dtype=np.uint8)
    step = max(1, _BLOCK // src.shape[1])
    for r in range(0, out_h, step):
        rows, k = indices[r : r + step], weights[r : r + step]
        acc = np.full((rows.shape[0], src.shape[1]), _HALF, dtype=np.int32)
        for t in range(k.shape[1]):
            acc += src[rows[:, t], :] * k[:, t, None]
        _store_bytes(acc, out[r : r + step])
    return out


def _check(mask: npt.NDArray[np.uint8], width: Any, height: Any, pillow: Any) -> None:
    """Refuse what the Rust kernel refuses, with the same class and wording."""
    for name, value in (("width", width), ("height", height)):
        if value < 1:
            raise KernelInputError(f"{name} must be >= 1, got {value}")
    if pillow not in (12, 13):
        raise KernelInputError(
            "pillow must be 12 (the pass order of Pillow 12) or 13 (that of Pillow 13), "
            f"got {pillow}"
        )
    h, w = mask.shape
    if h == 0 or w == 0:
        raise KernelInputError(f"cannot resize an empty mask (shape {h}x{w})")
    if max(h, w, width, height) > MAX_SIDE:
        raise KernelInputError(
            f"resize supports sides up to {MAX_SIDE} pixels, "
            f"got {h}x{w} -> {height}x{width} (height x width)"
        )


def _vertical_first(pillow: int, in_h: int, in_w: int, out_h: int, out_w: int) -> bool:
    """Whether the vertical pass runs first (``PassOrder::vertical_first`` in Rust).

    Pillow 13 shrinks the height first when it shrinks more than twice the
    width; Pillow 12 (since 12.2) when the image is over 100 times taller than
    wide and its height shrinks.
    """
    if pillow == 12:
        return in_h > 100 * in_w and out_h < in_h
    dy, dx = in_h - out_h, in_w - out_w
    return dy > 0 and dy > 2 * dx


@cache
def _installed_order() -> int | None:
    """The pass order of the installed Pillow (12 or 13), None for Pillows before 12.2."""
    import PIL

    major, minor = (int(v) for v in PIL.__version__.split(".")[:2])
    if major >= 13:
        return 13
    return 12 if (major, minor) >= (12, 2) else None


def _pillow_resize(
    mask: npt.NDArray[np.uint8], width: int, height: int, pillow: int
) -> npt.NDArray[np.uint8] | None:
    """The installed Pillow's resize, when its pass order is ``pillow``'s for this shape."""
    installed = _installed_order()
    if installed is None:
        return None
    in_h, in_w = mask.shape
    if _vertical_first(installed, in_h, in_w, height, width) != _vertical_first(
        pillow, in_h, in_w, height, width
    ):
        return None
    mask = np.ascontiguousarray(mask)
    # Pillow 12 takes its vertical pass first in Python (two core calls in
    # Image.resize), Pillow 13 inside the core: the core alone is Image.resize
    # only where Pillow 12's rule does not trigger.
    in_python = installed == 12 and _vertical_first(12, in_h, in_w, height, width)
    by_core = None if in_python else _core_resize(mask, width, height)
    if by_core is not None:
        return by_core
    from PIL import Image

    # frombuffer shares the array's memory (fromarray goes through the array
    # interface and a few more checks: the same image, a few microseconds later).
    image = Image.frombuffer("L", (in_w, in_h), mask, "raw", "L", 0, 1)
    return to_array(image.resize((width, height), Image.Resampling.BILINEAR))


def _core_resize(
    mask: npt.NDArray[np.uint8], width: int, height: int
) -> npt.NDArray[np.uint8] | None:
    """``Image.resize(..., BILINEAR)`` of the C-contiguous ``mask`` by Pillow's core
    (where that is one core call: see ``_pillow_resize``).

    What ``Image.frombuffer``, ``Image.resize`` and ``to_array`` do for an "L"
    image, without their Python: the mask and the output array are mapped as
    core images (``map_buffer``: the images are the arrays' memory), the core
    resizes, and the result is pasted into the output, one ``memcpy`` a row.
    About 7 µs a call less, which is the whole margin over the guide's
    procedure when the output is small (1024×1024 -> 100×80). The core
    interface is not documented; should it change, None, and the public path
    serves.
    """
    from PIL import _imaging as pillow_core

    in_h, in_w = mask.shape
    out = np.empty((height, width), dtype=np.uint8)
    try:
        source = pillow_core.map_buffer(mask, (in_w, in_h), "raw", 0, ("L", 0, 1))
        resized = source.resize((width, height), _BILINEAR, (0, 0, in_w, in_h))
        target = pillow_core.map_buffer(out, (width, height), "raw", 0, ("L", 0, 1))
        target.paste(resized, (0, 0, width, height))
    except (AttributeError, TypeError, ValueError):
        return None
    return out


#: ``Image.Resampling.BILINEAR``, as the core takes it.
_BILINEAR = 2


def resize_bilinear(
    mask: npt.NDArray[np.uint8], width: int, height: int, pillow: int = 13
) -> npt.NDArray[np.uint8]:
    """Resize a 2-D uint8 mask to ``(height, width)`` as Pillow's BILINEAR does."""
    _check(mask, width, height, pillow)
    # The output is checked against the kernels' allocation limit first, as the
    # Rust kernel does; a MemoryError on the way is the same AllocationError.
    what = "the resized mask"
    with guarded(check(width * height, 1, what), what):
        return _resize(mask, width, height, pillow)


def _resize(
    mask: npt.NDArray[np.uint8], width: int, height: int, pillow: int
) -> npt.NDArray[np.uint8]:
    by_pillow = _pillow_resize(mask, width, height, pillow)
    if by_pillow is not None:
        return by_pillow
    in_h, in_w = mask.shape
    need_h, need_v = in_w != width, in_h != height
    if need_h and need_v:
        if _vertical_first(pillow, in_h, in_w, height, width):
            return _horizontal(_vertical(mask, height), width)
        return _vertical(_horizontal(mask, width), height)
    if need_h:
        return _horizontal(mask, width)
    if need_v:
        return _vertical(mask, height)
    same: npt.NDArray[np.uint8] = mask.copy()
    return same


def resize_bilinear_threshold(
    mask: npt.NDArray[np.uint8],
    width: int,
    height: int,
    threshold: int = 127,
    pillow: int = 13,
) -> npt.NDArray[np.bool_]:
    """``resize_bilinear(mask, width, height, pillow) > threshold``."""
    _check(mask, width, height, pillow)
    what = "the resized mask"
    with guarded(check(width * height, 1, what), what):
        grey = _pillow_resize(mask, width, height, pillow)
    if grey is None:
        grey = resize_bilinear(mask, width, height, pillow)
    # Thresholds outside a byte's range saturate; inside it the comparison stays
    # in uint8 (no int16 copy of a large map).
    if threshold < 0:
        return np.ones(grey.shape, dtype=np.bool_)
    if threshold > 254:
        return np.zeros(grey.shape, dtype=np.bool_)
    # Compared in place: grey is this call's own array, and each byte becomes its bool.
    out: npt.NDArray[np.bool_] = np.greater(grey, np.uint8(threshold), out=grey.view(np.bool_))
    return out
