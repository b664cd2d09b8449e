"""Overlay labels people can read: inside the image, apart from each other, in any script.

The crowded scene is a real-style answer (20 segments with PNG masks, boxes
clustered and touching the right edge, labels of different lengths); the
comparison is supervision's label annotator with smart positioning, run on the
same label boxes. Right-to-left labels (Hebrew, Persian) drawn without Pillow's
shaping library are compared with the shaped rendering raqm makes.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
from PIL import Image

from gemini_vision import spatial
from gemini_vision.spatial import draw
from tests.batch_records import png_pool

LABELS = [
    "green apple",
    "banana",
    "red apple (bitten)",
    "orange",
    "kiwi",
    "pear",
    "lemon",
    "bunch of grapes",
    "plum",
    "peach",
    "mango",
    "strawberry",
    "cherry",
    "lime",
    "apricot",
    "blueberries in a bowl",
    "fig",
    "walnut",
    "melon slice",
    "pomegranate",
]


def crowded_answer(count: int = 20, *, seed: int = 0) -> str:
    """A segmentation answer as the model writes it: ``count`` items crowded in a fruit bowl
    on the right of the image (boxes overlap; some touch the right and top edges)."""
    rng = np.random.default_rng(seed)
    pool = png_pool(count=8, seed=seed)
    items = []
    for k in range(count):
        y0 = int(rng.integers(0, 700))
        x0 = int(rng.integers(450, 940))
        h, w = (int(v) for v in rng.integers(60, 260, 2))
        items.append(
            {
                "box_2d": [y0, x0, min(1000, y0 + h), min(1000, x0 + w)],
                "label": LABELS[k % len(LABELS)],
                "mask": "data:image/png;base64," + pool[k % len(pool)],
            }
        )
    return "Here are the objects:\n```json\n" + json.dumps(items) + "\n```"


def _pairs_overlapping(rects: list[tuple[float, float, float, float]]) -> int:
    count = 0
    for i, a in enumerate(rects):
        for b in rects[i + 1 :]:
            if min(a[2], b[2]) > max(a[0], b[0]) and min(a[3], b[3]) > max(a[1], b[1]):
                count += 1
    return count


def _supervision_smart(
    result: spatial.SpatialResult, sizes: list[tuple[int, int]]
) -> list[tuple[float, float, float, float]]:
    """supervision's smart positioning of label boxes of these sizes (its default anchor:
    the label on top of the box's top-left corner), then spread and kept in the frame."""
    sv = pytest.importorskip("supervision")
    props = []
    for item, (w, h) in zip(result.items, sizes, strict=True):
        assert item.box is not None
        x0, y0 = item.box[0], item.box[1]
        props.append([x0, y0 - h, x0 + w, y0, h])
    annotator = sv.LabelAnnotator(smart_position=True)
    adjusted = annotator._adjust_labels_in_frame(
        result.image_size, [item.label for item in result.items], np.array(props, np.float32)
    )
    return [tuple(float(v) for v in row[:4]) for row in adjusted]


def test_crowded_scene_labels_stay_inside_and_overlap_less_than_supervision() -> None:
    """20 segments, 640x480: every label box inside the image; fewer label-on-label overlaps
    than supervision's smart positioning of the same label boxes."""
    result = spatial.parse(crowded_answer(), (640, 480))
    assert len(result.segments) == 20
    boxes = draw.label_boxes(result)
    assert len(boxes) == 20
    width, height = result.image_size
    for _, (x0, y0, x1, y1) in boxes:
        assert 0 <= x0 < x1 <= width and 0 <= y0 < y1 <= height
    ours = _pairs_overlapping([rect for _, rect in boxes])
    sizes = [(x1 - x0, y1 - y0) for _, (x0, y0, x1, y1) in boxes]
    theirs = _pairs_overlapping(_supervision_smart(result, sizes))
    assert ours < theirs, (ours, theirs)
    # The scene has room for every label: none covers another.
    assert ours == 0
    # supervision with its own label sizes (its font, padding 10) on the same scene.
    sv = pytest.importorskip("supervision")
    annotator = sv.LabelAnnotator(smart_position=True)
    labels = [item.label for item in result.items]
    props = annotator._get_label_properties(result.to_supervision(), labels)
    own = annotator._adjust_labels_in_frame(result.image_size, labels, props)
    assert _pairs_overlapping([tuple(float(v) for v in row[:4]) for row in own]) > ours
    image = result.overlay()
    assert image.size == (640, 480)


