"""Which SIMD paths the kernels take on this CPU: the NumPy twin's answer.

The twin has no vector code of its own; its array loops are NumPy's, which
picks SIMD paths at run time too. So it answers with the features of the same
list (``sse2``, ``avx2``, ``ssse3``, ``pclmulqdq``) that NumPy reports as available.

>>> set(simd_features()) <= {"sse2", "avx2", "ssse3", "pclmulqdq"}
True
"""

from __future__ import annotations

__all__ = ["simd_features"]

_FEATURES = ("sse2", "avx2", "ssse3", "pclmulqdq")


def simd_features() -> list[str]:
    """The features of the kernels' list that NumPy's run-time dispatch found, in order."""
    found = _numpy_cpu_features()
    return [name for name in _FEATURES if found.get(name.upper(), False)]


def _numpy_cpu_features() -> dict[str, bool]:
    # NumPy 2 keeps the table in numpy._core, NumPy 1 in numpy.core.
    for module in ("numpy._core._multiarray_umath", "numpy.core._multiarray_umath"):
        try:
            table = __import__(module, fromlist=["__cpu_features__"]).__cpu_features__
        except (ImportError, AttributeError):
            continue
        return {str(k): bool(v) for k, v in table.items()}
    return {}
