"""Old home of the codec and the object model, kept so existing imports keep working.

New code imports from ``gemini_vision.wire.codec`` (loads/dumps, base64) and
``gemini_vision.wire.model`` (``WireObject`` and the field declarations).

>>> from gemini_vision.wire.json import dumps, WireObject
>>> dumps({"a": 1})
b'{"a":1}'
"""

from __future__ import annotations

from gemini_vision.wire.codec import b64decode, b64encode, copy_json, dumps, loads
from gemini_vision.wire.model import (
    ANY,
    BOOL,
    BYTES,
    FLOAT,
    INT,
    STR,
    Checker,
    WireObject,
    camel_to_snake,
    list_of,
    map_of,
    snake_to_camel,
)

__all__ = [
    "ANY",
    "BOOL",
    "BYTES",
    "FLOAT",
    "INT",
    "STR",
    "Checker",
    "WireObject",
    "b64decode",
    "b64encode",
    "camel_to_snake",
    "copy_json",
    "dumps",
    "list_of",
    "loads",
    "map_of",
    "snake_to_camel",
]
