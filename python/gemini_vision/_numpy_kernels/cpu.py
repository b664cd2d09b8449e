"""Which SIMD paths the kernels take on this CPU: the NumPy twin's answer.

The twin has no vector code of its own; its array loops are NumPy's, which
picks SIMD paths at run time too. So it answers with the features of the same
list (``sse2``, ``avx2``, ``ssse3``, ``pclmulqdq``) that NumPy reports as available.

>>> set(simd_features()) <= {"sse2", "avx2", "ssse3", "pclmulqdq"}
True
"""

from __future__ import annotations

from typing import Any

__all__ = ["simd_features"]

_FEATURES = ("sse2", "avx2", "ssse3", "pclmulqdq")


def simd_features() -> list[str]:
    """The features of the kernels' list that NumPy's run-time dispatch found, in order."""
    found = _numpy_cpu_features()
    return [name for name in _FEATURES if found.get(name.upper(), False)]


def _numpy_cpu_features() -> dict[str, bool]:
    # NumPy 2 keeps the table in numpy._core, NumPy 1 in numpy.core (neither has stubs).
    try:
        from numpy._core._multiarray_umath import __cpu_features__ as table  # type: ignore[import-not-found]
    except ImportError:
        try:
            from numpy.core._multiarray_umath import __cpu_features__ as table  # type: ignore[no-redef]
        except ImportError:
            return {}
    features: dict[Any, Any] = table
    return {str(k): bool(v) for k, v in features.items()}
