"""Image token estimates (SPEC K1, K3, M8): the seed example, every measurement in
``docs/tokens.md``, the per-model defaults, and both kernels against an exact
reference written here from ``docs/tokens.md``."""

from __future__ import annotations

import math
import subprocess
import sys
from fractions import Fraction
from types import ModuleType
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from gemini_vision import tokens
from gemini_vision.errors import KernelInputError, LocalError

MAX = 2**31
RULE_NAMES = ["documented", "pan_and_scan", "single", "gemini3", "flat258"]
BUDGETS = [66, 258, 280, 560, 1120, 2240]


# -- the reference: docs/tokens.md in exact rational arithmetic ----------------


def _floor_sqrt(x: Fraction) -> int:
    """floor(sqrt(x)) for a rational x >= 0, checked by squaring."""
    r = math.isqrt(x.numerator // x.denominator)
    assert r * r <= x < (r + 1) * (r + 1)
    return r


def reference_tokens(rule: str, w: int, h: int, budget: int) -> int:
    """Tokens for one image, read off the table of docs/tokens.md."""
    if rule in ("single", "flat258"):
        return budget
    if rule == "gemini3":
        f_squared = Fraction(budget * 2304, w * h)  # f = sqrt(B * 2304 / (w * h))
        rows = _floor_sqrt(f_squared * h * h / 48**2)  # floor(f * h / 48)
        cols = _floor_sqrt(f_squared * w * w / 48**2)  # floor(f * w / 48)
        if rows == 0:
            rows, cols = 1, min(math.floor(Fraction(w, h)), budget)
        if cols == 0:
            cols, rows = 1, min(math.floor(Fraction(h, w)), budget)
        return rows * cols
    if w <= 384 and h <= 384:
        return budget
    unit = math.floor(Fraction(min(w, h)) / Fraction(3, 2))
    unit = max(unit, 1)  # the library's documented choice for 1-px sides
    if rule == "pan_and_scan":
        unit = min(max(unit, 256), 768)
    tiles = math.ceil(Fraction(w, unit)) * math.ceil(Fraction(h, unit))
    return (tiles + 1) * budget if rule == "pan_and_scan" else tiles * budget


def kernel_tokens(kernels: ModuleType, rule: str, w: int, h: int, budget: int) -> int:
    out = kernels.image_tokens_batch(
        np.array([w], dtype=np.int64), np.array([h], dtype=np.int64), rule, budget
    )
    assert out.dtype == np.int64
    return int(out[0])


# -- the seed and the measurements ---------------------------------------------


def test_seed_example_960x540_documented_is_six_tiles(kernels: ModuleType) -> None:
    """The seed guide: 960x540 has crop unit 360, 3 x 2 = 6 tiles, 1,548 tokens."""
    assert tokens.image_tokens(960, 540, rule="documented") == 1548
    assert kernel_tokens(kernels, "documented", 960, 540, 258) == 6 * 258
    assert reference_tokens("documented", 960, 540, 258) == 1548


MEASUREMENTS: list[tuple[str, dict[str, Any], int, int, int]] = [
    ("gemini-2.5-flash", {"vertex": True}, 700, 1003, 1806),
    ("gemini-2.5-pro", {"media_resolution": "MEDIA_RESOLUTION_HIGH"}, 2400, 1935, 3354),
    ("gemini-2.5-pro", {}, 768, 1280, 258),
    ("gemini-2.5-pro", {}, 1024, 1024, 258),
    ("gemini-2.5-pro", {}, 3840, 2160, 258),
    ("gemini-1.0-pro", {}, 2048, 1362, 258),
    ("gemini-1.0-pro", {}, 768, 1024, 258),
    ("gemini-3.6-flash", {}, 100, 100, 1089),
    ("gemini-3.6-flash", {}, 256, 256, 1089),
    ("gemini-3.6-flash", {}, 512, 512, 1089),
    ("gemini-3.6-flash", {}, 1024, 1024, 1089),
    ("gemini-3.6-flash", {}, 2048, 2048, 1089),
    ("gemini-3.6-flash", {}, 1568, 728, 1078),
    ("gemini-3.6-flash", {}, 1920, 1080, 1100),
    ("gemini-3.6-flash", {}, 2048, 512, 1056),
]


@pytest.mark.parametrize(("model", "settings", "w", "h", "expected"), MEASUREMENTS)
def test_measurements_hold_under_the_default_rule(
    kernels: ModuleType, model: str, settings: dict[str, Any], w: int, h: int, expected: int
) -> None:
    """Each measured image gets its measured count from the model's default rule."""
    assert tokens.image_tokens(w, h, model=model, **settings) == expected
    assert tokens.image_tokens_batch([w, w], [h, h], model=model, **settings).tolist() == [
        expected,
        expected,
    ]
    resolved = tokens.resolve_rule(model, **settings)
    assert kernel_tokens(kernels, resolved.rule.name, w, h, resolved.budget) == expected
    assert reference_tokens(resolved.rule.name, w, h, resolved.budget) == expected


# -- defaults, names and settings ----------------------------------------------


@pytest.mark.parametrize(
    ("model", "settings", "rule", "budget"),
    [
        ("gemini-1.0-pro", {}, "flat258", 258),
        ("gemini-pro-vision", {}, "flat258", 258),
        ("gemini-1.5-flash-002", {"vertex": True}, "flat258", 258),
        ("gemini-2.0-flash", {}, "single", 258),
        ("gemini-2.0-flash-001", {"vertex": True}, "pan_and_scan", 258),
        ("models/gemini-2.5-pro", {}, "single", 258),
        ("gemini-2.5-flash", {"media_resolution": "high"}, "pan_and_scan", 258),
        ("gemini-2.5-flash", {"media_resolution": "MEDIUM"}, "single", 258),
        ("gemini-2.5-flash", {"media_resolution": "MEDIUM", "vertex": True}, "single", 258),
        ("gemini-2.5-flash", {"media_resolution": "low", "vertex": True}, "single", 66),
        ("gemini-2.5-flash-lite", {"media_resolution": "MEDIA_RESOLUTION_LOW"}, "single", 66),
        ("publishers/google/models/gemini-2.5-pro", {"vertex": True}, "pan_and_scan", 258),
        ("gemini-3-pro-preview", {}, "gemini3", 1120),
        ("gemini-3.6-flash-preview", {"media_resolution": "low"}, "gemini3", 280),
        ("gemini-3.6-flash", {"media_resolution": "MEDIA_RESOLUTION_MEDIUM"}, "gemini3", 560),
        ("gemini-3.6-flash", {"media_resolution": "media_resolution_high"}, "gemini3", 1120),
        ("gemini-3.6-flash", {"media_resolution": "ultra-high"}, "gemini3", 2240),
        ("gemini-3.6-flash", {"media_resolution": "UNSPECIFIED"}, "gemini3", 1120),
        ("gemini-3.6-flash", {"vertex": True}, "gemini3", 1120),
    ],
)
def test_default_rule_per_family(
    model: str, settings: dict[str, Any], rule: str, budget: int
) -> None:
    """The default rule and token number follow the table of docs/tokens.md."""
    resolved = tokens.resolve_rule(model, **settings)
    assert (resolved.rule.name, resolved.budget) == (rule, budget)


def test_explicit_rule_overrides_the_model_and_takes_its_budget() -> None:
    """An explicit rule ignores the model's default but reads mediaResolution."""
    assert tokens.resolve_rule("tunedModels/mine", rule="documented").budget == 258
    assert (
        tokens.resolve_rule("gemini-2.5-pro", rule="gemini3", media_resolution="low").budget == 280
    )
    assert tokens.resolve_rule("gemini-3-pro", rule="single", media_resolution="LOW").budget == 66
    assert tokens.image_tokens(1920, 1080, model="gemini-3.6-flash", rule="flat258") == 258


@pytest.mark.parametrize(
    ("model", "message"),
    [
        ("tunedModels/my-model-abc", "tuned model"),
        ("gemini-flash-latest", "cannot tell the Gemini version"),
        ("gemini-exp-1206", "cannot tell the Gemini version"),
        ("learnlm-2.0-flash", "cannot tell the Gemini version"),
        ("gemini-4-pro", "no measured token rule for Gemini 4.0"),
        ("gemini-0.5-pro", "no measured token rule"),
    ],
)
def test_models_without_a_known_family_need_an_explicit_rule(model: str, message: str) -> None:
    """Unknown families raise LocalError saying so and listing the rule names."""
    with pytest.raises(LocalError, match=message) as info:
        tokens.image_tokens(100, 100, model=model)
    assert "pan_and_scan" in str(info.value)
    assert tokens.image_tokens(100, 100, model=model, rule="single") == 258


def test_ultra_high_is_refused_for_gemini_2() -> None:
    """ULTRA_HIGH is a Gemini 3 setting; the 2.x defaults do not guess."""
    with pytest.raises(LocalError, match="Gemini 3 setting"):
        tokens.image_tokens(100, 100, model="gemini-2.5-pro", media_resolution="ULTRA_HIGH")


@pytest.mark.parametrize("value", ["MEDIA_RESOLUTION_HUGE", "max", 3, b"HIGH"])
def test_unknown_media_resolution_lists_the_allowed_names(value: object) -> None:
    """A bad media_resolution is a LocalError naming the value."""
    with pytest.raises(LocalError, match="media_resolution") as info:
        tokens.image_tokens(100, 100, media_resolution=value)
    assert repr(value) in str(info.value)


def test_unknown_rule_lists_the_rules(kernels: ModuleType) -> None:
    """An unknown rule raises KernelInputError listing every rule, from both layers."""
    with pytest.raises(KernelInputError, match="documented, pan_and_scan, single, gemini3"):
        tokens.image_tokens(100, 100, rule="tiles")
    with pytest.raises(KernelInputError, match="documented, pan_and_scan, single, gemini3"):
        kernels.image_tokens_batch(np.ones(1, np.int64), np.ones(1, np.int64), "tiles", 258)


def test_rule_registry_is_data_matching_the_kernels() -> None:
    """RULES names every kernel rule once, each with a description, source and confidence."""
    assert list(tokens.RULES) == RULE_NAMES
    for name, rule in tokens.RULES.items():
        assert rule.name == name
        assert rule.description and rule.source and rule.confidence


# -- arithmetic edge cases -----------------------------------------------------


def test_documented_unit_is_at_least_one_pixel(kernels: ModuleType) -> None:
    """A 1-px short side gives unit floor(1 / 1.5) = 0, clamped to 1 px."""
    assert tokens.image_tokens(1, 1000, rule="documented") == 1000 * 258
    assert kernel_tokens(kernels, "documented", 1000, 1, 258) == 1000 * 258
    assert kernel_tokens(kernels, "documented", 2, 1000, 258) == 2 * 1000 * 258


def test_gemini3_is_exact_where_literal_float_rounds_down(kernels: ModuleType) -> None:
    """1820x2600 at B = 1120 has B * h / w = 1600 exactly: 40 rows (float64 says 39)."""
    f = math.sqrt(1120 * 2304 / (1820 * 2600))
    assert math.floor(f * 2600 / 48) == 39  # the cliff the integer form avoids
    assert kernel_tokens(kernels, "gemini3", 1820, 2600, 1120) == 40 * 28
    assert tokens.image_tokens(1820, 2600, rule="gemini3") == 40 * 28


@pytest.mark.parametrize(
    ("w", "h", "budget", "expected"),
    [(280, 1, 280, 280), (281, 1, 280, 280), (10_000, 1, 280, 280), (1, MAX, 2240, 2240)],
)
def test_gemini3_extreme_aspect_ratios(
    kernels: ModuleType, w: int, h: int, budget: int, expected: int
) -> None:
    """A zero row (column) count becomes one row (column) of up to B tokens."""
    assert kernel_tokens(kernels, "gemini3", w, h, budget) == expected
    assert reference_tokens("gemini3", w, h, budget) == expected


@pytest.mark.parametrize("rule", RULE_NAMES)
def test_extreme_sizes_do_not_overflow(kernels: ModuleType, rule: str) -> None:
    """Sides of 2**31 with the largest budget give the exact (big) answer."""
    for w, h in [(MAX, MAX), (MAX, 1), (1, MAX), (MAX, 384), (MAX, 385)]:
        for budget in (258, 2**16):
            expected = reference_tokens(rule, w, h, budget)
            assert expected < 2**63
            assert kernel_tokens(kernels, rule, w, h, budget) == expected


# -- properties: both backends and the scalar path against the reference --------

sides = st.one_of(st.integers(1, 400), st.integers(1, 5000), st.integers(1, MAX))
budgets = st.one_of(st.sampled_from(BUDGETS), st.integers(1, 2**16))


@given(
    w=st.lists(sides, min_size=1, max_size=20),
    h=st.lists(sides, min_size=20, max_size=20),
    rule=st.sampled_from(RULE_NAMES),
    budget=budgets,
)
def test_kernels_match_the_exact_reference(
    kernels: ModuleType, w: list[int], h: list[int], rule: str, budget: int
) -> None:
    """Each backend agrees with the rational-arithmetic reference on every size."""
    h = h[: len(w)]
    out = kernels.image_tokens_batch(np.array(w, np.int64), np.array(h, np.int64), rule, budget)
    assert out.tolist() == [reference_tokens(rule, a, b, budget) for a, b in zip(w, h, strict=True)]


@given(
    w=sides,
    h=sides,
    model=st.sampled_from(["gemini-1.5-pro", "gemini-2.5-flash", "gemini-3.6-flash"]),
    resolution=st.sampled_from([None, "low", "medium", "high"]),
    vertex=st.booleans(),
)
def test_scalar_path_matches_the_reference(
    w: int, h: int, model: str, resolution: str | None, vertex: bool
) -> None:
    """``image_tokens`` (pure Python) agrees with the reference under every default."""
    resolved = tokens.resolve_rule(model, media_resolution=resolution, vertex=vertex)
    got = tokens.image_tokens(w, h, model=model, media_resolution=resolution, vertex=vertex)
    assert got == reference_tokens(resolved.rule.name, w, h, resolved.budget)


@pytest.mark.parametrize("rule", RULE_NAMES)
def test_rust_equals_numpy_on_large_random_batches(
    rust_kernels: ModuleType, numpy_kernels: ModuleType, rule: str
) -> None:
    """300,000 sizes from small to 2**31 give identical arrays from both backends."""
    rng = np.random.default_rng(sum(map(ord, rule)))
    n = 100_000
    w = np.concatenate(
        [rng.integers(1, 500, n), rng.integers(1, 8000, n), rng.integers(1, MAX + 1, n)]
    )
    h = rng.permutation(w)
    for budget in (66, 258, 1120, 2**16):
        ours = rust_kernels.image_tokens_batch(w, h, rule, budget)
        twin = numpy_kernels.image_tokens_batch(w, h, rule, budget)
        np.testing.assert_array_equal(ours, twin)


# -- input validation ----------------------------------------------------------


@pytest.mark.parametrize(
    ("width", "message"),
    [
        (0, "got 0"),
        (-5, "got -5"),
        (MAX + 1, f"got {MAX + 1}"),
        (True, "got a bool"),
        (100.0, "got float 100.0"),
        ("100", "got str '100'"),
        (None, "got NoneType None"),
    ],
)
def test_bad_sizes_name_the_value(width: object, message: str) -> None:
    """Non-positive, too large, bool and non-integer sizes raise KernelInputError."""
    with pytest.raises(KernelInputError, match=f"width .*{message}"):
        tokens.image_tokens(width, 100)  # type: ignore[arg-type]
    with pytest.raises(KernelInputError, match="height"):
        tokens.image_tokens(100, width)  # type: ignore[arg-type]


def test_numpy_integer_scalars_are_sizes() -> None:
    """NumPy integers count as integers; NumPy bools do not."""
    assert tokens.image_tokens(np.int64(960), np.uint16(540), rule="documented") == 1548
    with pytest.raises(KernelInputError):
        tokens.image_tokens(np.bool_(True), 10)


@pytest.mark.parametrize(
    ("widths", "heights", "message"),
    [
        ([1, 0, 3], [1, 1, 1], r"widths\[1\] must be .* got 0"),
        ([1, 2], [1, MAX + 1], rf"heights\[1\] must be .* got {MAX + 1}"),
        (np.array([[1, 2], [3, -1]]), np.ones((2, 2), int), r"widths\[1, 1\]"),
        ([1.0, 2.0], [1, 2], "dtype float64"),
        ([True], [1], "dtype bool"),
        (["1"], [1], "dtype <U1"),
        ([2**70], [1], "widths"),
        ([1, 2], [1, 2, 3], "same shape"),
        (np.array([2**32], np.uint64), [1], f"got {2**32}"),
    ],
)
def test_bad_batches_name_the_index_and_value(widths: Any, heights: Any, message: str) -> None:
    """The batch facade refuses bad arrays with the index and value that broke the rule."""
    with pytest.raises(KernelInputError, match=message):
        tokens.image_tokens_batch(widths, heights)


def test_batch_keeps_the_shape_and_accepts_empty_input() -> None:
    """N-D inputs give N-D int64 outputs; empty inputs give empty outputs."""
    w = np.array([[960, 100], [1920, 700]], np.int32)
    out = tokens.image_tokens_batch(w, w.T.copy(), rule="documented")
    assert out.shape == (2, 2) and out.dtype == np.int64
    assert out.tolist() == [
        [
            tokens.image_tokens(int(a), int(b), rule="documented")
            for a, b in zip(ra, rb, strict=True)
        ]
        for ra, rb in zip(w, w.T, strict=True)
    ]
    assert tokens.image_tokens_batch([], []).shape == (0,)


@pytest.mark.parametrize(
    ("widths", "heights", "rule", "budget"),
    [
        ([1, 0], [1, 1], "documented", 258),
        ([1, 1], [1, -3], "gemini3", 1120),
        ([MAX + 1], [1], "single", 258),
        ([1], [1], "tiles", 258),
        ([1], [1], "gemini3", 0),
        ([1], [1], "gemini3", 2**16 + 1),
        ([1, 2], [1], "single", 258),
    ],
)
def test_kernels_raise_the_same_class(
    rust_kernels: ModuleType,
    numpy_kernels: ModuleType,
    widths: list[int],
    heights: list[int],
    rule: str,
    budget: int,
) -> None:
    """Out-of-domain kernel calls raise KernelInputError from both backends."""
    w, h = np.array(widths, np.int64), np.array(heights, np.int64)
    for backend in (rust_kernels, numpy_kernels):
        with pytest.raises(KernelInputError):
            backend.image_tokens_batch(w, h, rule, budget)


def test_scalar_estimate_does_not_import_numpy() -> None:
    """``image_tokens`` for one image leaves NumPy unimported (import time stays low)."""
    code = (
        "import sys, gemini_vision\n"
        "assert gemini_vision.tokens.image_tokens(1920, 1080) == 258\n"
        "assert 'numpy' not in sys.modules, 'numpy was imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
