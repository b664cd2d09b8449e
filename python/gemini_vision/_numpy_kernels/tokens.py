"""Image token estimates (SPEC K1, K3), the NumPy twin of ``rust/tokens.rs``.

Same names, arguments, results and exception classes as the Rust kernel; the
theory of operation (exact integer arithmetic, the overflow bounds) is in the
comment at the top of ``rust/tokens.rs``.
"""

from __future__ import annotations

import operator

import numpy as np
import numpy.typing as npt

from gemini_vision.errors import KernelInputError

MAX_SIDE = 1 << 31
MAX_BUDGET = 1 << 16
RULE_NAMES = ("documented", "pan_and_scan", "single", "gemini3", "flat258")
_SMALL_SIDE = 384

I64 = npt.NDArray[np.int64]


def _check_sides(name: str, sides: I64) -> None:
    bad = (sides < 1) | (sides > MAX_SIDE)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise KernelInputError(
            f"{name}[{i}] must be an image size in 1..={MAX_SIDE} pixels, got {int(sides[i])}"
        )


def _tile_count(w: I64, h: I64, unit: I64) -> I64:
    # ceil(a / u) as -(-a // u): floor division of the negation, exact in int64.
    tiles: I64 = (-(-w // unit)) * (-(-h // unit))
    return tiles


def _crop_unit(w: I64, h: I64) -> I64:
    # floor(min / 1.5) == 2 * min // 3; clamped to 1 px as in rust/tokens.rs::crop_unit.
    unit: I64 = np.maximum(2 * np.minimum(w, h) // 3, 1)
    return unit


def _isqrt(n: I64) -> I64:
    # n < 2^48, so the float64 conversion is exact and floor(sqrt) already is the
    # integer square root; the two corrections keep it exact by construction.
    root = np.floor(np.sqrt(n.astype(np.float64))).astype(np.int64)
    root -= root * root > n
    root += (root + 1) * (root + 1) <= n
    out: I64 = root
    return out


def _gemini3(w: I64, h: I64, budget: int) -> I64:
    rows = _isqrt(budget * h // w)
    cols = _isqrt(budget * w // h)
    # Extreme aspect ratios: one row (or column) of up to B tokens.
    no_rows = rows == 0
    rows = np.where(no_rows, 1, rows)
    cols = np.where(no_rows, np.minimum(w // h, budget), cols)
    no_cols = cols == 0
    cols = np.where(no_cols, 1, cols)
    rows = np.where(no_cols, np.minimum(h // w, budget), rows)
    out: I64 = rows * cols
    return out


def image_tokens_batch(widths: I64, heights: I64, rule: str, budget: int) -> I64:
    """Tokens per image for each ``(widths[i], heights[i])`` under ``rule``.

    ``budget`` is the rule's token number: tokens per tile (``documented``,
    ``pan_and_scan``), per image (``single``, ``flat258``), or Gemini 3's budget.
    """
    if rule not in RULE_NAMES:
        raise KernelInputError(
            f"unknown token rule {rule!r}; the rules are {', '.join(RULE_NAMES)}"
        )
    budget = operator.index(budget)  # a TypeError for non-integers, as from the extension
    if not 1 <= budget <= MAX_BUDGET:
        raise KernelInputError(f"budget must be in 1..={MAX_BUDGET} tokens, got {budget}")
    w = np.asarray(widths, dtype=np.int64)
    h = np.asarray(heights, dtype=np.int64)
    if w.ndim != 1 or h.ndim != 1 or w.shape != h.shape:
        raise KernelInputError(
            f"widths and heights must be 1-D of the same length, got shapes {w.shape} and {h.shape}"
        )
    _check_sides("widths", w)
    _check_sides("heights", h)
    if rule in ("single", "flat258"):
        return np.full(w.shape, budget, dtype=np.int64)
    if rule == "gemini3":
        return _gemini3(w, h, budget)
    small = (w <= _SMALL_SIDE) & (h <= _SMALL_SIDE)
    unit = _crop_unit(w, h)
    if rule == "pan_and_scan":
        tiles = _tile_count(w, h, np.clip(unit, 256, 768)) + 1
    else:
        tiles = _tile_count(w, h, unit)
    out: I64 = np.where(small, budget, tiles * budget)
    return out
