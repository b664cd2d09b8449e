"""gemini-vision: a sans-I/O core for the Gemini API on images, with fast, exact mask kernels.

Submodules load on first use, so ``import gemini_vision`` stays cheap (NumPy is
not imported until a kernel is needed).

>>> import gemini_vision
>>> gemini_vision.backend in ("rust", "numpy")
True
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_SUBMODULES = frozenset(
    {
        "errors",
        "masks",
        "tokens",
        "cli",
        "wire",
        "api",
        "images",
        "transports",
        "testing",
        "client",
        "spatial",
        "batch",
        "distributed",
        "evaluate",
    }
)

if TYPE_CHECKING:
    from gemini_vision import errors, masks, tokens

    backend: str
    __version__: str


def _version() -> str:
    # importlib.metadata pulls in email -> socket: looked up on first use only, so
    # importing the package stays cheap and sans-I/O.
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("gemini-vision")
    except PackageNotFoundError:  # running from a source tree without an install
        return "0+unknown"


def __getattr__(name: str) -> Any:
    if name == "__version__":
        return _version()
    if name == "backend":
        from gemini_vision import _backend

        return _backend.name
    if name in _SUBMODULES:
        return importlib.import_module(f"gemini_vision.{name}")
    raise AttributeError(f"module 'gemini_vision' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), "backend", "__version__", *_SUBMODULES})


__all__ = ["__version__", "backend", "errors", "masks", "tokens"]
