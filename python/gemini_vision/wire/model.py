"""The wire-object model: typed, immutable views over wire JSON, each field declared once.

Theory of operation. Every wire type (``Part``, ``Content``, ``Candidate``,
``TunedModel``, ``File``...) is a thin, immutable *view* over one JSON object in
its wire form (camelCase keys, bytes as base64 strings, int64 as received). The
view never copies the document: attributes decode on access, and ``to_json``
hands back a copy of the dict. This has three consequences the rest of the
library relies on:

* round trips are exact: fields the library does not know are kept where they
  were (``extra``), int64 strings stay strings on the wire, enum names the
  library does not know stay as given, key order is preserved;
* parsing a response costs one validating walk over the parsed JSON (types,
  base64, integer strings), with no object per part until someone asks for one;
* the walk is table driven, and the table is built from the declarations.

A field is declared once, as a class attribute made by one of the ``*_field``
factories below (``display_name = str_field()``). The descriptor learns its
attribute name from the class, derives the camelCase wire name from it
(``display_name`` -> ``displayName``) and registers itself with the class: its
wire checker (used when parsing), its decoder (used on attribute access), its
encoder (used by constructors: a wrong Python type raises ``LocalError`` naming
the field) and whether it is output only (left out by ``to_request_json``).
snake_case spellings of the declared fields are accepted on input and renamed
(the API accepts both), while free-form values (function arguments, schemas)
are never touched.

The public ways in and out of a wire object:

* ``Type.from_json(data)``: parse (the input is copied, never modified);
* ``Type.from_owned_json(data)``: parse data you just decoded and hand over
  (validated and adopted without a copy: the fast path for large responses);
* ``obj.to_json()``: the wire form, a fresh copy the caller may modify;
* ``obj.as_json()``: the wire form itself, no copy, read only (to send it);
* ``obj.to_request_json()``: ``to_json`` without the output-only fields;
* ``obj.replace(**changes)``: a copy with some fields changed.

Errors carry the JSON path (``candidates[0].content.parts[3].inlineData.data``)
built while the error unwinds, so the happy path pays nothing for it.

>>> class Thing(WireObject):
...     __slots__ = ()
...     token_count = int_field()
...     label = str_field()
...     def __init__(self, *, token_count=None, label=None):
...         self._build(locals())
>>> Thing.from_json({"tokenCount": "7", "future": 1}).token_count
7
>>> Thing(label="x").to_json(), Thing.from_json({"token_count": 3}).to_json()
({'label': 'x'}, {'tokenCount': 3})
>>> Thing(token_count="7")
Traceback (most recent call last):
...
gemini_vision.errors.LocalError: Thing.token_count (tokenCount): expected an integer, got '7'
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, ClassVar, Generic, TypeVar, overload

from gemini_vision import errors
from gemini_vision.errors import LocalError, ProtocolError
from gemini_vision.wire.codec import b64decode, b64encode, copy_json
from gemini_vision.wire.timestamp import Timestamp

__all__ = [
    "ANY",
    "BOOL",
    "BYTES",
    "FLOAT",
    "INT",
    "STR",
    "Checker",
    "Field",
    "Invalid",
    "WireObject",
    "any_field",
    "as_float",
    "as_int",
    "bool_field",
    "bytes_field",
    "camel_to_snake",
    "count_field",
    "data_field",
    "dict_field",
    "enum_field",
    "flag_field",
    "float_field",
    "int64_list_field",
    "int_field",
    "json_field",
    "list_field",
    "list_of",
    "message_field",
    "object_field",
    "objects_field",
    "snake_to_camel",
    "str_field",
    "str_list_field",
    "strict_int",
    "text_field",
    "timestamp_field",
]

Checker = Callable[[Any], Any]
W = TypeVar("W", bound="WireObject")
T = TypeVar("T")
E = TypeVar("E", bound=enum.Enum)

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


# --- validation of wire data ------------------------------------------------------


class Invalid(Exception):
    """A validation failure; ``path`` segments are added innermost first as it unwinds."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
        self.path: list[str] = []

    def to_protocol_error(self, prefix: str = "") -> ProtocolError:
        """The ``ProtocolError`` for a server document, its path under ``prefix``."""
        inner = "".join(reversed(self.path))
        if not prefix or not (prefix[-1].isalnum() or prefix[-1] in "_]"):
            inner = inner.lstrip(".")
        return ProtocolError(self.message, path=prefix + inner)


