"""Outputs of a result (SPEC S6, S7): full masks, label map, COCO, overlay, files."""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from gemini_vision import spatial
from gemini_vision.spatial.draw import PALETTE, composite_masks
from gemini_vision.spatial.files import NameBook, inside, safe_name
from tests.spatial.test_masks import make_answer, mask_item

mask_utils = pytest.importorskip("pycocotools.mask")


def demo_like(specs: list[dict[str, Any]], size: tuple[int, int]) -> spatial.SpatialResult:
    text, _ = make_answer(specs)
    return spatial.parse(text, size)


def reference_full_masks(result: spatial.SpatialResult) -> np.ndarray:
    """Full frames built the slow way: one zero frame per segment, box region copied in."""
    width, height = result.image_size
    frames = []
    for item in result.segments:
        frame = np.zeros((height, width), dtype=bool)
        x0, y0, x1, y1 = item.box  # type: ignore[misc]
        frame[y0:y1, x0:x1] = item.mask
        frames.append(frame)
    return np.array(frames, dtype=bool).reshape(len(frames), height, width)


sizes = st.tuples(st.integers(1, 120), st.integers(1, 120))


@given(specs=st.lists(mask_item, min_size=0, max_size=4), size=sizes)
def test_full_masks_and_label_map(specs: list[dict[str, Any]], size: tuple[int, int]) -> None:
    """Frames are the box-local masks in place; the label map numbers the last mask on top."""
    result = demo_like(specs, size)
    frames = result.full_masks()
    expected = reference_full_masks(result)
    np.testing.assert_array_equal(frames, expected)
    labels = result.label_map()
    want = np.zeros(frames.shape[1:], dtype=np.int32)
    for number, frame in enumerate(expected, start=1):
        want[frame] = number
    np.testing.assert_array_equal(labels, want)


# pycocotools' Cython code still calls __array__ without ``copy`` (a NumPy 2 warning).
@pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")
@given(specs=st.lists(mask_item, min_size=0, max_size=4), size=sizes)
def test_coco_is_read_back_by_pycocotools(
    specs: list[dict[str, Any]], size: tuple[int, int]
) -> None:
    """pycocotools decodes each RLE to the same full mask, and agrees on the area and bbox."""
    result = demo_like(specs, size)
    coco = json.loads(json.dumps(result.to_coco()))  # survives JSON
    frames = reference_full_masks(result)
    annotations = coco["annotations"]
    assert len(annotations) == len(result.boxes) == len(frames)
    for annotation, item, frame in zip(annotations, result.boxes, frames, strict=True):
        rle = dict(annotation["segmentation"])
        rle["counts"] = rle["counts"].encode("ascii")
        decoded = mask_utils.decode(rle).astype(bool)
        np.testing.assert_array_equal(decoded, frame)
        assert annotation["area"] == int(mask_utils.area(rle)) == int(frame.sum())
        x0, y0, x1, y1 = item.box
        assert annotation["bbox"] == [x0, y0, x1 - x0, y1 - y0]
        assert coco["categories"][annotation["category_id"] - 1]["name"] == item.label


def test_coco_of_boxes_without_masks() -> None:
    """Box-only items: bbox and box area, no segmentation; labels become categories."""
    text = json.dumps(
        [
            {"box_2d": [0, 0, 500, 500], "label": "חתול", "confidence": 0.9},
            {"box_2d": [500, 500, 1000, 1000], "label": "dog"},
            {"box_2d": [0, 500, 500, 1000], "label": "חתול"},
            {"point": [10, 10], "label": "not in COCO"},
        ]
    )
    coco = spatial.parse(text, (10, 20)).to_coco(image_id=7, file_name="a.png")
    assert coco["images"] == [{"id": 7, "width": 10, "height": 20, "file_name": "a.png"}]
    assert coco["categories"] == [{"id": 1, "name": "חתול"}, {"id": 2, "name": "dog"}]
    assert [(a["category_id"], a["bbox"], a["area"]) for a in coco["annotations"]] == [
        (1, [0, 0, 5, 10], 50),
        (2, [5, 10, 5, 10], 50),
        (1, [5, 0, 5, 10], 50),
    ]
    assert coco["annotations"][0]["score"] == 0.9
    assert all("segmentation" not in a for a in coco["annotations"])


