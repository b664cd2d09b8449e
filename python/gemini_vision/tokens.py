"""Image token estimates (SPEC K1, K3, M8): what one image costs, by named rule.

The seed guide documents one rule; public measurements show the service doing
something more specific that depends on the model family, the backend (Gemini
API or Vertex AI) and ``mediaResolution``. Each rule is shipped under a name
with its source and confidence (``RULES``), the caller may pick one, and the
default follows the model:

========================  ==================================================
model family              default rule
========================  ==================================================
Gemini 1.0, 1.5           ``flat258``
Gemini 2.0, 2.5           Gemini API: ``single`` (66 at LOW); Vertex AI:
                          ``pan_and_scan``; MEDIA_RESOLUTION_HIGH:
                          ``pan_and_scan``; MEDIUM: ``single``; LOW: 66
Gemini 3.x                ``gemini3``, budget LOW 280, MEDIUM 560, HIGH and
                          unset 1120, ULTRA_HIGH 2240
anything else             an error: pass ``rule=`` explicitly
========================  ==================================================

Model names are read from their last path segment (``models/gemini-2.5-pro``,
``publishers/google/models/gemini-2.0-flash-001``); ``tunedModels/...`` and
moving aliases such as ``gemini-flash-latest`` do not say their base model, so
they need an explicit ``rule=``. ULTRA_HIGH exists for Gemini 3 only and is
refused for the 2.x defaults rather than guessed.

``image_tokens`` computes one image in plain Python (the same integer
arithmetic as the kernels, see ``rust/tokens.rs``); ``image_tokens_batch``
validates arrays once and runs the Rust or NumPy kernel.

>>> image_tokens(960, 540, rule="documented")
1548
>>> image_tokens(1920, 1080, model="gemini-3.6-flash")
1100
"""

from __future__ import annotations

import enum
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from gemini_vision.errors import KernelInputError, LocalError, as_int

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

__all__ = [
    "GEMINI3_BUDGETS",
    "MAX_SIDE",
    "MEDIA_RESOLUTIONS",
    "RULES",
    "ResolvedRule",
    "TokenRule",
    "image_tokens",
    "image_tokens_batch",
    "model_version",
    "resolve_rule",
]

MAX_SIDE = 1 << 31
"""The largest accepted image side in pixels (sizes are checked to lie in 1..MAX_SIDE)."""
TOKENS_PER_TILE = 258
SINGLE_LOW_TOKENS = 66
MEDIA_RESOLUTIONS = ("LOW", "MEDIUM", "HIGH", "ULTRA_HIGH")
GEMINI3_BUDGETS: Mapping[str, int] = MappingProxyType(
    {"LOW": 280, "MEDIUM": 560, "HIGH": 1120, "ULTRA_HIGH": 2240}
)
_SMALL_SIDE = 384


@dataclass(frozen=True, slots=True)
class TokenRule:
    """One named token rule and the evidence behind it."""

    name: str
    description: str
    source: str
    confidence: str


RULES: Mapping[str, TokenRule] = MappingProxyType(
    {
        rule.name: rule
        for rule in (
            TokenRule(
                "documented",
                "both sides <= 384 px: 258; otherwise crop unit u = floor(min(w, h) / 1.5) "
                "(at least 1 px), ceil(w / u) * ceil(h / u) tiles of 258 tokens",
                "the seed guide (Gemini 1.5, 2.0, 2.5)",
                "exact statement of the doc; does not match measured billing",
            ),
            TokenRule(
                "pan_and_scan",
                "both sides <= 384 px: 258; otherwise u = clamp(floor(min(w, h) / 1.5), 256, 768), "
                "258 * (ceil(w / u) * ceil(h / u) + 1) (one extra global view)",
                "measurements: Vertex AI default for 2.x; Gemini API with MEDIA_RESOLUTION_HIGH",
                "medium (three points)",
            ),
            TokenRule(
                "single",
                "258 per image whatever its size; 66 at MEDIA_RESOLUTION_LOW",
                "measurements: Gemini API default for 2.5 since late 2025; MEDIUM",
                "medium-high",
            ),
            TokenRule(
                "gemini3",
                "budget B (LOW 280, MEDIUM 560, HIGH/unset 1120, ULTRA_HIGH 2240); "
                "rows = floor(sqrt(B * h / w)), cols = floor(sqrt(B * w / h)) "
                "(one row of min(w // h, B) or one column when either is 0); rows * cols",
                "measurements (Gemini 3.x)",
                "high at B = 1120, medium at other budgets",
            ),
            TokenRule(
                "flat258",
                "258 per image",
                "Gemini 1.0 / 1.5 measurements (countTokens)",
                "high for 1.0, medium for 1.5",
            ),
        )
    }
)

