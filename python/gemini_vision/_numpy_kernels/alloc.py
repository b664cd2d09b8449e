"""Checked allocation of input-sized arrays, the NumPy twin of ``rust/alloc.rs``.

Every array whose size comes from the input (a frame, a label map, a decoded
RLE) is made by :func:`zeros`: its size in bytes is checked against
:data:`MAX_ALLOC_BYTES` first, and a ``MemoryError`` from NumPy is turned into
the same :class:`~gemini_vision.errors.AllocationError` the Rust kernels raise,
with the same message.

>>> zeros((2, 3), np.bool_, "the union frame").shape
(2, 3)
>>> zeros((1 << 20, 1 << 20), np.int32, "the label map")
Traceback (most recent call last):
...
gemini_vision.errors.AllocationError: the label map needs 4398046511104 bytes, more than the allocation limit of 4294967296 bytes
"""  # noqa: E501

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
import numpy.typing as npt

from gemini_vision.errors import AllocationError

__all__ = ["MAX_ALLOC_BYTES", "check", "guarded", "zeros"]

#: The largest single buffer a kernel allocates for its input: 4 GiB (2**32 bytes).
MAX_ALLOC_BYTES = 1 << 32


def check(count: int, itemsize: int, what: str) -> int:
    """The bytes of ``count`` items of ``itemsize``, or ``AllocationError`` above the limit.

    >>> check(10, 4, "x")
    40
    """
    nbytes = count * itemsize
    if nbytes > MAX_ALLOC_BYTES:
        raise AllocationError(
            f"{what} needs {nbytes} bytes, more than the allocation limit of "
            f"{MAX_ALLOC_BYTES} bytes"
        )
    return nbytes


def zeros(shape: Sequence[int], dtype: Any, what: str) -> npt.NDArray[Any]:
    """``np.zeros(shape, dtype)`` after the limit check; ``AllocationError`` if refused.

    >>> zeros((0, 5), np.uint8, "x").shape
    (0, 5)
    """
    with guarded(check(math.prod(shape), np.dtype(dtype).itemsize, what), what):
        return np.zeros(tuple(shape), dtype=dtype)


@contextmanager
def guarded(nbytes: int, what: str) -> Iterator[None]:
    """Turn a ``MemoryError`` inside the block into the kernels' ``AllocationError``.

    For work whose temporaries NumPy allocates itself (the Rust kernel makes
    only the output buffer of ``nbytes``, so that is the size the message names).
    """
    try:
        yield
    except AllocationError:
        raise
    except MemoryError:
        raise AllocationError(
            f"{what} needs {nbytes} bytes, which could not be allocated"
        ) from None