def full_frame_alpha_composite(
    result: spatial.SpatialResult, base: Image.Image, alpha: int
) -> Image.Image:
    """The guide's way, without its pixel-by-pixel loop: one full-frame layer per mask."""
    width, height = result.image_size
    out = base
    for position, item in enumerate(result.items):
        if item.mask is None:
            continue
        layer = np.zeros((height, width, 4), dtype=np.uint8)
        x0, y0, x1, y1 = item.box  # type: ignore[misc]
        layer[y0:y1, x0:x1][item.mask] = (*PALETTE[position % len(PALETTE)], alpha)
        out = Image.alpha_composite(out, Image.fromarray(layer, "RGBA"))
    return out


@given(
    specs=st.lists(mask_item, min_size=1, max_size=4),
    size=sizes,
    alpha=st.integers(0, 255),
    seed=st.integers(0, 2**32 - 1),
    opaque=st.booleans(),
)
def test_mask_overlay_equals_pillow_alpha_composite(
    specs: list[dict[str, Any]], size: tuple[int, int], alpha: int, seed: int, opaque: bool
) -> None:
    """The mask layer of the overlay is byte for byte Image.alpha_composite of full frames."""
    result = demo_like(specs, size)
    rng = np.random.default_rng(seed)
    pixels = rng.integers(0, 256, (size[1], size[0], 4), dtype=np.uint8)
    if opaque:
        pixels[..., 3] = 255
    base = Image.fromarray(pixels, "RGBA")
    ours = composite_masks(result, base.copy(), mask_alpha=alpha)
    theirs = full_frame_alpha_composite(result, base, alpha)
    assert ours.tobytes() == theirs.tobytes()
    # The whole overlay with boxes and labels off is the same picture.
    only_masks = result.overlay(base, boxes=False, labels=False, mask_alpha=alpha)
    assert only_masks.mode == "RGBA" and only_masks.tobytes() == theirs.tobytes()


def test_overlay_of_an_rgb_image_is_rgb_and_draws_boxes_and_labels() -> None:
    """An RGB image comes back RGB; outlines and labels change pixels beyond the masks."""
    text = json.dumps([{"box_2d": [100, 100, 800, 800], "label": "кот"}])
    result = spatial.parse(text, (80, 60))
    image = Image.new("RGB", (80, 60), (10, 20, 30))
    out = result.overlay(image)
    assert out.mode == "RGB" and out.size == (80, 60)
    pixels = np.array(out)
    assert tuple(pixels[40, 8]) == PALETTE[0]  # left edge of the box outline
    assert tuple(pixels[30, 40]) == (10, 20, 30)  # inside, untouched (no mask)


def test_overlay_refuses_an_image_of_another_size() -> None:
    """Coordinates were converted for one size; drawing on another would misplace them."""
    result = spatial.parse("[]", (10, 10))
    with pytest.raises(ValueError, match="parse with the image's size"):
        result.overlay(Image.new("RGB", (11, 10)))


