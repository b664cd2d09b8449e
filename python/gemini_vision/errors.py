"""The exception classes of gemini-vision.

Both backends raise these: the Rust extension looks them up here by name, so a
``MaskDecodeError`` from Rust and one from the NumPy fallback are the same class.

Two families, as in h11: *local* errors mean the library refused to do what was
asked (a request it can tell is invalid, an argument out of range, bytes that
do not decode), *remote* errors mean the server said no.

>>> from gemini_vision.errors import MaskDecodeError
>>> issubclass(MaskDecodeError, ValueError)
True
"""

from __future__ import annotations

__all__ = [
    "GeminiVisionError",
    "KernelInputError",
    "LocalError",
    "MaskDecodeError",
    "PixelLimitError",
]


class GeminiVisionError(Exception):
    """Base class of every exception this library raises on purpose."""


class LocalError(GeminiVisionError, ValueError):
    """The library refused to build or send something it can tell is invalid.

    The message names the field and the rule it broke.
    """


class KernelInputError(LocalError):
    """A kernel argument is outside its domain (a zero size, a wrong shape or dtype)."""


class MaskDecodeError(GeminiVisionError, ValueError):
    """PNG bytes are corrupt, truncated, or not a PNG; the message says which."""


class PixelLimitError(MaskDecodeError):
    """A PNG header declares more pixels than allowed; nothing was decoded."""