def json_type(value: Any) -> str:
    """How JSON would call ``value`` (for messages).

    >>> json_type(True), json_type(3), json_type([])
    ('a boolean', 'a number', 'an array')
    >>> import enum
    >>> json_type(enum.Enum("FinishReason", {"STOP": "STOP"}, type=str).STOP)
    'a FinishReason (a str subclass, not a plain string)'

    """
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        if type(value) is not str:  # an enum member or other str subclass: say which
            return f"a {type(value).__name__} (a str subclass, not a plain string)"
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def STR(value: Any) -> Any:
    """Checker: a JSON string."""
    if type(value) is not str:
        raise Invalid(f"expected a string, got {json_type(value)}")
    return value


def BOOL(value: Any) -> Any:
    """Checker: a JSON boolean."""
    if type(value) is not bool:
        raise Invalid(f"expected a boolean, got {json_type(value)}")
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
    raise Invalid(f"expected an integer, got {json_type(value)}")


def FLOAT(value: Any) -> Any:
    """Checker: a JSON number (proto3 also allows "NaN", "Infinity", "-Infinity")."""
    if type(value) in (int, float) or value in ("NaN", "Infinity", "-Infinity"):
        return value
    raise Invalid(f"expected a number, got {json_type(value)}")


def BYTES(value: Any) -> Any:
    """Checker: base64 text (standard or URL-safe alphabet, padding optional)."""
    if not isinstance(value, str):  # str, or the codec's Base64Text
        raise Invalid(f"expected base64 text, got {json_type(value)}")
    try:
        b64decode(value)
    except ValueError:
        raise Invalid("not valid base64") from None
    return value


def ANY(value: Any) -> Any:
    """Checker: free-form JSON, passed through untouched."""
    return value


def TIMESTAMP(value: Any) -> Any:
    """Checker: an RFC 3339 timestamp string."""
    STR(value)
    try:
        Timestamp.parse(value)
    except LocalError as error:
        raise Invalid(str(error)) from None
    return value


def as_int(value: Any) -> int | None:
    """An INT-checked wire value as a Python int (int64 strings become ints)."""
    return None if value is None else int(value)


def as_float(value: Any) -> float | None:
    """A FLOAT-checked wire value as a Python float."""
    return None if value is None else float(value)


def list_of(item: Checker) -> Checker:
    """Checker: an array whose items pass ``item``; a lone object is wrapped in an array."""

    def check(value: Any) -> Any:
        if type(value) is not list:
            if type(value) is dict and item is not ANY:
                # Proto JSON parsers (and the seed's curl samples) accept one object
                # where an array is expected; normalize to the array.
                value = [value]
            else:
                raise Invalid(f"expected an array, got {json_type(value)}")
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


# --- checks of Python values given to constructors ----------------------------------


def strict_int(value: Any) -> int:
    """``value`` if it is an ``int`` and not a ``bool``; ``Invalid`` otherwise.

    The one "an integer, not a bool" rule: ``True`` is an ``int`` to Python but
    never a count, a size or a token number to us.

    >>> strict_int(3)
    3
    >>> strict_int(True)
    Traceback (most recent call last):
    ...
    gemini_vision.wire.model.Invalid: expected an integer, got True
    """
    try:
        return errors.as_int("value", value)
    except LocalError:
        raise Invalid(f"expected an integer, got {_short(value)}") from None


def _put_str(value: Any) -> Any:
    if not isinstance(value, str):
        raise Invalid(f"expected a string, got {_short(value)}")
    return value


def _put_bool(value: Any) -> Any:
    if not isinstance(value, bool):
        raise Invalid(f"expected a boolean, got {_short(value)}")
    return value


