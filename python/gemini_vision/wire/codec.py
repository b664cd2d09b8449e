"""The JSON codec of the wire layer: whole documents <-> bytes, and base64 text.

``loads``/``dumps`` use orjson when it is installed (the ``fast`` extra) and the
standard library otherwise (``GEMINI_VISION_JSON=stdlib`` forces it); both give
the same results. ``dumps`` splices long base64 strings in without scanning
them, so a request carrying a 15 MB inline image costs little to encode.
``b64encode``/``b64decode`` are the API's base64 (standard alphabet out,
standard or URL-safe in, padding optional). Typed wire objects live in
``gemini_vision.wire.model``.

>>> loads(dumps({"data": b64encode(b"hi")}))
{'data': 'aGk='}
"""

from __future__ import annotations

import base64
import binascii
import json as _json
import os
import re
import sys
from collections.abc import Callable
from typing import Any

__all__ = ["Base64Text", "b64decode", "b64encode", "copy_json", "dumps", "loads"]


def b64encode(data: bytes) -> str:
    """Standard base64 with padding, as the API sends it.

    >>> b64encode(b"hi")
    'aGk='
    """
    return Base64Text(binascii.b2a_base64(data, newline=False).decode("ascii"))


def b64decode(text: str) -> bytes:
    """Decode standard or URL-safe base64, padding optional; ``ValueError`` otherwise.

    >>> b64decode("aGk="), b64decode("aGk"), b64decode("-_8")
    (b'hi', b'hi', b'\\xfb\\xff')
    """
    if "-" in text or "_" in text:
        text = text.translate(_URLSAFE)
    text += "=" * (-len(text) % 4)
    try:
        if sys.version_info >= (3, 11):
            return binascii.a2b_base64(text, strict_mode=True)
        return base64.b64decode(text, validate=True)  # pragma: no cover - Python 3.10
    except (binascii.Error, ValueError):
        raise ValueError("not valid base64") from None


_URLSAFE = str.maketrans("-_", "+/")


def copy_json(value: Any) -> Any:
    """A structural copy of JSON data (dicts and lists copied, leaves shared).

    >>> a = {"x": [1, {"y": 2}]}; b = copy_json(a); b["x"][1]["y"] = 3; a
    {'x': [1, {'y': 2}]}
    """
    if type(value) is dict:
        return {k: copy_json(v) for k, v in value.items()}
    if type(value) is list:
        return [copy_json(v) for v in value]
    return value


# --- encoding and decoding of whole documents -------------------------------------
#
# orjson, when installed (the ``fast`` extra), parses large responses several
# times faster than the standard library; everything else is identical. Set
# GEMINI_VISION_JSON=stdlib to force the standard library.

_codec: tuple[Callable[[bytes], Any], Callable[[Any], bytes]] | None = None


def _stdlib_dumps(value: Any) -> bytes:
    return _json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()


def _select_codec() -> tuple[Callable[[bytes], Any], Callable[[Any], bytes]]:
    global _codec
    if _codec is None:
        choice = os.environ.get("GEMINI_VISION_JSON", "").strip().lower()
        if choice != "stdlib":
            try:
                import orjson
            except ImportError:
                pass
            else:

                def fast_dumps(value: Any) -> bytes:
                    try:
                        encoded: bytes = orjson.dumps(value)
                        return encoded
                    except TypeError:
                        # e.g. non-str keys: let the standard library try (and explain).
                        return _stdlib_dumps(value)

                _codec = (orjson.loads, fast_dumps)
                return _codec
        _codec = (_json.loads, _stdlib_dumps)
    return _codec


def loads(data: bytes) -> Any:
    """Parse a JSON document; ``ValueError`` (or ``RecursionError``) when it is not one.

    With the Rust extension, value strings of at least ``LONG_STRING`` bytes
    (a big text answer) are decoded by the extension and the rest by the codec
    (``json.loads``, or ``orjson.loads``: ``_split_parse``): the same result,
    several times faster than ``json.loads`` on a 2 MB answer and 1.5 times
    faster than ``orjson.loads``.

    >>> loads(b'{"a": [1, 2.5, "x"]}')
    {'a': [1, 2.5, 'x']}
    >>> loads(b'{"text": "' + b"abc " * 5000 + b'"}')["text"][:8]
    'abc abc '
    """
    decode = _select_codec()[0]
    if len(data) >= LONG_STRING:
        split = _split_kernel()
        if split is not None and type(data) is bytes:
            return _split_parse(data, split, decode)
    return decode(data)


