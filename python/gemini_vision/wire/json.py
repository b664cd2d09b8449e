"""Typed views over wire JSON: camelCase <-> snake_case, validation with JSON paths.

Theory of operation. Every wire type (``Part``, ``Content``, ``Candidate``...) is
a thin, immutable *view* over one JSON object in its wire form (camelCase keys,
bytes as base64 strings, int64 as received). The view never copies the
document: attributes decode on access, and ``to_json`` hands back a copy of the
dict. This has three consequences the rest of the library relies on:

* round trips are exact: fields the library does not know are kept where they
  were, int64 strings stay strings on the wire, key order is preserved;
* parsing a response costs one validating walk over the parsed JSON (types,
  base64, integer strings), with no object per part until someone asks for one;
* the validating walk is table driven: each type declares ``_SPEC``, a mapping
  from camelCase wire names to checkers; snake_case spellings of *typed* fields
  are accepted on input and renamed (the API accepts both), while free-form
  values (function arguments, schemas, function responses) are never touched.

Errors carry the JSON path (``candidates[0].content.parts[3].inlineData.data``)
built while the error unwinds, so the happy path pays nothing for it.

>>> snake_to_camel("response_mime_type"), camel_to_snake("responseMimeType")
('responseMimeType', 'response_mime_type')
"""

from __future__ import annotations

import base64
import binascii
import json as _json
import os
import re
import sys
from collections.abc import Callable, Iterator, Mapping
from typing import Any, ClassVar, Generic, TypeVar, overload

from gemini_vision.errors import ProtocolError

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

Checker = Callable[[Any], Any]
W = TypeVar("W", bound="WireObject")

_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])([A-Z])")


def camel_to_snake(name: str) -> str:
    """``fooBarBaz`` -> ``foo_bar_baz``.

    >>> camel_to_snake("thoughtsTokenCount")
    'thoughts_token_count'
    """
    return _CAMEL_BOUNDARY.sub(r"_\1", name).lower()


def snake_to_camel(name: str) -> str:
    """``foo_bar_baz`` -> ``fooBarBaz`` (names without ``_`` are returned unchanged).

    >>> snake_to_camel("file_uri"), snake_to_camel("text")
    ('fileUri', 'text')
    """
    head, *rest = name.split("_")
    return head + "".join(p[:1].upper() + p[1:] for p in rest)


