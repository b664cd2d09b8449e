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
resort. Colours come from a fixed palette, by the item's position; each label's
text is black or white, whichever contrasts more with its tag.

Right-to-left and joining scripts (Hebrew, Arabic, Persian) need the text
reordered and, for Arabic script, letters joined. Pillow does both when it can
load its shaping library (raqm, with FriBiDi); where it cannot (slim
containers, some Macs), the labels are reordered with python-bidi and joined
with arabic-reshaper (``pip install 'gemini-vision[rtl]'``) before Pillow's
basic layout draws them. ``shaping_path()`` says which path is in use.

Labels are placed where they can be read (``place_labels``): each label takes
the first free position among candidates around its box (above it, inside its
top edge, below it, at either corner, then further out), free meaning it
overlaps no label placed before it and, where possible, no other box; every
tag is kept wholly inside the image (a label too wide for the image is cut
with an ellipsis).

>>> from gemini_vision import spatial
>>> r = spatial.parse('[{"box_2d": [100, 100, 900, 900], "label": "חתול"}]', (40, 30))
>>> overlay(r).size
(40, 30)
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from gemini_vision import masks

if TYPE_CHECKING:
    from PIL import Image

    from gemini_vision.spatial.result import SpatialResult

__all__ = [
    "FONT_CANDIDATES",
    "PALETTE",
    "font_for",
    "fonts_found",
    "label_boxes",
    "overlay",
    "place_labels",
    "shape_text",
    "shaping_path",
    "text_colour",
]

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
    # CJK: none of the above has Han, kana or hangul glyphs.
    "NotoSansCJK-Regular.ttc",
    "NotoSansCJKsc-Regular.otf",
    "wqy-microhei.ttc",
    "PingFang.ttc",
    "msyh.ttc",
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
    shaping: str | None = None,
) -> Image.Image:
    """Draw ``result`` over ``image``.

    Args:
        result: a ``SpatialResult``.
        image: a ``PIL.Image``, a path, or an (H, W[, 3|4]) uint8 array, of the
            result's ``image_size``; None draws on a mid-grey canvas.
        masks_on, boxes, labels: which layers to draw.
        mask_alpha: opacity (0..255) of the mask colours.
        line_width, font_size: in pixels; by default they scale with the image.
        shaping: how right-to-left and joining scripts are laid out: "raqm"
            (Pillow's shaping library), "fallback" (python-bidi and
            arabic-reshaper, then Pillow's basic layout), "none" (drawn in
            memory order, unjoined: for comparison only); None picks the first
            available of the first two (``shaping_path()``).

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
        _draw_labels(draw, result, size, shaping)
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


def _draw_labels(draw: Any, result: SpatialResult, size: int, shaping: str | None) -> None:
    """Every label on a filled tag, placed by ``place_labels``."""
    pad = max(1, size // 6)
    for tag in _layout(draw, result, size, shaping):
        x, y, x1, y1 = tag.rect
        draw.rectangle((x, y, x1 - 1, y1 - 1), fill=(*tag.colour, 255))
        draw.text(
            (x + pad - tag.origin[0], y + pad - tag.origin[1]),
            tag.text,
            font=tag.font,
            fill=(*text_colour(tag.colour), 255),
        )


def label_boxes(
    result: SpatialResult, *, font_size: int | None = None, shaping: str | None = None
) -> list[tuple[str, tuple[int, int, int, int]]]:
    """Where ``overlay`` draws each label: ``(text drawn, (x0, y0, x1, y1))``, ends exclusive.

    >>> from gemini_vision import spatial
    >>> r = spatial.parse('[{"box_2d": [500, 0, 1000, 1000], "label": "cat"}]', (60, 40))
    >>> [(text, rect[1] >= 0) for text, rect in label_boxes(r)]
    [('cat', True)]
    """
    from PIL import Image, ImageDraw

    size = font_size if font_size is not None else max(10, min(result.image_size) // 35)
    draw = ImageDraw.Draw(Image.new("RGBA", (1, 1)))
    return [(tag.text, tag.rect) for tag in _layout(draw, result, size, shaping)]


def _layout(draw: Any, result: SpatialResult, size: int, shaping: str | None) -> list[_Tag]:
    """The labels' tags, measured and placed."""
    mode = _shaping_mode(shaping)
    width, height = result.image_size
    pad = max(1, size // 6)
    tags: list[_Tag] = []
    boxes: list[tuple[int, int, int, int]] = []
    for position, item in enumerate(result.items):
        box = _item_box(item.box, item.point)
        if box is None:
            continue
        boxes.append(box)
        if not item.label:
            continue
        text = _fit(draw, shape_text(item.label, mode), size, mode, width - 2 * pad)
        font = font_for(text, size, layout=mode)
        left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
        tag_size = (min(width, right - left + 2 * pad), min(height, bottom - top + 2 * pad))
        tags.append(_Tag(text, font, (left, top), tag_size, box, PALETTE[position % len(PALETTE)]))
    places = place_labels([t.box for t in tags], [t.size for t in tags], (width, height), boxes)
    for tag, (x, y) in zip(tags, places, strict=True):
        tag.rect = (x, y, x + tag.size[0], y + tag.size[1])
    return tags


class _Tag:
    """A label ready to place: its drawn text, font, ink origin, tag size, box and colour."""

    def __init__(
        self,
        text: str,
        font: Any,
        origin: tuple[int, int],
        size: tuple[int, int],
        box: tuple[int, int, int, int],
        colour: tuple[int, int, int],
    ) -> None:
        self.text, self.font, self.origin = text, font, origin
        self.size, self.box, self.colour = size, box, colour
        self.rect = (0, 0, 0, 0)


def _item_box(
    box: tuple[int, int, int, int] | None, point: tuple[int, int] | None
) -> tuple[int, int, int, int] | None:
    """The region a label belongs to: the item's box, or a small square around its point."""
    if box is not None:
        return box
    if point is not None:
        x, y = point
        return x - 3, y - 3, x + 4, y + 4
    return None


def place_labels(
    anchors: list[tuple[int, int, int, int]],
    sizes: list[tuple[int, int]],
    image_size: tuple[int, int],
    obstacles: Sequence[tuple[int, int, int, int]] = (),
) -> list[tuple[int, int]]:
    """The top-left corner of each label tag: inside the image, apart where there is room.

    Label ``k`` (``sizes[k]`` = width, height) belongs to the box ``anchors[k]``
    (x0, y0, x1, y1). Candidates are tried in order: above the box at its left
    edge, inside its top-left corner, below it, inside its bottom-left corner,
    the same four at its right edge, beside it left and right, then further
    above and below in steps of the tag's height. Each candidate is first moved
    inside the image. The first that overlaps no earlier label and no box of
    ``obstacles`` other than its own wins; if none is wholly free, the first
    that overlaps no earlier label; else the one with the least overlap.

    >>> place_labels([(10, 10, 50, 40)], [(20, 8)], (100, 100))
    [(10, 2)]
    >>> place_labels([(0, 0, 50, 40), (0, 0, 50, 40)], [(20, 8), (20, 8)], (100, 100))
    [(0, 0), (0, 40)]
    """
    width, height = image_size
    # Rectangles are looked up in a grid of cells, so each candidate is compared with
    # its neighbours only: linear in the labels for a scene of any size.
    cell = max(32, min(width, height) // 16)
    placed = _Grid(cell)
    boxes = _Grid(cell)
    for box in obstacles:
        boxes.add(box)
    out: list[tuple[int, int]] = []
    for anchor, (tag_w, tag_h) in zip(anchors, sizes, strict=True):
        best: tuple[tuple[bool, bool, int], tuple[int, int]] | None = None
        for x, y in _candidates(anchor, tag_w, tag_h):
            x = min(max(x, 0), max(0, width - tag_w))
            y = min(max(y, 0), max(0, height - tag_h))
            rect = (x, y, x + tag_w, y + tag_h)
            on_labels = placed.overlap(rect)
            on_boxes = boxes.overlap(rect, skip=anchor)
            score = (on_labels > 0, on_boxes > 0, on_labels * 4 + on_boxes)
            if best is None or score < best[0]:
                best = (score, (x, y))
            if score[0] is False and score[1] is False:
                break
        assert best is not None
        x, y = best[1]
        placed.add((x, y, x + tag_w, y + tag_h))
        out.append((x, y))
    return out


class _Grid:
    """Rectangles by the grid cells they cover, for overlap sums over near ones only."""

    def __init__(self, cell: int) -> None:
        self.cell = cell
        self.rects: list[tuple[int, int, int, int]] = []
        self.cells: dict[tuple[int, int], list[int]] = {}

    def _keys(self, rect: tuple[int, int, int, int]) -> Iterator[tuple[int, int]]:
        x0, y0, x1, y1 = rect
        c = self.cell
        for cx in range(x0 // c, max(x0, x1 - 1) // c + 1):
            for cy in range(y0 // c, max(y0, y1 - 1) // c + 1):
                yield cx, cy

    def add(self, rect: tuple[int, int, int, int]) -> None:
        index = len(self.rects)
        self.rects.append(rect)
        for key in self._keys(rect):
            self.cells.setdefault(key, []).append(index)

    def overlap(
        self, rect: tuple[int, int, int, int], skip: tuple[int, int, int, int] | None = None
    ) -> int:
        """The summed overlap area of ``rect`` with the rectangles (other than ``skip``)."""
        seen: set[int] = set()
        total = 0
        for key in self._keys(rect):
            for index in self.cells.get(key, ()):
                if index not in seen:
                    seen.add(index)
                    other = self.rects[index]
                    if other != skip:
                        total += _overlap(rect, other)
        return total


def _candidates(box: tuple[int, int, int, int], tag_w: int, tag_h: int) -> list[tuple[int, int]]:
    x0, y0, x1, y1 = box
    right = x1 - tag_w
    near = [
        (x0, y0 - tag_h),
        (x0, y0),
        (x0, y1),
        (x0, y1 - tag_h),
        (right, y0 - tag_h),
        (right, y0),
        (right, y1),
        (right, y1 - tag_h),
        (x0 - tag_w, y0),
        (x1, y0),
    ]
    far = [(x, y0 - k * tag_h) for k in (2, 3, 4) for x in (x0, right)]
    far += [(x, y1 + (k - 1) * tag_h) for k in (2, 3, 4) for x in (x0, right)]
    return near + far


def _overlap(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> int:
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    return w * h if w > 0 and h > 0 else 0


def text_colour(background: tuple[int, int, int]) -> tuple[int, int, int]:
    """Black or white, whichever has the higher WCAG contrast ratio on ``background``.

    >>> text_colour((145, 30, 180)), text_colour((245, 130, 48)), text_colour((0, 0, 128))
    ((255, 255, 255), (0, 0, 0), (255, 255, 255))
    """

    def linear(channel: int) -> float:
        c = channel / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in background)
    luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b
    # Contrast with white is 1.05 / (L + 0.05); with black (L + 0.05) / 0.05.
    return (0, 0, 0) if (luminance + 0.05) / 0.05 > 1.05 / (luminance + 0.05) else (255, 255, 255)


# --- right-to-left and joining scripts ------------------------------------------------


@functools.lru_cache(maxsize=1)
def _have_raqm() -> bool:
    from PIL import features

    try:
        return bool(features.check_feature("raqm"))
    except (ValueError, OSError):
        return False


@functools.lru_cache(maxsize=1)
def _have_fallback() -> tuple[bool, bool]:
    """Whether python-bidi and arabic-reshaper can be imported."""
    import importlib.util

    return (
        importlib.util.find_spec("bidi") is not None,
        importlib.util.find_spec("arabic_reshaper") is not None,
    )


def shaping_path() -> str:
    """Which layout draws right-to-left and joining labels here.

    "raqm" (Pillow's shaping library), "python-bidi + arabic-reshaper",
    "python-bidi (Arabic-script letters unjoined)", or "none (...)".

    >>> shaping_path().split()[0] in ("raqm", "python-bidi", "none")
    True
    """
    if _have_raqm():
        return "raqm"
    bidi, reshaper = _have_fallback()
    if bidi and reshaper:
        return "python-bidi + arabic-reshaper"
    if bidi:
        return "python-bidi (Arabic-script letters unjoined: pip install arabic-reshaper)"
    return (
        "none (right-to-left labels drawn in memory order: "
        "pip install 'gemini-vision[rtl]' or a Pillow with raqm)"
    )


def _shaping_mode(shaping: str | None) -> str:
    if shaping is None:
        if _have_raqm():
            return "raqm"
        return "fallback" if any(_have_fallback()) else "none"
    if shaping not in ("raqm", "fallback", "none"):
        raise ValueError(f"shaping must be 'raqm', 'fallback' or 'none', got {shaping!r}")
    if shaping == "raqm" and not _have_raqm():
        raise ValueError("shaping='raqm' but Pillow cannot load its raqm library here")
    return shaping


_RTL = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff]")


def shape_text(text: str, mode: str) -> str:
    """The string to hand Pillow for ``text`` in layout ``mode``.

    raqm shapes the logical text itself; the fallback reshapes Arabic-script
    letters into their joined forms and reorders the line for display (only
    when the text has right-to-left characters); "none" leaves it as it is.
    Lone surrogates, which no font can draw, become U+FFFD.

    >>> shape_text("cat", "fallback"), shape_text("\\ud800", "raqm")
    ('cat', '\\ufffd')
    """
    text = _LONE_SURROGATE.sub("\ufffd", text)
    if mode != "fallback" or not _RTL.search(text):
        return text
    bidi, reshaper = _have_fallback()
    if reshaper:
        import arabic_reshaper

        text = arabic_reshaper.reshape(text)
    if bidi:
        from bidi import get_display

        text = str(get_display(text))
    return text


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _fit(draw: Any, text: str, size: int, mode: str, room: int) -> str:
    """``text``, cut with an ellipsis until it is at most ``room`` pixels wide."""
    if room <= 0:
        return ""
    font = font_for(text, size, layout=mode)
    if draw.textlength(text, font=font) <= room:
        return text
    cut = text
    while cut and draw.textlength(cut + "…", font=font_for(cut + "…", size, layout=mode)) > room:
        cut = cut[:-1]
    return cut + "…" if cut else ""


def font_for(label: str, size: int, *, layout: str = "raqm") -> Any:
    """The first candidate font with a glyph for every character of ``label``.

    ``layout`` "raqm" loads fonts with Pillow's shaping layout where it is
    available; "fallback" and "none" with its basic layout.

    >>> font_for("cat", 12) is not None
    True
    """
    fonts = _fonts(size, layout != "raqm" or not _have_raqm())
    for font in fonts:
        if all(_has_glyph(font, ch) for ch in set(label) if not ch.isspace()):
            return font
    return fonts[-1]


def fonts_found() -> list[str]:
    """The names of ``FONT_CANDIDATES`` that Pillow finds here, in order.

    >>> isinstance(fonts_found(), list)
    True
    """
    from PIL import ImageFont

    found = []
    for name in FONT_CANDIDATES:
        try:
            ImageFont.truetype(name, 10)
        except OSError:
            continue
        found.append(name)
    return found


@functools.lru_cache(maxsize=32)
def _fonts(size: int, basic: bool) -> tuple[Any, ...]:
    from PIL import ImageFont

    layout = ImageFont.Layout.BASIC if basic else None
    found: list[Any] = []
    for name in FONT_CANDIDATES:
        try:
            found.append(ImageFont.truetype(name, size, layout_engine=layout))
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