_VERSION = re.compile(r"gemini-(\d+)(?:\.(\d+))?(?=[-@]|$)")
# Gemini 1.0 names that carry no version number.
_UNVERSIONED_1_0 = frozenset(
    {"gemini-pro", "gemini-pro-vision", "gemini-ultra", "gemini-ultra-vision"}
)


@dataclass(frozen=True, slots=True)
class ResolvedRule:
    """The rule that applies and its token number (the kernels' ``budget``).

    ``budget`` is tokens per tile (``documented``, ``pan_and_scan``), tokens per
    image (``single``, ``flat258``), or the Gemini 3 budget ``B``.
    """

    rule: TokenRule
    budget: int


def model_version(model: str) -> tuple[int, int]:
    """The ``(major, minor)`` Gemini version a model name says, or ``LocalError``.

    >>> model_version("models/gemini-2.5-pro")
    (2, 5)
    >>> model_version("gemini-3-pro-preview")
    (3, 0)
    """
    if not isinstance(model, str):
        raise LocalError(f"model must be a model name string, got {type(model).__name__}")
    name = model.strip().lower()
    if name.startswith("tunedmodels/"):
        raise LocalError(
            f"cannot tell the base model of tuned model {model!r}; pass rule= explicitly "
            f"(one of {', '.join(RULES)})"
        )
    last = name.rsplit("/", 1)[-1]
    if last in _UNVERSIONED_1_0:
        return (1, 0)
    found = _VERSION.match(last)
    if found is None:
        raise LocalError(
            f"cannot tell the Gemini version of model {model!r} (expected a name like "
            f"'gemini-2.5-flash'); pass rule= explicitly (one of {', '.join(RULES)})"
        )
    return int(found.group(1)), int(found.group(2) or 0)


def _media_resolution(value: object) -> str | None:
    """``"HIGH"`` for ``"MEDIA_RESOLUTION_HIGH"``, ``"high"``, ...; None when unset."""
    if value is None:
        return None
    if isinstance(value, enum.Enum):  # e.g. the SDK's MediaResolution enum
        value = value.value
    if not isinstance(value, str):
        raise LocalError(
            f"media_resolution must be a string such as 'MEDIA_RESOLUTION_HIGH' or 'high', "
            f"got {type(value).__name__} {value!r}"
        )
    key = value.strip().upper().replace("-", "_").removeprefix("MEDIA_RESOLUTION_")
    if key in ("", "UNSPECIFIED"):
        return None
    if key not in MEDIA_RESOLUTIONS:
        allowed = ", ".join(f"MEDIA_RESOLUTION_{r}" for r in MEDIA_RESOLUTIONS)
        raise LocalError(
            f"unknown media_resolution {value!r}; use one of {allowed} "
            f"(or the short forms {', '.join(r.lower() for r in MEDIA_RESOLUTIONS)}), or None"
        )
    return key


def _default_rule(model: str, resolution: str | None, vertex: bool) -> str:
    major, minor = model_version(model)
    if major == 1:
        return "flat258"
    if major == 2:
        if resolution == "ULTRA_HIGH":
            raise LocalError(
                f"MEDIA_RESOLUTION_ULTRA_HIGH is a Gemini 3 setting; {model!r} is Gemini "
                f"{major}.{minor}: use LOW, MEDIUM or HIGH, or pass rule= explicitly"
            )
        if resolution == "HIGH" or (resolution is None and vertex):
            return "pan_and_scan"
        return "single"
    if major == 3:
        return "gemini3"
    raise LocalError(
        f"no measured token rule for Gemini {major}.{minor} ({model!r}); "
        f"pass rule= explicitly (one of {', '.join(RULES)})"
    )


def resolve_rule(
    model: str = "gemini-2.5-flash",
    *,
    rule: str | None = None,
    media_resolution: object = None,
    vertex: bool = False,
) -> ResolvedRule:
    """The rule and token number for these settings (see the module table).

    Raises:
        KernelInputError: ``rule`` is not a name in ``RULES``.
        LocalError: unknown ``media_resolution``, or no default for ``model``.

    >>> resolve_rule("gemini-2.5-pro", media_resolution="low")  # doctest: +ELLIPSIS
    ResolvedRule(rule=TokenRule(name='single', ...), budget=66)
    """
    resolution = _media_resolution(media_resolution)
    if rule is None:
        name = _default_rule(model, resolution, vertex)
    elif isinstance(rule, str) and rule in RULES:
        name = rule
    else:
        raise KernelInputError(f"unknown token rule {rule!r}; the rules are {', '.join(RULES)}")
    if name == "gemini3":
        budget = GEMINI3_BUDGETS[resolution or "HIGH"]
    elif name == "single" and resolution == "LOW":
        budget = SINGLE_LOW_TOKENS
    else:
        budget = TOKENS_PER_TILE
    return ResolvedRule(RULES[name], budget)


