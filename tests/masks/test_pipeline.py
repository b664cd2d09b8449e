"""The fused mask pipeline (SPEC M7, S5): base64 -> PNG -> grey -> Pillow-exact
resize -> threshold, equal to the guide's procedure run with Pillow; per-item
failures; both backends equal."""

from __future__ import annotations

import base64
import io
from types import ModuleType

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from PIL import Image

from gemini_vision import masks
from gemini_vision.errors import MaskDecodeError, PixelLimitError
from tests.strategies import reference_full

ORDER = masks.installed_pillow_order()
MODES = ["L", "RGB", "RGBA", "LA", "P", "1", "I;16"]


def png_base64(array: np.ndarray, mode: str) -> str:
    """``array`` (uint8 grey) saved by Pillow as a PNG of ``mode``, base64 encoded."""
    image = Image.fromarray(array, "L")
    if mode == "I;16":
        image = Image.fromarray(array.astype(np.uint16) * 257)
    elif mode != "L":
        image = image.convert(mode)
    buf = io.BytesIO()
    image.save(buf, "PNG")
    return base64.b64encode(buf.getvalue()).decode()


def guide_procedure(
    text: str, box: tuple[int, int, int, int], threshold: int
) -> tuple[np.ndarray, np.ndarray]:
    """The guide's steps with Pillow, its bugs fixed: (resized probabilities, mask)."""
    png = base64.b64decode(text.removeprefix("data:image/png;base64,"))
    image = Image.open(io.BytesIO(png)).convert("L")
    x0, y0, x1, y1 = box
    if x1 == x0 or y1 == y0:
        empty = np.zeros((y1 - y0, x1 - x0), np.uint8)
        return empty, empty > threshold
    resized = np.asarray(image.resize((x1 - x0, y1 - y0), Image.Resampling.BILINEAR))
    return resized, resized > threshold


@st.composite
def mask_items(draw: st.DrawFn) -> tuple[str, tuple[int, int, int, int], int]:
    h, w = draw(st.integers(1, 24)), draw(st.integers(1, 24))
    grey = draw(hnp.arrays(np.uint8, (h, w)))
    text = png_base64(grey, draw(st.sampled_from(MODES)))
    if draw(st.booleans()):
        text = "data:image/png;base64," + text
    if draw(st.booleans()):
        text = "\n".join(text[i : i + 76] for i in range(0, len(text), 76))
    x0, y0 = draw(st.integers(-5, 30)), draw(st.integers(-5, 30))
    box = (x0, y0, x0 + draw(st.integers(0, 40)), y0 + draw(st.integers(0, 40)))
    threshold = draw(st.sampled_from([127, 128, 0, 254]) | st.integers(-2, 257))
    return text, box, threshold


def _call(kernels: ModuleType, items: list, rle_shape=None, probabilities=True, threads=1):  # type: ignore[no-untyped-def]
    n = len(items)
    return kernels.decode_masks(
        [t.encode() for t, _, _ in items],
        np.array([b for _, b, _ in items], np.int64).reshape(n, 4),
        np.array([t for _, _, t in items], np.int32),
        np.full(n, ORDER, np.int64),
        4096 * 4096,
        probabilities,
        rle_shape,
        threads,
    )


@pytest.mark.pillow_compat
@given(items=st.lists(mask_items(), min_size=1, max_size=4), threads=st.sampled_from([1, 0, 3]))
def test_equals_the_guide_procedure_with_pillow(
    kernels: ModuleType, items: list, threads: int
) -> None:
    """Masks and probability maps equal Pillow's decode/convert/resize and ``> t``, any PNG mode."""
    out = _call(kernels, items, rle_shape=(30, 35), threads=threads)
    for (text, box, t), (error, message, mask, probs, counts) in zip(items, out, strict=True):
        assert error is None, message
        expected_probs, expected_mask = guide_procedure(text, box, t)
        np.testing.assert_array_equal(probs, expected_probs)
        np.testing.assert_array_equal(mask, expected_mask)
        full = reference_full(expected_mask, box[0], box[1], (30, 35))
        np.testing.assert_array_equal(kernels.rle_decode(counts, 30, 35), full)