class Invalid(Exception):
    """Internal: a validation failure; ``path`` segments are added innermost first."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
        self.path: list[str] = []

    def to_protocol_error(self, prefix: str = "") -> ProtocolError:
        path = prefix + "".join(reversed(self.path)).lstrip(".")
        return ProtocolError(self.message, path=path)


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def STR(value: Any) -> Any:
    """Checker: a JSON string."""
    if type(value) is not str:
        raise Invalid(f"expected a string, got {_json_type(value)}")
    return value


def BOOL(value: Any) -> Any:
    """Checker: a JSON boolean."""
    if type(value) is not bool:
        raise Invalid(f"expected a boolean, got {_json_type(value)}")
    return value


_INT_STRING = re.compile(r"-?[0-9]{1,20}")


def INT(value: Any) -> Any:
    """Checker: an integer, or (proto3 JSON int64) a decimal string of one."""
    if type(value) is int:
        return value
    if type(value) is str and _INT_STRING.fullmatch(value):
        return value
    if type(value) is float and value.is_integer():
        return value
    raise Invalid(f"expected an integer, got {_json_type(value)}")


def FLOAT(value: Any) -> Any:
    """Checker: a JSON number (proto3 also allows "NaN", "Infinity", "-Infinity")."""
    if type(value) in (int, float) or value in ("NaN", "Infinity", "-Infinity"):
        return value
    raise Invalid(f"expected a number, got {_json_type(value)}")


def BYTES(value: Any) -> Any:
    """Checker: base64 text (standard or URL-safe alphabet, padding optional)."""
    if not isinstance(value, str):  # str, or our Base64Text
        raise Invalid(f"expected base64 text, got {_json_type(value)}")
    try:
        b64decode(value)
    except ValueError:
        raise Invalid("not valid base64") from None
    return value


def ANY(value: Any) -> Any:
    """Checker: free-form JSON, passed through untouched."""
    return value


def as_int(value: Any) -> int | None:
    """An INT-checked wire value as a Python int (int64 strings become ints)."""
    return None if value is None else int(value)


def as_float(value: Any) -> float | None:
    """A FLOAT-checked wire value as a Python float."""
    return None if value is None else float(value)


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


def list_of(item: Checker) -> Checker:
    """Checker: an array whose items pass ``item``; a lone object is wrapped in an array."""

    def check(value: Any) -> Any:
        if type(value) is not list:
            if type(value) is dict and item is not ANY:
                # Proto JSON parsers (and the seed's curl samples) accept one object
                # where an array is expected; normalize to the array.
                value = [value]
            else:
                raise Invalid(f"expected an array, got {_json_type(value)}")
        for i, element in enumerate(value):
            try:
                new = item(element)
            except Invalid as error:
                error.path.append(f"[{i}]")
                raise
            if new is not element:
                value[i] = new
        return value

    return check


def map_of(item: Checker) -> Checker:
    """Checker: an object whose values pass ``item`` (keys are free-form)."""

    def check(value: Any) -> Any:
        if type(value) is not dict:
            raise Invalid(f"expected an object, got {_json_type(value)}")
        for key, element in value.items():
            try:
                new = item(element)
            except Invalid as error:
                error.path.append(f".{key}")
                raise
            if new is not element:
                value[key] = new
        return value

    return check


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


def _short(value: Any) -> str:
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    text = repr(value)
    return text if len(text) <= 120 else text[:100] + "…" + text[-10:]


class WireObject:
    """Base of every wire type: an immutable view over one camelCase JSON object.

    Subclasses declare ``_SPEC = {"wireName": checker, ...}``; a nested type's
    checker is its class's ``_check``.
    """

    __slots__ = ("_cache", "_data")

    _SPEC: ClassVar[Mapping[str, Checker]] = {}
    _ALIASES: ClassVar[dict[str, str]] = {}
    _data: dict[str, Any]
    _cache: dict[str, Any] | None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._ALIASES = {
            camel_to_snake(name): name for name in cls._SPEC if camel_to_snake(name) != name
        }

    # --- construction ----------------------------------------------------------

    @classmethod
    def _wrap(cls: type[W], data: dict[str, Any]) -> W:
        """A view over already-checked wire data (no copy, no validation)."""
        obj = object.__new__(cls)
        object.__setattr__(obj, "_data", data)
        object.__setattr__(obj, "_cache", None)
        return obj

    def _init(self, data: dict[str, Any]) -> None:
        """For subclass constructors: adopt ``data`` (None values are dropped)."""
        object.__setattr__(self, "_data", {k: v for k, v in data.items() if v is not None})
        object.__setattr__(self, "_cache", None)

    @classmethod
    def _check(cls, value: Any) -> Any:
        """Validate (and normalize snake_case keys of) wire data in place."""
        if type(value) is not dict:
            raise Invalid(f"expected an object, got {_json_type(value)}")
        spec = cls._SPEC
        renames: list[tuple[str, str]] | None = None
        for key, element in value.items():
            checker = spec.get(key)
            if checker is None:
                camel = cls._ALIASES.get(key)
                if camel is None:
                    continue  # unknown: kept as is
                if camel in value:
                    error = Invalid(f"both {key!r} and {camel!r} are given")
                    error.path.append(f".{key}")
                    raise error
                renames = renames or []
                renames.append((key, camel))
                checker = spec[camel]
            if element is None:
                continue  # proto3 JSON: null means "not set"
            try:
                new = checker(element)
            except Invalid as error:
                error.path.append(f".{key}")
                raise
            if new is not element:
                value[key] = new
        if renames:
            for key, camel in renames:
                value[camel] = value.pop(key)
        return value

    @classmethod
    def from_json(cls: type[W], data: Any, *, path: str = "") -> W:
        """Parse wire JSON (camelCase or snake_case keys) into this type.

        The input is copied, never modified. Raises ``ProtocolError`` naming the
        JSON path of the first problem.
        """
        try:
            owned = copy_json(data)
        except RecursionError:
            raise ProtocolError("JSON nested too deeply", path=path) from None
        return cls._from_owned_json(owned, path=path)

    @classmethod
    def _from_owned_json(cls: type[W], data: Any, *, path: str = "") -> W:
        """Like ``from_json`` but adopts ``data`` (freshly parsed) without copying it."""
        try:
            return cls._wrap(cls._check(data))
        except Invalid as error:
            raise error.to_protocol_error(path) from None
        except RecursionError:
            raise ProtocolError("JSON nested too deeply", path=path) from None

    def to_json(self) -> dict[str, Any]:
        """The wire form (camelCase keys), as a fresh dict the caller may modify."""
        result: dict[str, Any] = copy_json(self._data)
        return result

    # --- access ----------------------------------------------------------------

    def _cached(self, key: str, make: Callable[[], Any]) -> Any:
        cache = self._cache
        if cache is None:
            cache = {}
            object.__setattr__(self, "_cache", cache)
        if key not in cache:
            cache[key] = make()
        return cache[key]

    def _obj(self, key: str, cls: type[W]) -> W | None:
        value = self._data.get(key)
        return None if value is None else cls._wrap(value)

    def _list(self, key: str, cls: type[W]) -> list[W]:
        def make() -> list[W]:
            return [cls._wrap(v) for v in self._data.get(key) or ()]

        return list(self._cached(key, make))

    @property
    def extra(self) -> dict[str, Any]:
        """Fields the library does not know, as received (kept for the round trip)."""
        return {k: v for k, v in self._data.items() if k not in self._SPEC}

    def _fields(self) -> Iterator[tuple[str, Any]]:
        for name in self._SPEC:
            if name in self._data and self._data[name] is not None:
                attr = camel_to_snake(name)
                yield attr, getattr(self, attr, self._data[name])

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        assert isinstance(other, WireObject)
        return self._data == other._data

    __hash__ = None  # type: ignore[assignment]

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(
            f"{type(self).__name__} is immutable; build a new one, or edit to_json() "
            "and read it back with from_json()"
        )

    def __repr__(self) -> str:
        parts = [f"{attr}={_short(value)}" for attr, value in self._fields()]
        extra = self.extra
        if extra:
            parts.append(f"extra={_short(extra)}")
        return f"{type(self).__name__}({', '.join(parts)})"

    def __reduce__(self) -> Any:
        return (type(self)._wrap, (self._data,))


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

    With the standard library's codec and the Rust extension, value strings of
    at least ``LONG_STRING`` bytes (a big text answer) are decoded by the
    extension and the rest by ``json.loads`` (``_split_parse``): the same
    result, several times faster on a 2 MB answer.

    >>> loads(b'{"a": [1, 2.5, "x"]}')
    {'a': [1, 2.5, 'x']}
    >>> loads(b'{"text": "' + b"abc " * 5000 + b'"}')["text"][:8]
    'abc abc '
    """
    decode = _select_codec()[0]
    if decode is _json.loads and len(data) >= LONG_STRING:
        split = _split_kernel()
        if split is not None and type(data) is bytes:
            return _split_parse(data, split)
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
    """The extension's ``split_long_strings``; None with the NumPy backend or without it.

    (Its pure-Python twin is no faster than ``json.loads``, so it is not used here.)
    """
    global _split
    if _split is False:
        _split = None
        if os.environ.get("GEMINI_VISION_BACKEND", "").strip().lower() != "numpy":
            try:
                from gemini_vision._rust import split_long_strings
            except ImportError:
                pass
            else:
                _split = split_long_strings
    return _split if callable(_split) else None