def _side(name: str, value: object) -> int:
    side = as_int(name, value, what="an integer number of pixels", error=KernelInputError)
    if not 1 <= side <= MAX_SIDE:
        raise KernelInputError(f"{name} must be an image size in 1..={MAX_SIDE} pixels, got {side}")
    return side


def _tokens_one(rule: str, w: int, h: int, budget: int) -> int:
    """One image: the integer arithmetic of ``rust/tokens.rs``, step for step."""
    if rule in ("single", "flat258"):
        return budget
    if rule == "gemini3":
        rows, cols = math.isqrt(budget * h // w), math.isqrt(budget * w // h)
        if rows == 0:
            rows, cols = 1, min(w // h, budget)
        if cols == 0:
            rows, cols = min(h // w, budget), 1
        return rows * cols
    if w <= _SMALL_SIDE and h <= _SMALL_SIDE:
        return budget
    # floor(min / 1.5), at least one pixel (a 1-px side would give 0; see tokens.rs).
    unit = max(2 * min(w, h) // 3, 1)
    if rule == "pan_and_scan":
        unit = min(max(unit, 256), 768)
        return (-(-w // unit) * -(-h // unit) + 1) * budget
    return -(-w // unit) * -(-h // unit) * budget


def image_tokens(
    width: int,
    height: int,
    *,
    model: str = "gemini-2.5-flash",
    rule: str | None = None,
    media_resolution: object = None,
    vertex: bool = False,
) -> int:
    """Tokens billed for one ``width`` x ``height`` image.

    Args:
        width, height: pixels, integers in 1..2**31.
        model: a Gemini model name; picks the default rule (module table).
        rule: a name from ``RULES`` to use instead of the model's default.
        media_resolution: ``"MEDIA_RESOLUTION_HIGH"``, ``"high"``, ... or None.
        vertex: True for Vertex AI, whose 2.x default is ``pan_and_scan``.

    Raises:
        KernelInputError: a size that is not a positive integer up to 2**31
            (bools and floats included), or an unknown ``rule``.
        LocalError: an unknown ``media_resolution``, or a model with no default.

    >>> image_tokens(700, 1003, model="gemini-2.5-flash", vertex=True)
    1806
    >>> image_tokens(700, 1003, model="gemini-2.5-flash")
    258
    """
    w, h = _side("width", width), _side("height", height)
    resolved = resolve_rule(model, rule=rule, media_resolution=media_resolution, vertex=vertex)
    return _tokens_one(resolved.rule.name, w, h, resolved.budget)


def _sides_array(name: str, values: Any) -> npt.NDArray[np.int64]:
    import numpy as np

    try:
        arr = np.asarray(values)
    except (OverflowError, ValueError, TypeError) as exc:
        raise KernelInputError(f"{name} must be an array of integer sizes ({exc})") from None
    if arr.size == 0:
        return np.zeros(arr.shape, dtype=np.int64)
    if arr.dtype == np.bool_ or arr.dtype.kind not in "iu":
        raise KernelInputError(f"{name} must hold integer pixel sizes, got dtype {arr.dtype}")
    bad = (arr < 1) | (arr > MAX_SIDE)
    if bad.any():
        where = np.unravel_index(int(np.flatnonzero(bad)[0]), arr.shape)
        index = ", ".join(str(int(i)) for i in where)
        raise KernelInputError(
            f"{name}[{index}] must be an image size in 1..={MAX_SIDE} pixels, got {arr[where]}"
        )
    return arr.astype(np.int64, copy=False)


def image_tokens_batch(
    widths: Any,
    heights: Any,
    *,
    model: str = "gemini-2.5-flash",
    rule: str | None = None,
    media_resolution: object = None,
    vertex: bool = False,
) -> npt.NDArray[np.int64]:
    """Tokens for each ``(widths[i], heights[i])``, vectorised (the Rust or NumPy kernel).

    ``widths`` and ``heights`` are integer arrays (or sequences) of one shape;
    the result is an int64 array of that shape. Settings as in ``image_tokens``.

    Raises:
        KernelInputError: different shapes, non-integer dtypes, or a size outside
            1..2**31 (the message names its index and value); an unknown ``rule``.
        LocalError: an unknown ``media_resolution``, or a model with no default.

    >>> image_tokens_batch([960, 100], [540, 100], rule="documented").tolist()
    [1548, 258]
    """
    from gemini_vision._backend import kernels

    w, h = _sides_array("widths", widths), _sides_array("heights", heights)
    if w.shape != h.shape:
        raise KernelInputError(
            f"widths and heights must have the same shape, got {w.shape} and {h.shape}"
        )
    resolved = resolve_rule(model, rule=rule, media_resolution=media_resolution, vertex=vertex)
    out = kernels.image_tokens_batch(w.ravel(), h.ravel(), resolved.rule.name, resolved.budget)
    return out.reshape(w.shape)