def _put_float(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise Invalid(f"expected a number, got {_short(value)}")
    return value


def _put_bytes(value: Any) -> Any:
    if not isinstance(value, (bytes, bytearray, memoryview)):
        raise Invalid(f"expected bytes, got {_short(value)}")
    return b64encode(bytes(value))


def _put_json(value: Any) -> Any:
    return dict(value) if isinstance(value, Mapping) else value


def _put_str_list(value: Any) -> Any:
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise Invalid(f"expected a list of strings, got {_short(value)}")
    items = list(value)
    for item in items:
        if not isinstance(item, str):
            raise Invalid(f"expected a list of strings, got an item {_short(item)}")
    return items


def _put_timestamp(value: Any) -> Any:
    if isinstance(value, Timestamp):
        return value.to_json()
    if isinstance(value, str):
        return TIMESTAMP(value)
    raise Invalid(f"expected a Timestamp or RFC 3339 text, got {_short(value)}")


def _short(value: Any) -> str:
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    text = repr(value)
    return text if len(text) <= 120 else text[:100] + "…" + text[-10:]


# --- the model ------------------------------------------------------------------------


class Field(Generic[T]):
    """One wire field, declared once as a class attribute of a ``WireObject``.

    ``check`` validates (and may normalize) the wire value when parsing,
    ``decode(obj, value)`` turns the wire value into the attribute's value,
    ``encode`` turns a constructor argument into the wire value (raising
    ``Invalid`` for a wrong type). The attribute name and the wire name are
    filled in when the class is created.
    """

    __slots__ = ("check", "decode", "encode", "name", "nested", "output_only", "wire")

    def __init__(
        self,
        check: Checker,
        decode: Callable[[WireObject, Any], T],
        encode: Callable[[Any], Any],
        *,
        wire: str | None = None,
        output_only: bool = False,
        nested: type[WireObject] | None = None,
    ) -> None:
        self.check = check
        self.decode = decode
        self.encode = encode
        self.wire = wire or ""
        self.name = ""
        self.output_only = output_only
        self.nested = nested

    def __set_name__(self, owner: type[Any], name: str) -> None:
        self.name = name
        if not self.wire:
            self.wire = snake_to_camel(name)

    @overload
    def __get__(self, obj: None, owner: type[Any]) -> Field[T]: ...
    @overload
    def __get__(self, obj: WireObject, owner: type[Any]) -> T: ...
    def __get__(self, obj: WireObject | None, owner: type[Any]) -> Field[T] | T:
        if obj is None:
            return self
        return self.decode(obj, obj._data.get(self.wire))


def _same(obj: WireObject, value: Any) -> Any:
    return value


def str_field(*, wire: str | None = None, output_only: bool = False) -> Field[str | None]:
    """A string field."""
    return Field(STR, _same, _put_str, wire=wire, output_only=output_only)


def text_field(*, wire: str | None = None) -> Field[str]:
    """A string field read as ``""`` when absent (proto3 omits empty strings)."""
    return Field(STR, lambda obj, value: value or "", _put_str, wire=wire)


def objects_field(*, wire: str | None = None) -> Field[tuple[dict[str, Any], ...]]:
    """A list of free-form JSON objects (``google.protobuf.Any`` details), never re-cased."""

    def encode(value: Any) -> Any:
        if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Iterable):
            raise Invalid(f"expected a list of objects, got {_short(value)}")
        items = []
        for item in value:
            if not isinstance(item, Mapping):
                raise Invalid(f"expected a list of objects, got an item {_short(item)}")
            items.append(dict(item))
        return items or None

    return Field(
        list_of(ANY),
        lambda obj, value: tuple(d for d in value or () if isinstance(d, dict)),
        encode,
        wire=wire,
    )


def bool_field(*, wire: str | None = None) -> Field[bool | None]:
    """A boolean field (``None`` when absent)."""
    return Field(BOOL, _same, _put_bool, wire=wire)


def flag_field(*, wire: str | None = None) -> Field[bool]:
    """A boolean field read as ``False`` when absent (proto3 omits false)."""
    return Field(BOOL, lambda obj, value: value is True, _put_bool, wire=wire)


def _put_int(value: Any) -> Any:
    return strict_int(value)


def _put_int64(value: Any) -> Any:
    return str(strict_int(value))


def int_field(
    *, wire: str | None = None, int64: bool = False, output_only: bool = False
) -> Field[int | None]:
    """An integer field (int64 strings read as ints; ``int64=True`` writes strings)."""
    return Field(
        INT,
        lambda obj, value: as_int(value),
        _put_int64 if int64 else _put_int,
        wire=wire,
        output_only=output_only,
    )


def count_field(*, wire: str | None = None) -> Field[int]:
    """An integer field read as 0 when absent (proto3 omits zero)."""
    return Field(INT, lambda obj, value: as_int(value) or 0, _put_int, wire=wire)


def float_field(*, wire: str | None = None, output_only: bool = False) -> Field[float | None]:
    """A number field."""
    return Field(
        FLOAT, lambda obj, value: as_float(value), _put_float, wire=wire, output_only=output_only
    )


def bytes_field(*, wire: str | None = None) -> Field[bytes | None]:
    """Bytes, base64 text on the wire (decoded on each access)."""
    return Field(
        BYTES, lambda obj, value: None if value is None else b64decode(value), _put_bytes, wire=wire
    )


