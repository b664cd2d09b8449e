"""Generated batch records: segmentation answers as Gemini writes them, some of them broken.

Shared by the batch tests, the distributed tests and the batch benchmarks.
Every answer is built here from random geometry and real PNGs (encoded by
Pillow in several colour modes), never from the code under test.
"""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Iterator
from typing import Any

import numpy as np
from PIL import Image

__all__ = ["BROKEN_ANSWERS", "make_records", "png_pool", "segmentation_answer"]


def _soft_map(rng: np.random.Generator, size: int) -> np.ndarray:
    """A probability map like the model's: a soft blob with noise, 0..255."""
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float64) / max(size - 1, 1)
    cy, cx = rng.uniform(0.3, 0.7, 2)
    ry, rx = rng.uniform(0.2, 0.5, 2)
    d = ((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2
    soft = 255.0 / (1.0 + np.exp((d - 1.0) * 6.0))
    soft += rng.normal(0.0, 12.0, soft.shape)
    return np.clip(soft, 0, 255).astype(np.uint8)


def png_pool(count: int = 12, size: int = 32, seed: int = 0) -> list[str]:
    """Base64 PNG masks in the modes the model (and people) produce: L, LA, RGB, P, I;16."""
    rng = np.random.default_rng(seed)
    modes = ["L", "L", "RGB", "LA", "P", "I;16"]
    out = []
    for k in range(count):
        grey = _soft_map(rng, size + k % 5)
        image = Image.fromarray(grey, "L")
        mode = modes[k % len(modes)]
        if mode == "RGB":
            image = image.convert("RGB")
        elif mode == "LA":
            image = image.convert("LA")
        elif mode == "P":
            image = image.convert("RGB").convert("P", palette=Image.Palette.ADAPTIVE, colors=64)
        elif mode == "I;16":
            image = Image.fromarray(grey.astype(np.uint16) * 257)
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        out.append(base64.b64encode(buffer.getvalue()).decode("ascii"))
    return out


def segmentation_answer(
    rng: np.random.Generator, pool: list[str], items: int, *, fenced: bool = True
) -> str:
    """A model answer with ``items`` segments (some points, boxes, polygons mixed in)."""
    out: list[dict[str, Any]] = []
    for k in range(items):
        y0, x0 = (int(v) for v in rng.integers(0, 900, 2))
        h, w = (int(v) for v in rng.integers(5, 400, 2))
        item: dict[str, Any] = {"box_2d": [y0, x0, min(y0 + h, 1000), min(x0 + w, 1000)]}
        item["label"] = ["cat", "dog", "красный мяч", "🐈 tabby", ""][k % 5]
        roll = rng.random()
        if roll < 0.8:
            item["mask"] = "data:image/png;base64," + pool[int(rng.integers(len(pool)))]
        elif roll < 0.85:
            item["polygon"] = [[x0, y0], [x0 + w, y0 + h // 2], [x0 + w // 3, y0 + h]]
        elif roll < 0.9:
            item = {"point": [y0, x0], "label": item["label"]}
        if rng.random() < 0.2:
            item["confidence"] = round(float(rng.random()), 3)
        out.append(item)
    text = json.dumps(out, ensure_ascii=False)
    return f"```json\n{text}\n```" if fenced else text


#: Answers that must give diagnostics (and no crash), one per kind of damage.
BROKEN_ANSWERS = [
    "I could not find anything in this image.",
    '[{"box_2d": [10, 20, 30], "label": "short"}]',
    '[{"box_2d": [500, 500, 100, 100], "label": "reversed"}, {"box_2d": ["x", 1, 2, 3]}]',
    '[{"box_2d": [-50, 0, 1200, 500], "label": "clamped", "mask": "not base64!!"}]',
    '[{"box_2d": [0, 0, 500, 500], "mask": "data:image/png;base64,aGVsbG8gd29ybGQ="}]',
    '```json\n[{"box_2d": [0, 0, 500, 500], "label": "a"}, {"box_2d": [1, 2',
    '[{"box_2d": [0, 0, 500, 500], "mask": "<seg_12><seg_40>"}, 7, null]',
    '[{"box_2d": [300, 300, 300, 600], "mask": "data:image/png;base64,iVBORw0KGgo="}]',
    '{"candidates": [{"content": {"parts": [{"text": "[{\\"point\\": [5, 5]}]"}]}, '
    '"finishReason": "MAX_TOKENS"}]}',
    '{"candidates": [], "promptFeedback": {"blockReason": "SAFETY"}}',
    "",
]


def make_records(
    count: int,
    *,
    seed: int = 0,
    items: int = 3,
    broken_every: int = 7,
    bad_every: int = 0,
    pool: list[str] | None = None,
) -> Iterator[dict[str, Any]]:
    """``count`` records with ids 0.., sizes up to 640x480, every ``broken_every``-th broken.

    ``bad_every`` > 0 also makes every such record unreadable (a zero or missing size,
    no answer), which the batch must report as a ``bad_record`` row.
    """
    rng = np.random.default_rng(seed)
    pool = pool if pool is not None else png_pool(seed=seed)
    for i in range(count):
        width, height = (int(v) for v in rng.integers(16, 640, 2))
        record: dict[str, Any] = {"id": i, "width": width, "height": height}
        if broken_every and i % broken_every == broken_every - 1:
            record["text"] = BROKEN_ANSWERS[(i // broken_every) % len(BROKEN_ANSWERS)]
        else:
            n = int(rng.integers(0, items + 1))
            record["text"] = segmentation_answer(rng, pool, n, fenced=bool(i % 2))
        if bad_every and i % bad_every == bad_every - 1:
            damage = (i // bad_every) % 3
            if damage == 0:
                record["width"] = 0
            elif damage == 1:
                record["height"] = None
            else:
                record["text"] = None
        yield record