@given(items=st.lists(mask_items(), min_size=1, max_size=3))
def test_fused_threshold_equals_probabilities_then_threshold(
    kernels: ModuleType, items: list
) -> None:
    """Without probabilities (the fused path) the masks are the same."""
    with_probs = _call(kernels, items, probabilities=True)
    fused = _call(kernels, items, probabilities=False)
    for a, b in zip(with_probs, fused, strict=True):
        np.testing.assert_array_equal(a[2], b[2])
        assert b[3] is None and b[4] is None


def test_failures_stay_with_their_item(kernels: ModuleType) -> None:
    """Bad base64, a corrupt PNG and a PNG over the pixel limit fail alone, with their class."""
    good = png_base64(np.full((4, 4), 200, np.uint8), "L")
    corrupt = base64.b64encode(base64.b64decode(good)[:20]).decode()  # inside IHDR
    items = [
        (good, (0, 0, 3, 3), 127),
        ("not base64!", (0, 0, 3, 3), 127),
        (corrupt, (0, 0, 3, 3), 127),
        ("", (0, 0, 3, 3), 127),
        (good, (1, 1, 2, 2), 127),
    ]
    n = len(items)
    out = kernels.decode_masks(
        [t.encode() for t, _, _ in items],
        np.array([b for _, b, _ in items], np.int64),
        np.full(n, 127, np.int32),
        np.full(n, ORDER, np.int64),
        15,
        False,
        None,
        0,
    )
    assert [o[0] for o in out] == [
        "PixelLimitError",
        "MaskDecodeError",
        "MaskDecodeError",
        "MaskDecodeError",
        "PixelLimitError",
    ]
    assert "base64" in out[1][1]
    ok = kernels.decode_masks(
        [good.encode()],
        np.array([[0, 0, 2, 2]], np.int64),
        np.array([127], np.int32),
        np.array([ORDER], np.int64),
        16,
        False,
        None,
        1,
    )
    assert ok[0][0] is None and ok[0][2].all()


def test_facade_results_and_failures() -> None:
    """``masks.decode_masks`` gives MaskResult/MaskFailure in order, with RLEs and probabilities."""
    good = png_base64(np.array([[0, 255], [255, 0]], np.uint8), "L")
    out = masks.decode_masks(
        [(good, (1, 1, 3, 3)), masks.MaskItem("@@", (0, 0, 1, 1)), (good, (0, 0, 4, 2), 0, 12)],
        want_probabilities=True,
        rle_shape=(4, 5),
        threads=2,
    )
    first, failure, third = out
    assert isinstance(first, masks.MaskResult) and first.ok
    assert first.mask.tolist() == [[False, True], [True, False]]
    assert first.probabilities is not None and first.probabilities.tolist() == [[0, 255], [255, 0]]
    assert first.rle is not None and first.rle.area == 2
    assert isinstance(failure, masks.MaskFailure) and not failure.ok
    assert failure.error == "MaskDecodeError" and failure.box == (0, 0, 1, 1)
    assert isinstance(failure.exception(), MaskDecodeError)
    assert third.ok and third.mask.shape == (2, 4)
    limited = masks.decode_masks([(good, (0, 0, 1, 1))], max_pixels=3)
    assert isinstance(limited[0].exception(), PixelLimitError)  # type: ignore[union-attr]