def _split_parse(data: bytes, split: _Split) -> Any:
    """``json.loads(data)``, the long strings decoded by ``split`` and put back in place."""
    lifted = split(data, LONG_STRING, _MARKER)
    if lifted is None:
        return _json.loads(data)
    skeleton, strings = lifted
    value = _json.loads(skeleton)
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


# --- typed accessors ----------------------------------------------------------------

T = TypeVar("T")


class Field(Generic[T]):
    """A typed, read-only attribute that decodes one wire field on access.

    >>> class Thing(WireObject):
    ...     _SPEC = {"tokenCount": INT}
    ...     token_count = int_field("tokenCount")
    >>> Thing.from_json({"tokenCount": "7"}).token_count
    7
    """

    __slots__ = ("decode", "wire")

    def __init__(self, wire: str, decode: Callable[[WireObject, Any], T]) -> None:
        self.wire = wire
        self.decode = decode

    @overload
    def __get__(self, obj: None, owner: type[Any]) -> Field[T]: ...
    @overload
    def __get__(self, obj: WireObject, owner: type[Any]) -> T: ...
    def __get__(self, obj: WireObject | None, owner: type[Any]) -> Field[T] | T:
        if obj is None:
            return self
        return self.decode(obj, obj._data.get(self.wire))


def str_field(wire: str) -> Field[str | None]:
    """A string field."""
    return Field(wire, lambda obj, value: value)


def bool_field(wire: str) -> Field[bool | None]:
    """A boolean field."""
    return Field(wire, lambda obj, value: value)


def int_field(wire: str) -> Field[int | None]:
    """An integer field (int64 strings read as ints)."""
    return Field(wire, lambda obj, value: as_int(value))


def float_field(wire: str) -> Field[float | None]:
    """A number field."""
    return Field(wire, lambda obj, value: as_float(value))


def json_field(wire: str) -> Field[Any]:
    """A free-form JSON field, returned as received."""
    return Field(wire, lambda obj, value: value)


def str_list_field(wire: str) -> Field[list[str] | None]:
    """A list of strings."""
    return Field(wire, lambda obj, value: None if value is None else list(value))


def object_field(wire: str, cls: type[W]) -> Field[W | None]:
    """A nested wire object."""
    return Field(wire, lambda obj, value: None if value is None else cls._wrap(value))


def list_field(wire: str, cls: type[W]) -> Field[list[W]]:
    """A list of nested wire objects (empty when absent)."""
    return Field(wire, lambda obj, value: obj._list(wire, cls))