def test_labels_wider_than_the_image_are_cut_inside_it() -> None:
    """A label longer than the image is wide ends in an ellipsis; its tag fits the image."""
    answer = json.dumps(
        [
            {"box_2d": [400, 900, 600, 1000], "label": "a very long label " * 8},
            {"box_2d": [0, 0, 30, 30], "label": "top-left"},
            {"point": [995, 995], "label": "corner point"},
        ]
    )
    result = spatial.parse(answer, (120, 80))
    boxes = draw.label_boxes(result)
    assert boxes[0][0].endswith("…")
    for _, (x0, y0, x1, y1) in boxes:
        assert 0 <= x0 < x1 <= 120 and 0 <= y0 < y1 <= 80


def test_label_text_colour_has_the_higher_contrast() -> None:
    """Black or white, whichever the WCAG contrast ratio prefers, for every palette colour."""

    def luminance(rgb: tuple[int, int, int]) -> float:
        lin = [
            (c / 255 / 12.92) if c / 255 <= 0.04045 else ((c / 255 + 0.055) / 1.055) ** 2.4
            for c in rgb
        ]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    for colour in draw.PALETTE:
        text = draw.text_colour(colour)
        lum_bg, lum_text = luminance(colour), luminance(text)
        other = (255, 255, 255) if text == (0, 0, 0) else (0, 0, 0)
        lum_other = luminance(other)

        def ratio(a: float, b: float) -> float:
            return (max(a, b) + 0.05) / (min(a, b) + 0.05)

        assert ratio(lum_bg, lum_text) >= ratio(lum_bg, lum_other)


RTL_LABELS = ["חתול שחור", "گربه سیاه", "پنجره"]


def _label_ink(label: str, shaping: str) -> np.ndarray[Any, Any]:
    """The label drawn alone on a white tag, as a bool ink map cropped to the ink."""
    answer = json.dumps([{"box_2d": [500, 0, 1000, 1000], "label": label}], ensure_ascii=False)
    result = spatial.parse(answer, (420, 120))
    image = result.overlay(
        Image.new("RGB", (420, 120), "white"),
        masks_on=False,
        boxes=False,
        font_size=36,
        shaping=shaping,
    )
    grey = np.asarray(image.convert("L"))
    tag = grey < 250  # the tag's colour and the text
    ys, xs = np.nonzero(tag)
    crop = grey[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
    # Inside the tag, the text is the pixels far from the tag's colour.
    background = np.median(crop)
    return np.abs(crop.astype(int) - int(background)) > 80


def _similarity(a: np.ndarray[Any, Any], b: np.ndarray[Any, Any]) -> float:
    height, width = max(a.shape[0], b.shape[0]), max(a.shape[1], b.shape[1])
    pa_ = np.zeros((height, width), bool)
    pb = np.zeros((height, width), bool)
    pa_[: a.shape[0], : a.shape[1]] = a
    pb[: b.shape[0], : b.shape[1]] = b
    return float((pa_ & pb).sum() / max(1, (pa_ | pb).sum()))


@pytest.mark.parametrize("label", RTL_LABELS)
def test_right_to_left_labels_without_raqm_match_the_shaped_rendering(label: str) -> None:
    """Hebrew and Persian drawn with Pillow's basic layout after python-bidi and
    arabic-reshaper look like raqm's shaped rendering; drawn unshaped they do not."""
    if not draw._have_raqm():
        pytest.skip("Pillow cannot load raqm here: no shaped rendering to compare with")
    pytest.importorskip("bidi")
    pytest.importorskip("arabic_reshaper")
    shaped = _label_ink(label, "raqm")
    fallback = _label_ink(label, "fallback")
    unshaped = _label_ink(label, "none")
    assert _similarity(shaped, fallback) > 0.85
    assert _similarity(shaped, unshaped) < 0.6


def test_without_raqm_the_fallback_is_used_and_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    """Where Pillow cannot load raqm, overlay() picks the bidi + reshaper path by itself,
    and shaping_path() (what ``gemini-vision info`` prints) says so."""
    pytest.importorskip("bidi")
    pytest.importorskip("arabic_reshaper")
    monkeypatch.setattr(draw, "_have_raqm", lambda: False)
    assert draw.shaping_path() == "python-bidi + arabic-reshaper"
    assert draw.shape_text("پنجره", "fallback") != "پنجره"  # joined and reordered
    result = spatial.parse('[{"box_2d": [500, 0, 1000, 1000], "label": "חתול"}]', (200, 80))
    text, _ = draw.label_boxes(result)[0]
    assert text == "לותח"  # display order: the first letter drawn rightmost
    with pytest.raises(ValueError, match="raqm"):
        result.overlay(shaping="raqm")