def test_empty_box_keeps_the_item_with_an_empty_mask() -> None:
    """A zero-width or zero-height box gives an empty mask (the PNG is still checked)."""
    good = png_base64(np.full((3, 3), 255, np.uint8), "L")
    (r,) = masks.decode_masks([(good, (5, 5, 5, 9))], rle_shape=(10, 10), want_probabilities=True)
    assert r.ok and r.mask.shape == (4, 0) and r.rle.area == 0  # type: ignore[union-attr]
    (bad,) = masks.decode_masks([("AAAA", (5, 5, 5, 9))])
    assert bad.error == "MaskDecodeError"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"items": [("AAAA", (0, 0, 1))]}, "box must be"),
        ({"items": [("AAAA", (2, 0, 1, 1))]}, "x0 <= x1"),
        ({"items": [("AAAA", (0, 3, 1, 1))]}, "y0 <= y1"),
        ({"items": [("AAAA", (0, 0, True, 1))]}, "got a bool"),
        ({"items": [("AAAA", (0, 0, 1.0, 1))]}, "must be an integer"),
        ({"items": [("AAAA", (0, 0, 2**31 + 1, 1))]}, "box size width"),
        ({"items": [("AAAA", (0, 0, 2**20, 2**13))]}, "more than 4294967296 pixels"),
        ({"items": [("AAAA", (0, 0, 1, 1), True)]}, "threshold must be an integer"),
        ({"items": [("AAAA", (0, 0, 1, 1), 127, 11)]}, r"items\[0\] pillow must be 12 or 13"),
        ({"items": [(42, (0, 0, 1, 1))]}, "data must be str or bytes"),
        ({"items": ["AAAA"]}, "MaskItem"),
        ({"pillow": 11}, "12 or 13"),
        ({"threads": 0}, "threads must be in 1"),
        ({"max_pixels": 0}, "max_pixels"),
        ({"rle_shape": (1, -1)}, "rle_shape width"),
    ],
)
def test_bad_arguments_raise(kwargs: dict[str, object], message: str) -> None:
    """Malformed arguments (not model data) raise KernelInputError naming them."""
    from gemini_vision.errors import KernelInputError

    args: dict[str, object] = {"items": [("AAAA", (0, 0, 1, 1))]}
    args.update(kwargs)
    with pytest.raises(KernelInputError, match=message):
        masks.decode_masks(**args)  # type: ignore[arg-type]


base64_texts = st.one_of(
    st.binary(max_size=30).map(base64.b64encode),
    st.binary(max_size=30).map(lambda b: base64.b64encode(b).rstrip(b"=")),
    st.text(alphabet="AZaz09+/= \n\r\t-_!é\x0b", max_size=20).map(lambda s: s.encode()),
    st.binary(max_size=12),
)


@given(text=base64_texts)
def test_base64_rules_equal_in_both_backends(
    rust_kernels: ModuleType, numpy_kernels: ModuleType, text: bytes
) -> None:
    """Both decoders accept the same texts, give the same bytes as Python's, refuse the same."""
    results = []
    for k in (rust_kernels, numpy_kernels):
        try:
            results.append(("ok", k.decode_base64(text)))
        except MaskDecodeError:
            results.append(("error", b""))
    assert results[0] == results[1]
    if results[0][0] == "ok":
        clean = text.translate(None, b" \t\n\x0c\r").rstrip(b"=")
        assert results[0][1] == base64.b64decode(clean + b"=" * (-len(clean) % 4))


@given(
    items=st.lists(
        st.one_of(
            mask_items(),
            st.tuples(
                st.binary(max_size=60).map(lambda b: base64.b64encode(b).decode()),
                st.just((0, 0, 3, 3)),
                st.just(127),
            ),
        ),
        min_size=1,
        max_size=4,
    ),
    limit=st.sampled_from([4096 * 4096, 100]),
)
def test_backends_agree(
    rust_kernels: ModuleType, numpy_kernels: ModuleType, items: list, limit: int
) -> None:
    """Same masks, maps, counts, and the same failure classes, item by item."""
    args = (
        [t.encode() for t, _, _ in items],
        np.array([b for _, b, _ in items], np.int64).reshape(len(items), 4),
        np.array([t for _, _, t in items], np.int32),
        np.full(len(items), ORDER, np.int64),
        limit,
        True,
        (20, 20),
    )
    a = rust_kernels.decode_masks(*args, 0)
    b = numpy_kernels.decode_masks(*args, 2)
    for x, y in zip(a, b, strict=True):
        assert x[0] == y[0], (x[1], y[1])
        for u, v in zip(x[2:], y[2:], strict=True):
            if u is None:
                assert v is None
            else:
                np.testing.assert_array_equal(u, v)
