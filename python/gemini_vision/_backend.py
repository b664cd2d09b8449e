"""Pick the kernel backend once: the Rust extension, or the NumPy fallback.

``GEMINI_VISION_BACKEND=numpy`` forces the fallback; ``=rust`` makes a missing
extension an import error instead of a silent fallback. Both modules have the
same function names and signatures, described by ``_rust.pyi``.
"""

from __future__ import annotations

import os
from types import ModuleType
from typing import TYPE_CHECKING

__all__ = ["kernels", "name"]

_VALID = ("", "rust", "numpy")


def _load() -> tuple[str, ModuleType]:
    forced = os.environ.get("GEMINI_VISION_BACKEND", "").strip().lower()
    if forced not in _VALID:
        raise ImportError(
            f"GEMINI_VISION_BACKEND={forced!r} is not a backend; use 'rust' or 'numpy'"
        )
    if forced != "numpy":
        try:
            from gemini_vision import _rust
        except ImportError:
            if forced == "rust":
                raise
        else:
            return "rust", _rust
    from gemini_vision import _numpy_kernels

    return "numpy", _numpy_kernels


if TYPE_CHECKING:
    # Both backends satisfy the extension's stub, so type-check against it.
    from gemini_vision import _rust as kernels

    name: str
else:
    name, kernels = _load()
