"""Overlay (SPEC M5): byte for byte equal to Pillow's ``Image.alpha_composite``
of full-frame layers, for RGB and RGBA images, both backends."""

from __future__ import annotations

from collections.abc import Sequence
from types import ModuleType

import numpy as np
import pytest
from hypothesis import given
from PIL import Image

from gemini_vision import masks
from gemini_vision.errors import KernelInputError
from tests.strategies import overlay_cases, reference_full

Case = tuple[np.ndarray, list[np.ndarray], list[tuple[int, int]], np.ndarray]


def pillow_overlay(
    image: np.ndarray,
    case_masks: list[np.ndarray],
    offsets: list[tuple[int, int]],
    colours: Sequence[Sequence[int]],
) -> np.ndarray:
    """The guide's procedure: one full-frame RGBA layer per mask, composited in order by Pillow."""
    h, w, channels = image.shape
    base = Image.fromarray(image, "RGBA" if channels == 4 else "RGB").convert("RGBA")
    for m, (x0, y0), rgba in zip(case_masks, offsets, colours, strict=True):
        layer = np.zeros((h, w, 4), dtype=np.uint8)
        layer[reference_full(m, x0, y0, (h, w))] = rgba
        base = Image.alpha_composite(base, Image.fromarray(layer, "RGBA"))
    out = np.asarray(base if channels == 4 else base.convert("RGB"))
    return out.reshape(h, w, channels)


@pytest.mark.pillow_compat
@given(case=overlay_cases())
def test_equals_pillow_alpha_composite(kernels: ModuleType, case: Case) -> None:
    """Every byte equals Pillow's alpha_composite of the same layers (RGB via RGBA and back)."""
    image, ms, offsets, colours = case
    if 0 in image.shape[:2]:
        return  # Pillow cannot make an empty image; covered by test_empty_frames
    expected = pillow_overlay(image, ms, offsets, colours)
    out = image.copy()
    offs = np.array(offsets, dtype=np.int64).reshape(len(ms), 2)
    kernels.overlay(out, ms, offs, colours)
    np.testing.assert_array_equal(out, expected)


@pytest.mark.pillow_compat
def test_rgb_opaque_every_colour_and_destination() -> None:
    """All 256 destination bytes under several colours and alphas, through the facade."""
    image = np.arange(256, dtype=np.uint8).reshape(16, 16, 1).repeat(3, axis=2)
    image[..., 1] = 255 - image[..., 1]
    full = np.ones((16, 16), bool)
    for colour, alpha in [
        ((255, 0, 0), 128),
        ((1, 2, 3), 1),
        ((200, 100, 50), 254),
        ((9, 9, 9), 255),
    ]:
        expected = pillow_overlay(image, [full], [(0, 0)], [(*colour, alpha)])
        np.testing.assert_array_equal(
            masks.overlay(image, [full], [(0, 0)], colour, alpha), expected
        )


def test_only_mask_pixels_change_and_input_is_kept() -> None:
    """Pixels off the mask keep their bytes; the input changes only when it is ``out``."""
    image = np.full((4, 4, 3), 90, np.uint8)
    m = np.array([[True, False], [False, True]])
    out = masks.overlay(image, [m], [(1, 1)], (0, 255, 0), 100)
    changed = np.argwhere((out != image).any(axis=2)).tolist()
    assert changed == [[1, 1], [2, 2]]
    assert (image == 90).all()
    same = masks.overlay(image, [m], [(1, 1)], (0, 255, 0), 100, out=image)
    assert same is image
    np.testing.assert_array_equal(image, out)


def test_per_mask_colours_and_alphas() -> None:
    """One colour and alpha per mask are applied to their own mask, later ones on top."""
    image = np.zeros((1, 3, 4), np.uint8)
    image[..., 3] = 255
    one = np.ones((1, 2), bool)
    out = masks.overlay(image, [one, one], [(0, 0), (1, 0)], [(255, 0, 0), (0, 0, 255)], [255, 128])
    expected = pillow_overlay(
        image, [one, one], [(0, 0), (1, 0)], [(255, 0, 0, 255), (0, 0, 255, 128)]
    )
    np.testing.assert_array_equal(out, expected)


def test_no_masks_is_a_copy() -> None:
    """No masks (and an empty colour list) return the image unchanged."""
    image = np.arange(12, dtype=np.uint8).reshape(2, 2, 3)
    for colours in ([], (1, 2, 3)):
        np.testing.assert_array_equal(masks.overlay(image, [], [], colours, 100), image)


def test_empty_frames(kernels: ModuleType) -> None:
    """A zero-sized image and masks that miss the frame leave everything as it was."""
    image = np.zeros((0, 5, 4), np.uint8)
    kernels.overlay(
        image, [np.ones((2, 2), bool)], np.array([[0, 0]], np.int64), np.full((1, 4), 255, np.uint8)
    )
    assert image.shape == (0, 5, 4)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"image": np.zeros((2, 2), np.uint8)}, "RGB"),
        ({"image": np.zeros((2, 2, 3), np.float32)}, "uint8"),
        ({"colors": [(1, 2)]}, "RGB triple"),
        ({"colors": [(1, 2, 300)]}, "0..255"),
        ({"alpha": 256}, "alpha must be in 0..255"),
        ({"alpha": [1, 2]}, "2 values for 1 masks"),
        ({"offsets": [(0, 0), (1, 1)]}, "2 entries for 1 masks"),
        ({"out": np.zeros((2, 2, 4), np.uint8)}, "out must be"),
    ],
)
def test_bad_arguments_name_the_problem(kwargs: dict[str, object], message: str) -> None:
    """Wrong images, colours, alphas and outputs raise KernelInputError saying which."""
    args: dict[str, object] = {
        "image": np.zeros((2, 2, 3), np.uint8),
        "masks": [np.ones((1, 1), bool)],
        "offsets": [(0, 0)],
        "colors": (1, 2, 3),
        "alpha": 10,
    }
    args.update(kwargs)
    with pytest.raises(KernelInputError, match=message):
        masks.overlay(**args)  # type: ignore[arg-type]


@given(case=overlay_cases())
def test_backends_agree(rust_kernels: ModuleType, numpy_kernels: ModuleType, case: Case) -> None:
    """The Rust and NumPy kernels write identical bytes."""
    image, ms, offsets, colours = case
    offs = np.array(offsets, dtype=np.int64).reshape(len(ms), 2)
    a, b = image.copy(), image.copy()
    rust_kernels.overlay(a, ms, offs, colours)
    numpy_kernels.overlay(b, ms, offs, colours)
    np.testing.assert_array_equal(a, b)
