"""``value > threshold`` (SPEC M3), the NumPy twin of ``rust/threshold.rs``."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt


def threshold(mask: npt.NDArray[np.uint8], threshold: int = 127) -> npt.NDArray[np.bool_]:
    """Return ``mask > threshold`` as a bool array of the same shape."""
    # Compare in a wider type so that -1 and 1000 saturate instead of wrapping.
    out: npt.NDArray[np.bool_] = np.asarray(mask, dtype=np.uint8) > np.int32(threshold)
    return out
