"""The fused mask pipeline (SPEC M7), the NumPy twin of ``rust/pipeline.rs``.

Per item: base64 text -> PNG (``decode_png``) -> Pillow-exact resize to the box
-> ``> threshold``, optionally with the probability map and the RLE counts.
Items run in a loop, or on a thread pool when ``threads`` asks for more than
one. A failed item gives ``(class name, message, None, None, None)`` and the
others go on. The base64 rules are the Rust module's (``rust/base64.rs``).
"""

from __future__ import annotations

import binascii
import os
import re
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import numpy.typing as npt

from gemini_vision._numpy_kernels.png import decode_png
from gemini_vision._numpy_kernels.resize import resize_bilinear, resize_bilinear_threshold
from gemini_vision._numpy_kernels.rle import rle_encode
from gemini_vision._numpy_kernels.threshold import threshold as threshold_kernel
from gemini_vision.errors import GeminiVisionError, KernelInputError, MaskDecodeError

__all__ = ["decode_base64", "decode_masks"]

ItemTuple = tuple[
    str | None,
    str,
    npt.NDArray[np.bool_] | None,
    npt.NDArray[np.uint8] | None,
    npt.NDArray[np.uint32] | None,
]

# Rust's u8::is_ascii_whitespace: space, \t, \n, \x0c, \r (not \x0b).
_WHITESPACE = b" \t\n\x0c\r"
_ALPHABET = re.compile(rb"[A-Za-z0-9+/]*")


def _invalid(message: str) -> MaskDecodeError:
    return MaskDecodeError(f"mask data is not valid base64: {message}")


def _first_error(text: bytes) -> str:
    """The message ``rust/base64.rs`` gives for ``text``: its first bad byte, by position.

    Only called on text already known to be bad, so the Python loop is off the fast path.
    """
    padding = 0
    for pos, byte in enumerate(text):
        if byte in _WHITESPACE:
            continue
        if byte == ord("="):
            padding += 1
            if padding > 2:
                return f"more than two '=' at {pos}"
        elif not _ALPHABET.fullmatch(bytes([byte])):
            return f"byte {byte:#04x} at {pos}"
        elif padding:
            return f"data after '=' padding at {pos}"
    return "unreadable text"


def decode_base64(text: bytes) -> bytes:
    """Standard base64 with an optional ``data:...;base64,`` prefix, whitespace
    ignored, padding optional, unused trailing bits ignored."""
    if text.startswith(b"data:"):
        at = text.find(b";base64,")
        if at >= 0:
            text = text[at + len(b";base64,") :]
    body = text.translate(None, _WHITESPACE)
    stripped = body.rstrip(b"=")
    match = _ALPHABET.match(stripped)
    if len(body) - len(stripped) > 2 or (match.end() if match else 0) != len(stripped):
        raise _invalid(_first_error(text))
    if len(stripped) % 4 == 1:
        raise _invalid("a lone 6-bit group at the end")
    padded = stripped + b"=" * (-len(stripped) % 4)
    try:
        return binascii.a2b_base64(padded)
    except binascii.Error as exc:  # not reachable after the checks above
        raise _invalid(str(exc)) from None


def _decode_one(
    data: bytes,
    box: tuple[int, int, int, int],
    threshold: int,
    pillow: int,
    max_pixels: int,
    want_probabilities: bool,
    rle_shape: tuple[int, int] | None,
) -> ItemTuple:
    try:
        grey = decode_png(decode_base64(data), max_pixels)
        x0, y0, x1, y1 = box
        w, h = x1 - x0, y1 - y0
        probabilities: npt.NDArray[np.uint8] | None = None
        if w == 0 or h == 0:
            mask = np.zeros((h, w), dtype=np.bool_)
            if want_probabilities:
                probabilities = np.zeros((h, w), dtype=np.uint8)
        elif want_probabilities:
            probabilities = resize_bilinear(grey, w, h, pillow)
            mask = threshold_kernel(probabilities, threshold)
        else:
            mask = resize_bilinear_threshold(grey, w, h, threshold, pillow)
        counts = None if rle_shape is None else rle_encode(mask, x0, y0, *rle_shape)
    except GeminiVisionError as exc:
        return type(exc).__name__, str(exc), None, None, None
    return None, "", mask, probabilities, counts


def decode_masks(
    data: Sequence[bytes],
    boxes: npt.NDArray[np.int64],
    thresholds: npt.NDArray[np.int32],
    pillow: npt.NDArray[np.int64],
    max_pixels: int,
    want_probabilities: bool,
    rle_shape: tuple[int, int] | None,
    threads: int,
) -> list[ItemTuple]:
    """Decode every item; one ``(error class or None, message, mask, probabilities,
    counts)`` tuple per item, in order."""
    n = len(data)
    if np.shape(boxes) != (n, 4):
        raise KernelInputError(f"boxes must have shape ({n}, 4)")
    if len(thresholds) != n or len(pillow) != n:
        raise KernelInputError(f"thresholds and pillow must have {n} entries")
    rows = [(int(a), int(b), int(c), int(d)) for a, b, c, d in boxes.tolist()]
    for i, (x0, y0, x1, y1) in enumerate(rows):
        if x1 < x0 or y1 < y0:
            raise KernelInputError(f"boxes[{i}] must have x0 <= x1 and y0 <= y1")
    for p in set(pillow.tolist()):
        if p not in (12, 13):
            raise KernelInputError(
                f"pillow must be 12 (Pillow <= 12 pass order) or 13 (Pillow 13 pass order), got {p}"
            )
    args = [
        (d, box, int(t), int(p), max_pixels, want_probabilities, rle_shape)
        for d, box, t, p in zip(data, rows, thresholds.tolist(), pillow.tolist(), strict=True)
    ]
    workers = (os.cpu_count() or 1) if threads == 0 else threads
    if workers <= 1 or n <= 1:
        return [_decode_one(*a) for a in args]
    with ThreadPoolExecutor(max_workers=min(workers, n)) as pool:
        return list(pool.map(lambda a: _decode_one(*a), args))
