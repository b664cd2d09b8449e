"""The overlay image: masks, then box outlines, then labels (SPEC S6).

Masks are composited by the mask kernel (``gemini_vision.masks.overlay``), in
item order, byte for byte as chaining Pillow's ``Image.alpha_composite`` over
full-frame layers that hold the item's colour (alpha ``mask_alpha``) on the
mask's pixels and nothing elsewhere; only the boxes' pixels are touched. Box
outlines, points and labels are drawn with ``ImageDraw`` on top.

Labels are any Unicode text. Pillow's built-in font covers Latin only (Hebrew,
Cyrillic or CJK come out as empty boxes), so each label is drawn with the first
font of ``FONT_CANDIDATES`` that Pillow finds on the system *and* that has a
glyph for every character of that label; Pillow's default font is the last
resort. Colours come from a fixed palette, by the item's position.

>>> from gemini_vision import spatial
>>> r = spatial.parse('[{"box_2d": [100, 100, 900, 900], "label": "חתול"}]', (40, 30))
>>> overlay(r).size
(40, 30)
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

import numpy as np

from gemini_vision import masks

if TYPE_CHECKING:
    from PIL import Image

    from gemini_vision.spatial.result import SpatialResult

__all__ = ["FONT_CANDIDATES", "PALETTE", "font_for", "overlay"]

#: Item colours (RGB), used in turn: well apart in hue and readable under white text.
PALETTE: tuple[tuple[int, int, int], ...] = (
    (230, 25, 75),
    (60, 180, 75),
    (0, 130, 200),
    (245, 130, 48),
    (145, 30, 180),
    (70, 190, 190),
    (240, 50, 230),
    (128, 128, 0),
    (0, 0, 128),
    (170, 110, 40),
)

#: TrueType files tried in order (Pillow looks them up in the system font folders).
FONT_CANDIDATES: tuple[str, ...] = (
    "DejaVuSans.ttf",
    "NotoSans-Regular.ttf",
    "Arial Unicode.ttf",
    "arialuni.ttf",
    "Arial.ttf",
    "arial.ttf",
    "LiberationSans-Regular.ttf",
)


def overlay(
    result: SpatialResult,
    image: Any = None,
    *,
    masks_on: bool = True,
    boxes: bool = True,
    labels: bool = True,
    mask_alpha: int = 110,
    line_width: int | None = None,
    font_size: int | None = None,
) -> Image.Image:
    """Draw ``result`` over ``image``.

    Args:
        result: a ``SpatialResult``.
        image: a ``PIL.Image``, a path, or an (H, W[, 3|4]) uint8 array, of the
            result's ``image_size``; None draws on a mid-grey canvas.
        masks_on, boxes, labels: which layers to draw.
        mask_alpha: opacity (0..255) of the mask colours.
        line_width, font_size: in pixels; by default they scale with the image.

    Returns:
        An RGBA image if ``image`` had alpha, else RGB.

    Raises:
        LocalError: the image's size differs from ``result.image_size``.
    """
    from PIL import ImageDraw

    from gemini_vision.errors import LocalError

    base, had_alpha = _as_rgba(image, result.image_size)
    if base.size != result.image_size:
        raise LocalError(
            f"the image is {base.size[0]}x{base.size[1]} but the result was parsed for "
            f"{result.image_size[0]}x{result.image_size[1]}; parse with the image's size"
        )
    if masks_on:
        base = composite_masks(result, base, mask_alpha=mask_alpha)
    short = min(result.image_size)
    width = line_width if line_width is not None else max(1, short // 200)
    size = font_size if font_size is not None else max(10, short // 35)
    draw = ImageDraw.Draw(base)
    for position, item in enumerate(result.items):
        colour = PALETTE[position % len(PALETTE)]
        if boxes and item.box is not None and item.width > 0 and item.height > 0:
            x0, y0, x1, y1 = item.box
            draw.rectangle((x0, y0, x1 - 1, y1 - 1), outline=(*colour, 255), width=width)
        if boxes and item.point is not None:
            x, y = item.point
            r = max(2, width * 2)
            draw.ellipse((x - r, y - r, x + r, y + r), fill=(*colour, 255), outline=(255,) * 4)
    if labels:
        for position, item in enumerate(result.items):
            anchor = _label_anchor(item.box, item.point)
            if item.label and anchor is not None:
                _draw_label(draw, item.label, anchor, PALETTE[position % len(PALETTE)], size)
    return base if had_alpha else base.convert("RGB")


def composite_masks(
    result: SpatialResult, base: Image.Image, *, mask_alpha: int = 110
) -> Image.Image:
    """``base`` (RGBA) with every segment's colour composited through its mask, in order.

    Equal, byte for byte, to ``Image.alpha_composite(base, layer)`` chained over
    one full-frame layer per segment (colour at ``mask_alpha`` on the mask, clear
    elsewhere).
    """
    from PIL import Image

    pixels = np.array(base.convert("RGBA"), dtype=np.uint8)
    masks_, offsets, colours = [], [], []
    for position, item in enumerate(result.items):
        if item.mask is not None and item.box is not None:
            masks_.append(item.mask)
            offsets.append((item.box[0], item.box[1]))
            colours.append(PALETTE[position % len(PALETTE)])
    if masks_:
        masks.overlay(pixels, masks_, offsets, colours, mask_alpha, out=pixels)
    return Image.fromarray(pixels, "RGBA")


def _as_rgba(image: Any, size: tuple[int, int]) -> tuple[Image.Image, bool]:
    from PIL import Image

    if image is None:
        return Image.new("RGBA", size, (128, 128, 128, 255)), False
    if isinstance(image, np.ndarray):
        image = Image.fromarray(image)
    elif not isinstance(image, Image.Image):
        with Image.open(image) as opened:
            opened.load()
            image = opened.copy()
    had_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    return image.convert("RGBA"), had_alpha


def _label_anchor(
    box: tuple[int, int, int, int] | None, point: tuple[int, int] | None
) -> tuple[int, int] | None:
    if box is not None:
        return box[0], box[1]
    if point is not None:
        return point[0] + 4, point[1] + 4
    return None


def _draw_label(
    draw: Any, label: str, anchor: tuple[int, int], colour: tuple[int, int, int], size: int
) -> None:
    """The label on a filled tag at the box's top-left corner, above the box if there is room."""
    font = font_for(label, size)
    left, top, right, bottom = draw.textbbox((0, 0), label, font=font)
    pad = max(1, size // 6)
    tag_w, tag_h = right - left + 2 * pad, bottom - top + 2 * pad
    x, y = anchor
    y = y - tag_h if y - tag_h >= 0 else y
    draw.rectangle((x, y, x + tag_w - 1, y + tag_h - 1), fill=(*colour, 255))
    draw.text((x + pad - left, y + pad - top), label, font=font, fill=(255, 255, 255, 255))


def font_for(label: str, size: int) -> Any:
    """The first candidate font with a glyph for every character of ``label``.

    >>> font_for("cat", 12) is not None
    True
    """
    fonts = _fonts(size)
    for font in fonts:
        if all(_has_glyph(font, ch) for ch in set(label) if not ch.isspace()):
            return font
    return fonts[-1]


@functools.lru_cache(maxsize=16)
def _fonts(size: int) -> tuple[Any, ...]:
    from PIL import ImageFont

    found: list[Any] = []
    for name in FONT_CANDIDATES:
        try:
            found.append(ImageFont.truetype(name, size))
        except OSError:
            continue
    found.append(ImageFont.load_default(size=size))
    return tuple(found)


@functools.lru_cache(maxsize=4096)
def _has_glyph(font: Any, ch: str) -> bool:
    """Whether ``font`` draws ``ch`` as something other than its missing-glyph box."""
    return _glyph_bytes(font, ch) != _glyph_bytes(font, "\uffff")


@functools.lru_cache(maxsize=4096)
def _glyph_bytes(font: Any, ch: str) -> bytes:
    from PIL import Image, ImageDraw

    size = int(getattr(font, "size", 16))
    canvas = Image.new("L", (4 * size + 8, 2 * size + 8))
    ImageDraw.Draw(canvas).text((2, 2), ch, font=font, fill=255)
    return canvas.tobytes()
