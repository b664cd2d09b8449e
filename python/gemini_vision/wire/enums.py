"""The values of the request's enum-valued settings, checked before sending (W7).

The server answers 400 for ``mediaResolution: "high"``; here the same mistake
is a ``LocalError`` naming the field, the valid values and the nearest one.
Harm categories are checked by form only (``HARM_CATEGORY_*``): the service
adds categories more often than the other enums change.

>>> check_enum("generationConfig.mediaResolution", "MEDIA_RESOLUTION_LOW")
>>> check_enum("generationConfig.mediaResolution", "high")
Traceback (most recent call last):
...
gemini_vision.errors.LocalError: generationConfig.mediaResolution must be one of MEDIA_RESOLUTION_UNSPECIFIED, MEDIA_RESOLUTION_LOW, MEDIA_RESOLUTION_MEDIUM, MEDIA_RESOLUTION_HIGH, got 'high' (did you mean 'MEDIA_RESOLUTION_HIGH'?)
"""  # noqa: E501

from __future__ import annotations

import re
from typing import Any

from gemini_vision.errors import LocalError

__all__ = ["ENUMS", "check_enum", "nearest"]

#: Field path (as ``check_enum`` is called with it) -> the values the API documents.
ENUMS: dict[str, tuple[str, ...]] = {
    "generationConfig.mediaResolution": (
        "MEDIA_RESOLUTION_UNSPECIFIED",
        "MEDIA_RESOLUTION_LOW",
        "MEDIA_RESOLUTION_MEDIUM",
        "MEDIA_RESOLUTION_HIGH",
    ),
    "generationConfig.responseModalities": ("MODALITY_UNSPECIFIED", "TEXT", "IMAGE", "AUDIO"),
    "generationConfig.thinkingConfig.thinkingLevel": (
        "THINKING_LEVEL_UNSPECIFIED",
        "MINIMAL",
        "LOW",
        "MEDIUM",
        "HIGH",
    ),
    "safetySettings.threshold": (
        "HARM_BLOCK_THRESHOLD_UNSPECIFIED",
        "BLOCK_LOW_AND_ABOVE",
        "BLOCK_MEDIUM_AND_ABOVE",
        "BLOCK_ONLY_HIGH",
        "BLOCK_NONE",
        "OFF",
    ),
}

_HARM_CATEGORY = re.compile(r"HARM_CATEGORY_[A-Z_]+")


def nearest(value: str, choices: tuple[str, ...] | list[str]) -> str | None:
    """The choice closest to ``value`` (case and a shared suffix count), or None.

    >>> nearest("high", ("MEDIA_RESOLUTION_LOW", "MEDIA_RESOLUTION_HIGH"))
    'MEDIA_RESOLUTION_HIGH'
    >>> nearest("temprature", ["temperature", "top_p"])
    'temperature'
    """
    upper = value.upper()
    for choice in choices:  # "high" for MEDIA_RESOLUTION_HIGH: the distinctive tail
        if upper and choice.upper().endswith("_" + upper):
            return choice
    by_upper = {choice.upper(): choice for choice in choices}
    import difflib  # only for a misspelt name: keeps the client's import light

    close = difflib.get_close_matches(upper, list(by_upper), n=1, cutoff=0.6)
    return by_upper[close[0]] if close else None


def check_enum(field: str, value: Any, *, key: str | None = None) -> None:
    """``LocalError`` unless ``value`` is one of ``ENUMS[key or field]``.

    ``field`` is the path named in the message (``safetySettings[2].threshold``);
    ``key`` the table entry when it differs (``safetySettings.threshold``).
    """
    choices = ENUMS[key or field]
    if isinstance(value, str) and value in choices:
        return
    hint = nearest(value, choices) if isinstance(value, str) else None
    suggestion = f" (did you mean {hint!r}?)" if hint else ""
    raise LocalError(f"{field} must be one of {', '.join(choices)}, got {value!r}{suggestion}")


def check_harm_category(field: str, value: Any) -> None:
    """``LocalError`` unless ``value`` has the form of a harm category.

    >>> check_harm_category("safetySettings[0].category", "harassment")
    Traceback (most recent call last):
    ...
    gemini_vision.errors.LocalError: safetySettings[0].category must be a HARM_CATEGORY_* name (e.g. HARM_CATEGORY_HARASSMENT), got 'harassment' (did you mean 'HARM_CATEGORY_HARASSMENT'?)
    """  # noqa: E501
    if isinstance(value, str) and _HARM_CATEGORY.fullmatch(value):
        return
    hint = None
    if isinstance(value, str) and value.strip():
        hint = "HARM_CATEGORY_" + re.sub(r"[^A-Z]+", "_", value.upper()).strip("_")
    suggestion = f" (did you mean {hint!r}?)" if hint else ""
    raise LocalError(
        f"{field} must be a HARM_CATEGORY_* name (e.g. HARM_CATEGORY_HARASSMENT), "
        f"got {value!r}{suggestion}"
    )