def test_unicode_labels_are_drawn_with_real_glyphs() -> None:
    """Hebrew and Cyrillic labels do not come out as missing-glyph boxes (when a font has them)."""
    from gemini_vision.spatial import draw

    font = draw.font_for("חתול кот", 20)
    if not all(draw._has_glyph(font, ch) for ch in "חתולкот"):
        pytest.skip("no installed font covers Hebrew and Cyrillic")
    assert draw._glyph_bytes(font, "ח") != draw._glyph_bytes(font, "к")


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("cat", "cat"),
        ("../../etc/passwd", "etc_passwd"),
        ("..", "item"),
        ("/abs/path", "abs_path"),
        ("C:\\Windows\\system32", "C_Windows_system32"),
        ("CON", "_CON"),
        ("nul", "_nul"),
        ("com1.txt", "_com1_txt"),
        ("LPT9", "_LPT9"),
        ("a\x00b\u202ec", "abc"),
        ("", "item"),
        ("  spaced out  ", "spaced_out"),
        ("חתול שחור", "חתול_שחור"),
        (".hidden", "hidden"),
    ],
)
def test_safe_names(label: str, expected: str) -> None:
    """Separators, traversal, device names, control and bidi characters are neutralised."""
    assert safe_name(label) == expected


@given(st.text(max_size=300))
def test_safe_name_is_always_one_bounded_component(label: str) -> None:
    """Any label: one path component, no dots, at most 60 UTF-8 bytes, never empty."""
    name = safe_name(label)
    assert name and "." not in name and "/" not in name and "\\" not in name
    assert len(name.encode("utf-8")) <= 60
    assert inside(Path("out"), name).parent == Path("out")


def test_name_book_makes_names_unique_ignoring_case() -> None:
    """Same label twice, or differing only in case, gets -2, -3."""
    book = NameBook()
    assert [book.claim(s, ".png") for s in ("a", "A", "a", "b")] == [
        "a.png",
        "A-2.png",
        "a-3.png",
        "b.png",
    ]


def test_save_writes_overlay_masks_and_json_inside_the_folder(tmp_path: Path) -> None:
    """Hostile labels still give files inside the folder, one mask PNG per segment."""
    specs = [
        {
            "box_2d": [0, 0, 500, 500],
            "mode": "L",
            "png_size": (8, 8),
            "seed": 1,
            "smooth": True,
            "prefix": True,
        },
        {
            "box_2d": [500, 500, 1000, 1000],
            "mode": "RGB",
            "png_size": (5, 9),
            "seed": 2,
            "smooth": True,
            "prefix": False,
        },
    ]
    _, items = make_answer(specs)
    items[0]["label"] = "../../evil"
    items[1]["label"] = "CON"
    result = spatial.parse(json.dumps(items), (40, 30))
    out = tmp_path / "out"
    written = result.save(out, Image.new("RGB", (40, 30)))
    names = [p.name for p in written]
    assert names == [
        "overlay.png",
        "evil_0_mask.png",
        "_CON_1_mask.png",
        "coco.json",
        "result.json",
    ]
    assert all(p.parent == out and p.is_file() for p in written)
    assert sorted(p.name for p in out.iterdir()) == sorted(names)
    frames = result.full_masks()
    for path, frame in zip(written[1:3], frames, strict=True):
        np.testing.assert_array_equal(np.array(Image.open(path)) == 255, frame)
    coco = json.loads((out / "coco.json").read_text(encoding="utf-8"))
    assert coco == json.loads(json.dumps(result.to_coco()))
    saved = json.loads((out / "result.json").read_text(encoding="utf-8"))
    assert [i["label"] for i in saved["items"]] == ["../../evil", "CON"]


def test_to_supervision() -> None:
    """Detections with xyxy, full-frame masks and class names (when supervision is installed)."""
    with warnings.catch_warnings():  # supervision warns when OpenCV is missing
        warnings.simplefilter("ignore", UserWarning)
        sv = pytest.importorskip("supervision")
    specs = [
        {
            "box_2d": [0, 0, 500, 500],
            "mode": "L",
            "png_size": (8, 8),
            "seed": 1,
            "smooth": True,
            "prefix": True,
        }
    ]
    result = demo_like(specs, (20, 10))
    detections = result.to_supervision()
    assert isinstance(detections, sv.Detections)
    assert detections.xyxy.tolist() == [[0.0, 0.0, 10.0, 5.0]]
    np.testing.assert_array_equal(detections.mask, result.full_masks())
    assert list(detections.data["class_name"]) == ["object 0"]
