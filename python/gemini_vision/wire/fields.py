"""Typed reads of JSON fields for the resource parsers (files, tuned models, operations).

Every reader takes the object, the camelCase key and the path of the object in
the document, and raises ``ProtocolError`` naming ``path.key`` when the value
has the wrong type, so a bad server answer says exactly where it went wrong.
A missing key or a JSON ``null`` reads as ``None``.

>>> read_int({"sizeBytes": "42"}, "sizeBytes", "file")
42
>>> read_int({"sizeBytes": "x"}, "sizeBytes", "file")
Traceback (most recent call last):
...
gemini_vision.errors.ProtocolError: file.sizeBytes: expected an integer or int64 string, got 'x'
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

from gemini_vision.errors import LocalError, ProtocolError
from gemini_vision.wire.timestamp import Timestamp

__all__ = [
    "compact",
    "expect_object",
    "extra_fields",
    "read_bool",
    "read_float",
    "read_int",
    "read_list",
    "read_object",
    "read_str",
    "read_timestamp",
]


_INT_STRING = re.compile(r"[-+]?[0-9]{1,20}")


def _where(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def expect_object(value: Any, path: str) -> Mapping[str, Any]:
    """``value`` if it is a JSON object, else ``ProtocolError``.

    >>> expect_object([], "response")
    Traceback (most recent call last):
    ...
    gemini_vision.errors.ProtocolError: response: expected a JSON object, got list
    """
    if not isinstance(value, Mapping):
        raise ProtocolError(f"expected a JSON object, got {type(value).__name__}", path=path)
    return value


def read_str(data: Mapping[str, Any], key: str, path: str) -> str | None:
    """A string field (``None`` when absent)."""
    value = data.get(key)
    if value is None or isinstance(value, str):
        return value
    raise ProtocolError(f"expected a string, got {type(value).__name__}", path=_where(path, key))


def read_int(data: Mapping[str, Any], key: str, path: str) -> int | None:
    """An integer field; int64 values arrive as decimal strings and become ints."""
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    integral_float = isinstance(value, float) and value.is_integer()
    int_string = isinstance(value, str) and _INT_STRING.fullmatch(value) is not None
    if integral_float or int_string:
        return int(value)
    raise ProtocolError(
        f"expected an integer or int64 string, got {value!r:.60}", path=_where(path, key)
    )


def read_float(data: Mapping[str, Any], key: str, path: str) -> float | None:
    """A number field (``"NaN"``/``"Infinity"`` strings are proto3 JSON's spellings)."""
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if value in ("NaN", "Infinity", "-Infinity"):
        return float(value.replace("Infinity", "inf"))
    raise ProtocolError(f"expected a number, got {value!r:.60}", path=_where(path, key))


def read_bool(data: Mapping[str, Any], key: str, path: str) -> bool | None:
    """A boolean field (``None`` when absent)."""
    value = data.get(key)
    if value is None or isinstance(value, bool):
        return value
    raise ProtocolError(f"expected true or false, got {value!r:.60}", path=_where(path, key))


def read_object(data: Mapping[str, Any], key: str, path: str) -> Mapping[str, Any] | None:
    """A nested object field (``None`` when absent)."""
    value = data.get(key)
    if value is None:
        return None
    return expect_object(value, _where(path, key))


def read_list(data: Mapping[str, Any], key: str, path: str) -> Sequence[Any]:
    """A repeated field (empty when absent)."""
    value = data.get(key)
    if value is None:
        return ()
    if not isinstance(value, list):
        raise ProtocolError(
            f"expected a JSON array, got {type(value).__name__}", path=_where(path, key)
        )
    return value


def read_timestamp(data: Mapping[str, Any], key: str, path: str) -> Timestamp | None:
    """An RFC 3339 ``Timestamp`` field (``None`` when absent)."""
    text = read_str(data, key, path)
    if text is None:
        return None
    try:
        return Timestamp.parse(text)
    except LocalError as exc:
        raise ProtocolError(str(exc), path=_where(path, key)) from None


def extra_fields(data: Mapping[str, Any], known: frozenset[str]) -> dict[str, Any]:
    """The members of ``data`` the library does not model, kept for the round trip.

    >>> extra_fields({"name": "x", "future": 1}, frozenset({"name"}))
    {'future': 1}
    """
    return {k: v for k, v in data.items() if k not in known}


def compact(pairs: Mapping[str, Any]) -> dict[str, Any]:
    """The pairs whose value is not ``None``; non-finite floats as proto3 JSON spells them.

    >>> compact({"a": 1, "b": None, "c": float("inf")})
    {'a': 1, 'c': 'Infinity'}
    """
    out: dict[str, Any] = {}
    for key, value in pairs.items():
        if value is None:
            continue
        if isinstance(value, float) and not math.isfinite(value):
            value = "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
        out[key] = value
    return out
