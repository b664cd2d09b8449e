"""The official SDK's objects (google-genai) in and out, through its own JSON form.

Services that embed this library often hold google-genai values already: a
``types.GenerateContentResponse``, its ``model_dump()`` (Python objects: enum
members, ``bytes``, ``datetime``) or ``model_dump(mode="json")`` (snake_case
keys), a ``types.Part``, ``Content``, ``GenerateContentConfig``, ``Tool`` or
``SafetySetting``. Everything here turns such a value into wire JSON (the form
``from_json`` of every wire type reads), by the SDK's own serializer
(``model_dump(by_alias=True, exclude_none=True)``), never by reading its
attributes one by one.

google-genai is never imported here: an SDK object is recognised by the
module of its type (``google.genai.types``), so this module (and the sans-I/O
core that uses it) costs nothing to users without the SDK. ``to_sdk`` imports
it, because the caller asked for one of its types.

>>> import enum
>>> class FinishReason(str, enum.Enum):
...     STOP = "STOP"
>>> plain_json({"finish_reason": FinishReason.STOP, "thought_signature": b"\\x01", "x": None})
{'finish_reason': 'STOP', 'thought_signature': 'AQ=='}
>>> is_sdk_object({"text": "hi"})
False
"""

from __future__ import annotations

import base64
import datetime
import enum
from collections.abc import Mapping
from typing import Any

from gemini_vision.errors import LocalError

__all__ = ["SDK_ONLY_KEYS", "from_sdk", "is_sdk_object", "plain_json", "to_sdk"]

#: Keys google-genai adds to its objects that are not part of the wire format:
#: the HTTP answer it came in, its automatic-function-calling log, the parsed
#: ``response_schema`` value. Both spellings, since a ``model_dump()`` is snake_case.
SDK_ONLY_KEYS = frozenset(
    {
        "sdkHttpResponse",
        "sdk_http_response",
        "automaticFunctionCallingHistory",
        "automatic_function_calling_history",
        "parsed",
    }
)

# How deep plain_json follows a structure (a response is a handful of levels; a
# cycle or hostile nesting must end in an error, not a RecursionError).
_MAX_DEPTH = 200


def is_sdk_object(value: Any) -> bool:
    """Whether ``value`` is a google-genai model object (by its type's module; no import).

    >>> class Fake:
    ...     def model_dump(self, **kw): return {}
    >>> Fake.__module__ = "google.genai.types"
    >>> is_sdk_object(Fake()), is_sdk_object("text")
    (True, False)
    """
    module = type(value).__module__ or ""
    return (module == "google.genai" or module.startswith("google.genai.")) and callable(
        getattr(value, "model_dump", None)
    )


def from_sdk(value: Any) -> Any:
    """The wire JSON (camelCase keys) of a google-genai object.

    Raises:
        LocalError: ``value`` is not a google-genai object, or its dump fails.

    >>> class Part:
    ...     def model_dump(self, **kw):
    ...         assert kw == {"by_alias": True, "exclude_none": True}
    ...         return {"inlineData": {"data": b"hi", "mimeType": "text/plain"}}
    >>> Part.__module__ = "google.genai.types"
    >>> from_sdk(Part())
    {'inlineData': {'data': 'aGk=', 'mimeType': 'text/plain'}}
    """
    if not is_sdk_object(value):
        raise LocalError(f"expected a google-genai object, got {type(value).__name__}")
    try:
        dumped = value.model_dump(by_alias=True, exclude_none=True)
    except Exception as exc:  # the SDK's own serializer failed: say which object
        raise LocalError(f"cannot serialize the {type(value).__name__}: {exc}") from exc
    return plain_json(dumped)


