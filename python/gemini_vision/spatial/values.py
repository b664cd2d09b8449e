"""Reading JSON values the model wrote: numbers, and short forms for messages.

>>> to_number("12.5"), fmt([1, 2.0, "x"]), json_type(None)
(12.5, "[1, 2.0, 'x']", 'null')
"""

from __future__ import annotations

import math
import re
from typing import Any

__all__ = ["fmt", "json_type", "to_number"]

_NUMERIC = re.compile(r"\s*[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?\s*")


def to_number(value: Any) -> float | None:
    """A finite float from a JSON number or numeric string, else None.

    >>> to_number(12), to_number(" 7.5 "), to_number("1e3")
    (12.0, 7.5, 1000.0)
    >>> to_number(True), to_number("nan"), to_number(float("inf")), to_number("12px")
    (None, None, None, None)
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        try:
            number = float(value)
        except OverflowError:  # an int beyond the float range
            return None
    elif isinstance(value, str) and len(value) < 64 and _NUMERIC.fullmatch(value):
        number = float(value)
    else:
        return None
    return number if math.isfinite(number) else None


def fmt(value: Any, limit: int = 60) -> str:
    """A short printable form of a JSON value for messages."""
    if isinstance(value, float) and value.is_integer():
        text = str(int(value))
    else:
        text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    return {str: "string", int: "number", float: "number", list: "list", dict: "object"}.get(
        type(value), type(value).__name__
    )