#: Value strings this long (bytes as written) are decoded by the extension.
LONG_STRING = 16 * 1024
# A per-process random marker: a string the server sends cannot name a
# placeholder it does not know. "\u0000" starts it, so it is never text.
_MARKER_TEXT = "\x00gemini-vision:" + os.urandom(8).hex() + ":"
_MARKER = b"\\u0000" + _MARKER_TEXT[1:].encode()
_Split = Callable[[bytes, int, bytes], "tuple[bytes, list[str]] | None"]
_split: _Split | bool | None = False


def _split_kernel() -> _Split | None:
    """The extension's ``split_long_strings``; None with the NumPy backend.

    (Its pure-Python twin is no faster than ``json.loads``, so it is not used here.)
    """
    global _split
    if _split is False:
        from gemini_vision import _backend

        _split = _backend.kernels.split_long_strings if _backend.name == "rust" else None
    return _split if callable(_split) else None


def _split_parse(data: bytes, split: _Split, decode: Callable[[bytes], Any]) -> Any:
    """``decode(data)``, the long strings decoded by ``split`` and put back in place.

    A lifted string holds only what every conforming parser decodes alike
    (valid UTF-8, JSON's own escapes, no surrogate escape), so the result is
    ``decode``'s whichever codec it is.
    """
    lifted = split(data, LONG_STRING, _MARKER)
    if lifted is None:
        return decode(data)
    skeleton, strings = lifted
    value = decode(skeleton)
    if type(value) is str:
        return _placed(value, strings)
    left = len(strings)
    stack = [value] if type(value) in (dict, list) else []
    while stack and left:
        node = stack.pop()
        for key, item in node.items() if type(node) is dict else enumerate(node):
            kind = type(item)
            if kind is str:
                if item.startswith(_MARKER_TEXT):
                    node[key] = _placed(item, strings)
                    left -= 1
            elif kind is dict or kind is list:
                stack.append(item)
    return value


def _placed(text: str, strings: list[str]) -> str:
    if text.startswith(_MARKER_TEXT):
        return strings[int(text[len(_MARKER_TEXT) :])]
    return text


def dumps(value: Any) -> bytes:
    """Serialize to compact UTF-8 JSON; ``TypeError``/``ValueError`` for what JSON cannot hold.

    Long strings that need no escaping (base64 image data) are not scanned by the
    encoder: they are swapped for short placeholders and their bytes spliced in
    afterwards, which makes a 15 MB inline image much cheaper to send.

    >>> dumps({"a": "é", "b": [1]})
    b'{"a":"\\xc3\\xa9","b":[1]}'
    >>> dumps({"data": b64encode(b"abc" * 20000)}) == _select_codec()[1]({"data": "YWJj" * 20000})
    True
    """
    encode = _select_codec()[1]
    spliced: list[bytes] = []
    swapped = _swap_long_strings(value, spliced)
    if not spliced:
        return encode(value)
    pieces = _PLACEHOLDER.split(encode(swapped))
    # pieces alternate: text, index, text, ..., text. Any surprise (user text that
    # contains our private-use markers) falls back to the plain encoding.
    if [int(i) for i in pieces[1::2]] != list(range(len(spliced))):
        return encode(value)
    for position in range(1, len(pieces), 2):
        pieces[position] = b'"' + spliced[int(pieces[position])] + b'"'
    return b"".join(pieces)


class Base64Text(str):
    """A ``str`` known to hold base64 (made by ``b64encode``): JSON needs no escaping in it."""

    __slots__ = ()


_SPLICE_MIN = 1 << 15
_PLACEHOLDER = re.compile(b'"\xee\x80\x80([0-9]+)\xee\x80\x81"')
_CONTROL_BYTES = bytes(range(32)) + b"\x7f"


def _swap_long_strings(value: Any, spliced: list[bytes]) -> Any:
    kind = type(value)
    if kind is Base64Text or kind is str:
        if len(value) < _SPLICE_MIN or not value.isascii():  # isascii is O(1) on str
            return value
        raw = value.encode("ascii")
        if kind is str and (
            b'"' in raw or b"\\" in raw or len(raw.translate(None, _CONTROL_BYTES)) != len(raw)
        ):
            return value  # needs escaping: leave it to the encoder
        spliced.append(raw)
        return f"\ue000{len(spliced) - 1}\ue001"
    if kind is dict:
        return {k: _swap_long_strings(v, spliced) for k, v in value.items()}
    if kind is list or kind is tuple:
        return [_swap_long_strings(v, spliced) for v in value]
    if kind is float and (value != value or value in (_INF, -_INF)):
        # Both codecs must agree: the standard library refuses, orjson would write null.
        raise ValueError(f"{value!r} cannot be sent as JSON")
    return value


_INF = float("inf")