def plain_json(value: Any, _depth: int = 0) -> Any:
    """``value`` as plain JSON: what a ``model_dump()`` holds, in wire form.

    Enum members become their values, ``bytes`` standard base64, ``datetime``
    RFC 3339 text (UTC ``Z``), tuples lists; ``None`` members and the SDK's
    own keys (``SDK_ONLY_KEYS``) are dropped. Keys are kept as they are
    (snake_case keys of typed fields are read by ``from_json``). google-genai
    objects nested inside are dumped too.

    Raises:
        LocalError: a value that has no JSON form (the path names it).

    >>> import datetime
    >>> plain_json({"create_time": datetime.datetime(2025, 1, 2, tzinfo=datetime.timezone.utc)})
    {'create_time': '2025-01-02T00:00:00Z'}
    >>> plain_json({"a": [object()]})
    Traceback (most recent call last):
    ...
    gemini_vision.errors.LocalError: a[0]: a value of type object has no JSON form
    """
    try:
        return _plain(value, _depth)
    except _NoJson as exc:
        path = "".join(reversed(exc.path)).lstrip(".")
        raise LocalError(f"{path}: {exc.args[0]}" if path else exc.args[0]) from None


class _NoJson(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.path: list[str] = []


def _plain(value: Any, depth: int) -> Any:
    if depth > _MAX_DEPTH:
        raise _NoJson(f"nested more than {_MAX_DEPTH} levels deep")
    if value is None or type(value) in (str, int, float, bool):
        return value
    if isinstance(value, enum.Enum):
        return _plain(value.value, depth + 1)
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key, element in value.items():
            if element is None or key in SDK_ONLY_KEYS:
                continue
            try:
                out[str(key)] = _plain(element, depth + 1)
            except _NoJson as exc:
                exc.path.append(f".{key}")
                raise
        return out
    if isinstance(value, (list, tuple)):
        items = []
        for index, element in enumerate(value):
            try:
                items.append(_plain(element, depth + 1))
            except _NoJson as exc:
                exc.path.append(f"[{index}]")
                raise
        return items
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, datetime.datetime):
        return _rfc3339(value)
    if isinstance(value, str):  # a str subclass that is not an enum
        return str(value)
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, (int, float)):
        return value
    if is_sdk_object(value):
        return from_sdk(value)
    raise _NoJson(f"a value of type {type(value).__name__} has no JSON form")


def _rfc3339(moment: datetime.datetime) -> str:
    if moment.tzinfo is not None:
        moment = moment.astimezone(datetime.timezone.utc).replace(tzinfo=None)
    return moment.isoformat() + "Z"


def to_sdk(value: Any, type_name: str | None = None) -> Any:
    """Our wire object as the google-genai type of the same name (imports google-genai).

    ``value`` is any of this library's wire types (``GenerateContentResponse``,
    ``Content``, ``Part``, ``File``...) or a wire JSON dict (then give
    ``type_name``). The SDK reads our JSON with its own parser
    (``model_validate_json``), so base64 fields become ``bytes`` and enum names
    its enums, exactly as when the SDK reads the server's answer.

    Raises:
        LocalError: google-genai is not installed, has no such type, or refuses the JSON.
    """
    to_json = getattr(value, "to_json", None)
    if callable(to_json):
        data = to_json()
        name = type_name or type(value).__name__
    elif isinstance(value, Mapping):
        if type_name is None:
            raise LocalError("to_sdk: a dict needs type_name= (e.g. 'GenerateContentResponse')")
        data, name = plain_json(value), type_name
    else:
        raise LocalError(f"to_sdk: expected a wire object or a dict, got {type(value).__name__}")
    try:
        from google.genai import types  # the caller asked for one of its types
    except ImportError as exc:
        raise LocalError("to_sdk needs google-genai (pip install google-genai)") from exc
    cls = getattr(types, name, None)
    if cls is None or not hasattr(cls, "model_validate_json"):
        raise LocalError(f"to_sdk: google-genai has no type {name!r}")
    import json

    try:
        return cls.model_validate_json(json.dumps(data))
    except ValueError as exc:  # pydantic's ValidationError is a ValueError
        raise LocalError(f"to_sdk: google-genai refuses the {name}: {exc}") from exc
