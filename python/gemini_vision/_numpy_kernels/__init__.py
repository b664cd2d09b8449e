"""The NumPy fallback: the same kernels as the Rust extension, same names and signatures.

Chosen by ``_backend`` when the extension is missing or
``GEMINI_VISION_BACKEND=numpy`` is set. ``_rust.pyi`` describes both.
"""

from gemini_vision._numpy_kernels.png import decode_png
from gemini_vision._numpy_kernels.resize import resize_bilinear, resize_bilinear_threshold
from gemini_vision._numpy_kernels.threshold import threshold
from gemini_vision._numpy_kernels.tokens import image_tokens_batch

__all__ = [
    "decode_png",
    "image_tokens_batch",
    "resize_bilinear",
    "resize_bilinear_threshold",
    "threshold",
]
