# The kernels' signatures. The Rust extension and the NumPy fallback
# (gemini_vision._numpy_kernels) both implement exactly these; mypy checks the
# fallback against this file, stubtest the extension.
import numpy as np
import numpy.typing as npt

def threshold(mask: npt.NDArray[np.uint8], threshold: int = 127) -> npt.NDArray[np.bool_]: ...
def decode_png(data: bytes, max_pixels: int) -> npt.NDArray[np.uint8]: ...
def resize_bilinear(
    mask: npt.NDArray[np.uint8], width: int, height: int, pillow: int = 13
) -> npt.NDArray[np.uint8]: ...
def resize_bilinear_threshold(
    mask: npt.NDArray[np.uint8], width: int, height: int, threshold: int = 127, pillow: int = 13
) -> npt.NDArray[np.bool_]: ...
def image_tokens_batch(
    widths: npt.NDArray[np.int64], heights: npt.NDArray[np.int64], rule: str, budget: int
) -> npt.NDArray[np.int64]: ...
