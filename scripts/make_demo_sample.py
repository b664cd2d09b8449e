"""Make the demo sample shipped in python/gemini_vision/data/ (run it to regenerate).

The sample is synthetic: a scene drawn with Pillow (sky, ground, sun, house,
tree, ball) and a "recorded" answer written the way Gemini answers a
segmentation prompt: prose, then a ```json fence holding a list of
{"box_2d", "label", "mask"} objects, each mask a base64 PNG probability map of
the object inside its box (a soft shape: drawn at 4x, blurred, reduced to a
small map as the model sends them). Labels include Hebrew and Cyrillic text.
No model was called; the generator is deterministic.

    python scripts/make_demo_sample.py [OUT_DIR]
"""

from __future__ import annotations

import base64
import io
import json
import sys
from collections.abc import Callable
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter

WIDTH, HEIGHT = 640, 480
OUT = Path(__file__).resolve().parent.parent / "python" / "gemini_vision" / "data"

Box = tuple[float, float, float, float]
Shape = Callable[[ImageDraw.ImageDraw, Box, "int | None"], None]


def draw_scene() -> Image.Image:
    """The scene, in pixel coordinates."""
    image = Image.new("RGB", (WIDTH, HEIGHT))
    draw = ImageDraw.Draw(image)
    for y in range(HEIGHT):  # sky gradient above, grass below
        if y < 330:
            t = y / 330
            colour = (int(110 + 90 * t), int(170 + 60 * t), 235)
        else:
            t = (y - 330) / (HEIGHT - 330)
            colour = (int(70 - 30 * t), int(150 - 40 * t), int(60 - 20 * t))
        draw.line(((0, y), (WIDTH, y)), fill=colour)
    for _, box, shape, _ in OBJECTS:
        shape(draw, box, None)
    return image


# Each object: label, pixel box (x0, y0, x1, y1), and how to draw its shape in a box.
def sun(draw: ImageDraw.ImageDraw, box: Box, mask: int | None) -> None:
    """Draw the sun in its colours, or in grey level ``mask`` (its mask)."""
    x0, y0, x1, y1 = box
    draw.ellipse((x0, y0, x1, y1), fill=_pick(mask, (255, 210, 60)))


def house(draw: ImageDraw.ImageDraw, box: Box, mask: int | None) -> None:
    """Draw the house in its colours, or in grey level ``mask`` (its mask)."""
    x0, y0, x1, y1 = box
    roof = y0 + (y1 - y0) * 0.42
    draw.polygon(((x0, roof), ((x0 + x1) / 2, y0), (x1, roof)), fill=_pick(mask, (170, 60, 50)))
    inset = (x1 - x0) * 0.08
    draw.rectangle((x0 + inset, roof, x1 - inset, y1), fill=_pick(mask, (235, 220, 190)))
    if mask is None:  # door and window are part of the house, not holes in its mask
        w = x1 - x0
        draw.rectangle((x0 + 0.42 * w, y1 - 0.3 * (y1 - y0), x0 + 0.58 * w, y1), fill=(110, 70, 40))
        draw.rectangle((x0 + 0.18 * w, roof + 15, x0 + 0.34 * w, roof + 45), fill=(150, 200, 240))


def tree(draw: ImageDraw.ImageDraw, box: Box, mask: int | None) -> None:
    """Draw the tree in its colours, or in grey level ``mask`` (its mask)."""
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    trunk = (x0 + 0.42 * w, y0 + 0.7 * h, x0 + 0.58 * w, y1)
    draw.rectangle(trunk, fill=_pick(mask, (100, 65, 35)))
    for k in range(3):  # a spruce: three stacked triangles
        top = y0 + k * 0.22 * h
        bottom = top + 0.38 * h
        spread = 0.3 + 0.1 * k
        draw.polygon(
            (
                (x0 + (0.5 - spread) * w, bottom),
                (x0 + 0.5 * w, top),
                (x0 + (0.5 + spread) * w, bottom),
            ),
            fill=_pick(mask, (30, 110, 50)),
        )


def ball(draw: ImageDraw.ImageDraw, box: Box, mask: int | None) -> None:
    """Draw the ball in its colours, or in grey level ``mask`` (its mask)."""
    x0, y0, x1, y1 = box
    draw.ellipse((x0, y0, x1, y1), fill=_pick(mask, (220, 30, 40)))
    if mask is None:
        draw.arc((x0, y0, x1, y1), 200, 340, fill=(255, 255, 255), width=4)


def _pick(mask: int | None, colour: tuple[int, int, int]) -> int | tuple[int, int, int]:
    return colour if mask is None else mask


OBJECTS: list[tuple[str, tuple[int, int, int, int], Shape, int]] = [
    ("sun", (470, 40, 580, 150), sun, 64),
    ("house", (90, 180, 300, 390), house, 96),
    ("ёлка", (340, 150, 450, 400), tree, 80),
    ("כדור", (470, 360, 540, 430), ball, 48),
]


def soft_mask(shape: Shape, side: int) -> Image.Image:
    """The object's probability map inside its box: side x side, values 0..255."""
    big = Image.new("L", (side * 4, side * 4), 0)
    shape(ImageDraw.Draw(big), (0, 0, side * 4 - 1, side * 4 - 1), 255)
    big = big.filter(ImageFilter.GaussianBlur(side * 4 / 40))
    return big.resize((side, side), Image.Resampling.BOX)


def to_box_2d(box: tuple[int, int, int, int]) -> list[int]:
    """[ymin, xmin, ymax, xmax] normalized to 0-1000, as the model writes it."""
    x0, y0, x1, y1 = box
    return [
        round(y0 / HEIGHT * 1000),
        round(x0 / WIDTH * 1000),
        round(y1 / HEIGHT * 1000),
        round(x1 / WIDTH * 1000),
    ]


def answer() -> str:
    items = []
    for label, box, shape, side in OBJECTS:
        png = io.BytesIO()
        soft_mask(shape, side).save(png, "PNG", optimize=True)
        data = base64.b64encode(png.getvalue()).decode("ascii")
        items.append(
            {"box_2d": to_box_2d(box), "label": label, "mask": f"data:image/png;base64,{data}"}
        )
    # One object per line, as the model writes them.
    body = "[\n" + ",\n".join("  " + json.dumps(i, ensure_ascii=False) for i in items) + "\n]"
    return (
        f"Here are the segmentation masks for the objects in the image:\n\n```json\n{body}\n```\n"
    )


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else OUT
    out.mkdir(parents=True, exist_ok=True)
    draw_scene().save(out / "demo_scene.png", optimize=True)
    (out / "demo_answer.txt").write_text(answer(), encoding="utf-8")
    print(f"wrote {out / 'demo_scene.png'} and {out / 'demo_answer.txt'}")


if __name__ == "__main__":
    main()