def data_field(*, wire: str | None = None) -> Field[bytes]:
    """Bytes, base64 text on the wire (decoded on each access), ``b""`` when absent."""
    return Field(
        BYTES, lambda obj, value: b"" if value is None else b64decode(value), _put_bytes, wire=wire
    )


def json_field(*, wire: str | None = None, encode: Callable[[Any], Any] = _put_json) -> Field[Any]:
    """A free-form JSON field, returned as received and never re-cased."""
    return Field(ANY, _same, encode, wire=wire)


def dict_field(
    *, wire: str | None = None, encode: Callable[[Any], Any] = _put_json
) -> Field[dict[str, Any]]:
    """A free-form JSON object, read as ``{}`` when absent."""
    return Field(
        ANY, lambda obj, value: value if isinstance(value, dict) else {}, encode, wire=wire
    )


def str_list_field(*, wire: str | None = None) -> Field[list[str] | None]:
    """A list of strings."""
    return Field(
        list_of(STR),
        lambda obj, value: None if value is None else list(value),
        _put_str_list,
        wire=wire,
    )


def int64_list_field(*, wire: str | None = None) -> Field[tuple[int, ...]]:
    """A list of int64 (decimal strings on the wire, ints here; empty when absent)."""

    def encode(value: Any) -> Any:
        if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
            raise Invalid(f"expected a list of integers, got {_short(value)}")
        return [str(strict_int(item)) for item in value] or None

    return Field(
        list_of(INT), lambda obj, value: tuple(int(v) for v in value or ()), encode, wire=wire
    )


def timestamp_field(
    *, wire: str | None = None, output_only: bool = False
) -> Field[Timestamp | None]:
    """An RFC 3339 ``Timestamp`` (exact to the nanosecond; the text is kept as received)."""
    return Field(
        TIMESTAMP,
        lambda obj, value: None if value is None else Timestamp.parse(value),
        _put_timestamp,
        wire=wire,
        output_only=output_only,
    )


def enum_field(
    cls: type[E], *, wire: str | None = None, output_only: bool = False
) -> Field[E | str | None]:
    """An enum name: a member of ``cls`` when known, else the name as given (never rewritten).

    A server newer than this library may send a name it does not know; it is
    kept, read back as the plain string, and written back unchanged.
    """

    def decode(obj: WireObject, value: Any) -> E | str | None:
        if value is None:
            return None
        try:
            return cls(value)
        except ValueError:
            return str(value)

    def encode(value: Any) -> Any:
        if isinstance(value, cls):
            return value.value
        return _put_str(value)

    return Field(STR, decode, encode, wire=wire, output_only=output_only)


def _put_object(cls: type[W]) -> Callable[[Any], Any]:
    def encode(value: Any) -> Any:
        if not isinstance(value, cls):
            raise Invalid(f"expected a {cls.__name__}, got {_short(value)}")
        return value._data

    return encode


def object_field(
    cls: type[W], *, wire: str | None = None, output_only: bool = False
) -> Field[W | None]:
    """A nested wire object."""

    return Field(
        cls._check,
        lambda obj, value: None if value is None else cls._wrap(value),
        _put_object(cls),
        wire=wire,
        output_only=output_only,
        nested=cls,
    )


def message_field(cls: type[W], *, wire: str | None = None) -> Field[W]:
    """A nested wire object read as an empty one when absent (proto3's default message)."""

    return Field(
        cls._check,
        lambda obj, value: cls._wrap({} if value is None else value),
        _put_object(cls),
        wire=wire,
        nested=cls,
    )


def any_field(cls: type[W], *, wire: str | None = None) -> Field[W | None]:
    """A ``google.protobuf.Any`` holding a ``cls`` (its ``@type`` kept on the wire, not in it)."""

    def decode(obj: WireObject, value: Any) -> W | None:
        if value is None:
            return None
        return cls._wrap({k: v for k, v in value.items() if k != "@type"})

    return Field(cls._check, decode, _put_object(cls), wire=wire, nested=cls)


def list_field(
    cls: type[W], *, wire: str | None = None, output_only: bool = False
) -> Field[list[W]]:
    """A list of nested wire objects (empty when absent)."""

    def encode(value: Any) -> Any:
        if isinstance(value, (str, bytes, Mapping, WireObject)) or not isinstance(value, Iterable):
            raise Invalid(f"expected a list of {cls.__name__}, got {_short(value)}")
        items = []
        for item in value:
            if not isinstance(item, cls):
                raise Invalid(f"expected a list of {cls.__name__}, got an item {_short(item)}")
            items.append(item._data)
        return items

    field: Field[list[W]] = Field(
        list_of(cls._check), _same, encode, wire=wire, output_only=output_only, nested=cls
    )
    field.decode = lambda obj, value: obj._list(field.wire, cls)
    return field


