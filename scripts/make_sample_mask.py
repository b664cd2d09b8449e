"""Write ``python/gemini_vision/data/sample_mask.png``, the demo's synthetic mask.

It stands in for one mask of a Gemini segmentation answer: an 8-bit grey PNG
probability map of the inside of a box, 0 outside the object and 255 inside,
with a soft edge a few pixels wide. Here the object is a tilted ellipse with a
notch, so a resize and threshold of it are not symmetric by accident.

Run from the repository root: ``python scripts/make_sample_mask.py``. The output
is deterministic (no randomness), so re-running it changes nothing.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image

OUT = (
    Path(__file__).resolve().parent.parent / "python" / "gemini_vision" / "data" / "sample_mask.png"
)
WIDTH, HEIGHT = 192, 128
EDGE = 0.08  # width of the soft edge, in units of the ellipse radius


def probability_map() -> np.ndarray:
    """The mask as uint8 (HEIGHT, WIDTH): a soft, tilted ellipse with a round notch."""
    y, x = np.mgrid[0:HEIGHT, 0:WIDTH].astype(np.float64) + 0.5
    cx, cy, angle = WIDTH * 0.5, HEIGHT * 0.52, np.deg2rad(15)
    u = (x - cx) * np.cos(angle) + (y - cy) * np.sin(angle)
    v = -(x - cx) * np.sin(angle) + (y - cy) * np.cos(angle)
    ellipse = np.hypot(u / (WIDTH * 0.42), v / (HEIGHT * 0.36))
    notch = np.hypot((x - WIDTH * 0.8) / (WIDTH * 0.12), (y - HEIGHT * 0.3) / (HEIGHT * 0.18))
    inside = np.minimum(1 - ellipse, notch - 1)  # > 0 inside the ellipse and outside the notch
    prob = np.clip(0.5 + inside / EDGE, 0.0, 1.0)
    return np.round(prob * 255).astype(np.uint8)


def main() -> None:
    buf = io.BytesIO()
    Image.fromarray(probability_map()).save(buf, "PNG", optimize=True)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_bytes(buf.getvalue())
    print(f"wrote {OUT} ({len(buf.getvalue())} bytes, {WIDTH}x{HEIGHT})")


if __name__ == "__main__":
    main()