class WireObject:
    """Base of every wire type: an immutable view over one camelCase JSON object.

    Subclasses declare their fields as class attributes (``name = str_field()``);
    the class keeps the registry (``fields()``) the parser and the constructors use.
    """

    __slots__ = ("_cache", "_data")

    #: wire name -> field, in declaration order (filled per class).
    _FIELDS: ClassVar[dict[str, Field[Any]]] = {}
    #: attribute name -> field.
    _BY_NAME: ClassVar[dict[str, Field[Any]]] = {}
    #: wire name -> wire checker: the table the validating walk reads.
    _SPEC: ClassVar[dict[str, Checker]] = {}
    #: snake_case spelling -> wire name, for the names that differ.
    _ALIASES: ClassVar[dict[str, str]] = {}
    #: The path a parse error is reported under when ``from_json`` gets none.
    _PATH: ClassVar[str] = ""
    _data: dict[str, Any]
    _cache: dict[str, Any] | None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        fields: dict[str, Field[Any]] = {}
        for klass in reversed(cls.__mro__):
            for value in vars(klass).values():
                if isinstance(value, Field):
                    fields[value.wire] = value
        cls._FIELDS = fields
        cls._BY_NAME = {f.name: f for f in fields.values()}
        cls._SPEC = {wire: f.check for wire, f in fields.items()}
        cls._ALIASES = {f.name: wire for wire, f in fields.items() if f.name != wire}

    @classmethod
    def fields(cls) -> tuple[Field[Any], ...]:
        """The declared fields, in declaration order.

        >>> from gemini_vision.wire.content import Blob
        >>> [(f.name, f.wire) for f in Blob.fields()]
        [('mime_type', 'mimeType'), ('data', 'data')]
        """
        return tuple(cls._FIELDS.values())

    # --- construction ----------------------------------------------------------

    @classmethod
    def _wrap(cls: type[W], data: dict[str, Any]) -> W:
        """A view over already-checked wire data (no copy, no validation)."""
        obj = object.__new__(cls)
        object.__setattr__(obj, "_data", data)
        object.__setattr__(obj, "_cache", None)
        return obj

    def _build(self, values: Mapping[str, Any]) -> None:
        """For subclass constructors: encode ``values`` (attribute name -> Python value).

        Constructors call ``self._build(locals())``. ``None`` means "not set";
        a value of the wrong type raises ``LocalError`` naming the field by its
        attribute and wire names. ``values["extra"]``, when given, holds wire
        fields the library does not model, kept as given.
        """
        extra = values.get("extra")
        by_name = type(self)._BY_NAME
        data: dict[str, Any] = {}
        for field in type(self)._FIELDS.values():
            value = values.get(field.name)
            if value is None:
                continue
            try:
                data[field.wire] = field.encode(value)
            except Invalid as error:
                raise LocalError(
                    f"{type(self).__name__}.{field.name} ({field.wire}): {error.message}"
                ) from None
            if data[field.wire] is None:
                del data[field.wire]
        unknown = set(values) - set(by_name) - {"self", "__class__", "extra"}
        if unknown:  # a constructor parameter without a field: a bug in this library
            raise TypeError(f"{type(self).__name__}: no field for {sorted(unknown)}")
        if extra:
            for key, value in extra.items():
                if key in type(self)._FIELDS or key in type(self)._ALIASES:
                    raise LocalError(
                        f"{type(self).__name__}.extra: {key!r} is a declared field; pass it by name"
                    )
                data[key] = copy_json(value)
        object.__setattr__(self, "_data", data)
        object.__setattr__(self, "_cache", None)

    @classmethod
    def _check(cls, value: Any) -> Any:
        """Validate (and normalize snake_case keys of) wire data in place."""
        if type(value) is not dict:
            raise Invalid(f"expected an object, got {json_type(value)}")
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
    def from_json(cls: type[W], data: Any, path: str | None = None) -> W:
        """Parse wire JSON (camelCase or snake_case keys) into this type.

        The input is copied, never modified. Raises ``ProtocolError`` naming the
        JSON path of the first problem (under ``path`` when given).
        """
        where = cls._PATH if path is None else path
        try:
            owned = copy_json(data)
        except RecursionError:
            raise ProtocolError("JSON nested too deeply", path=where) from None
        return cls.from_owned_json(owned, where)

    @classmethod
    def from_owned_json(cls: type[W], data: Any, path: str | None = None) -> W:
        """Like ``from_json``, but adopts ``data`` without copying it.

        For JSON the caller has just decoded and hands over: it is validated
        and may be normalized in place (snake_case keys renamed), and the
        object keeps it. Parsing a large response this way costs one walk.

        >>> from gemini_vision.wire.codec import loads
        >>> from gemini_vision.wire.response import CountTokensResponse
        >>> CountTokensResponse.from_owned_json(loads(b'{"total_tokens": 5}')).total_tokens
        5
        """
        where = cls._PATH if path is None else path
        try:
            return cls._wrap(cls._check(data))
        except Invalid as error:
            raise error.to_protocol_error(where) from None
        except RecursionError:
            raise ProtocolError("JSON nested too deeply", path=where) from None

    def to_json(self) -> dict[str, Any]:
        """The wire form (camelCase keys), as a fresh dict the caller may modify."""
        result: dict[str, Any] = copy_json(self._data)
        return result

    def as_json(self) -> Mapping[str, Any]:
        """The wire form itself, without a copy: read it or send it, never modify it.

        >>> from gemini_vision.wire.content import Blob
        >>> Blob("image/png", b"abc").as_json()["data"]
        'YWJj'
        """
        return self._data

    def to_request_json(self) -> dict[str, Any]:
        """The wire form without the output-only fields (at any depth): a request body.

        >>> from gemini_vision.wire.tuned import TunedModel
        >>> TunedModel(name="tunedModels/m", display_name="d").to_request_json()
        {'displayName': 'd'}
        """
        return _strip_output_only(type(self), self._data)

    def replace(self: W, **changes: Any) -> W:
        """A copy with the named fields changed (``None`` unsets one); checked like a constructor.

        >>> from gemini_vision.wire.tuned import TunedModel
        >>> TunedModel(display_name="a", top_k=3).replace(display_name="b").to_json()
        {'displayName': 'b', 'topK': 3}
        """
        data = dict(self._data)
        by_name = type(self)._BY_NAME
        for name, value in changes.items():
            field = by_name.get(name)
            if field is None:
                raise LocalError(f"{type(self).__name__} has no field {name!r}")
            data.pop(field.wire, None)
            if value is None:
                continue
            try:
                encoded = field.encode(value)
            except Invalid as error:
                raise LocalError(
                    f"{type(self).__name__}.{field.name} ({field.wire}): {error.message}"
                ) from None
            if encoded is not None:
                data[field.wire] = encoded
        # Key order: the fields in declaration order, then the unknown ones as received.
        order = {wire: i for i, wire in enumerate(type(self)._FIELDS)}
        ordered = dict(sorted(data.items(), key=lambda kv: order.get(kv[0], len(order))))
        return type(self)._wrap(ordered)

    # --- access ----------------------------------------------------------------

    def _cached(self, key: str, make: Callable[[], Any]) -> Any:
        cache = self._cache
        if cache is None:
            cache = {}
            object.__setattr__(self, "_cache", cache)
        if key not in cache:
            cache[key] = make()
        return cache[key]

    def _list(self, key: str, cls: type[W]) -> list[W]:
        def make() -> list[W]:
            return [cls._wrap(v) for v in self._data.get(key) or ()]

        return list(self._cached(key, make))

    @property
    def extra(self) -> dict[str, Any]:
        """Fields the library does not know, as received (kept for the round trip)."""
        return {k: v for k, v in self._data.items() if k not in self._FIELDS}

    def _fields(self) -> Iterator[tuple[str, Any]]:
        for wire, field in self._FIELDS.items():
            if self._data.get(wire) is not None:
                yield field.name, getattr(self, field.name)

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        assert isinstance(other, WireObject)
        return self._data == other._data

    __hash__ = None  # type: ignore[assignment]

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(
            f"{type(self).__name__} is immutable; use replace(), or edit to_json() "
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


def _strip_output_only(cls: type[WireObject], data: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        field = cls._FIELDS.get(key)
        if field is None:
            out[key] = copy_json(value)
        elif field.output_only:
            continue
        elif field.nested is not None and type(value) is dict:
            out[key] = _strip_output_only(field.nested, value)
        elif field.nested is not None and type(value) is list:
            nested = field.nested
            out[key] = [
                _strip_output_only(nested, v) if type(v) is dict else copy_json(v) for v in value
            ]
        else:
            out[key] = copy_json(value)
    return out
