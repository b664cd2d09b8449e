"""Content and its parts (W3): what the user and the model say to each other.

A ``Part`` holds one piece of data (text, inline bytes, a file reference, a
function call or response, code and its result), optionally marked as a
thought and carrying a thought signature. Plain values are accepted wherever a
part is expected (``to_part``): a ``str`` becomes a text part; a dict is read as
wire JSON; any other value goes to the converter registered for its type
(``register_part_converter``). ``gemini_vision.images`` registers the one for
images (bytes, a path, a ``PIL.Image``, a NumPy array) when it is imported, so
this module never imports the layer above it and stays free of NumPy and Pillow.

>>> c = Content(role="user", parts=["Describe this.", Part.from_bytes(b"\\x89PNG", "image/png")])
>>> c.to_json()
{'role': 'user', 'parts': [{'text': 'Describe this.'}, {'inlineData': {'mimeType': 'image/png', 'data': 'iVBORw=='}}]}
>>> Content.from_json(c.to_json()).parts[1].inline_data.data
b'\\x89PNG'
"""  # noqa: E501

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, Union

from gemini_vision.errors import LocalError
from gemini_vision.wire.model import (
    WireObject,
    bytes_field,
    data_field,
    dict_field,
    flag_field,
    list_field,
    object_field,
    str_field,
)
from gemini_vision.wire.sdk import from_sdk, is_sdk_object

__all__ = [
    "Blob",
    "CodeExecutionResult",
    "Content",
    "ContentLike",
    "ExecutableCode",
    "FileData",
    "FunctionCall",
    "FunctionResponse",
    "Part",
    "PartLike",
    "register_part_converter",
    "to_content",
    "to_contents",
    "to_part",
]


class Blob(WireObject):
    """Inline bytes with their MIME type (``inlineData``); base64 on the wire.

    >>> Blob("image/png", b"abc").to_json()
    {'mimeType': 'image/png', 'data': 'YWJj'}
    """

    __slots__ = ()

    #: The IANA MIME type, e.g. ``image/jpeg``.
    mime_type = str_field()

    def __init__(self, mime_type: str, data: bytes) -> None:
        self._build(locals())

    #: The raw bytes (decoded from base64 on each access).
    data = data_field()


class FileData(WireObject):
    """A reference to an uploaded file (``fileData``)."""

    __slots__ = ()

    #: The file's MIME type (optional on the wire).
    mime_type = str_field()

    #: The file URI, e.g. ``https://generativelanguage.googleapis.com/v1beta/files/abc``.
    file_uri = str_field()

    def __init__(self, file_uri: str, mime_type: str | None = None) -> None:
        self._build(locals())


class FunctionCall(WireObject):
    """The model asks to call ``name`` with ``args`` (free-form JSON, untouched)."""

    __slots__ = ()

    #: The call id, when the model gave one.
    id = str_field()

    #: The function name.
    name = str_field()

    #: The arguments, exactly as sent (keys not re-cased; ``{}`` when absent).
    args = dict_field()

    def __init__(self, name: str, args: Mapping[str, Any] | None = None, id: str | None = None):
        self._build(locals())


class FunctionResponse(WireObject):
    """The result of a function call, sent back to the model (free-form JSON)."""

    __slots__ = ()

    #: The id of the call this answers.
    id = str_field()

    #: The function name.
    name = str_field()

    #: The function's result, exactly as given.
    response = dict_field()

    def __init__(self, name: str, response: Mapping[str, Any], id: str | None = None) -> None:
        self._build(locals())


class ExecutableCode(WireObject):
    """Code the model wrote for the code-execution tool."""

    __slots__ = ()

    #: ``PYTHON`` (the only language the API documents).
    language = str_field()

    #: The source code.
    code = str_field()

    def __init__(self, code: str, language: str = "PYTHON") -> None:
        self._build(locals())


class CodeExecutionResult(WireObject):
    """The outcome (``OUTCOME_OK``, ``OUTCOME_FAILED``...) and output of executed code."""

    __slots__ = ()

    #: The outcome enum name.
    outcome = str_field()

    #: stdout, or the error description.
    output = str_field()

    def __init__(self, outcome: str, output: str | None = None) -> None:
        self._build(locals())


_DATA_FIELDS = (
    "text",
    "inlineData",
    "fileData",
    "functionCall",
    "functionResponse",
    "executableCode",
    "codeExecutionResult",
)


class Part(WireObject):
    """One part of a ``Content``: exactly one data member, plus thought flags.

    >>> Part(text="hi", thought=True).to_json()
    {'text': 'hi', 'thought': True}
    >>> Part(text="a", file_data=FileData("u"))
    Traceback (most recent call last):
    ...
    gemini_vision.errors.LocalError: a Part holds one data member, got text and file_data
    """

    __slots__ = ()

    #: The text, for a text part.
    text = str_field()
    #: Inline bytes.
    inline_data = object_field(Blob)
    #: A file reference.
    file_data = object_field(FileData)
    #: A function call the model asks for.
    function_call = object_field(FunctionCall)
    #: A function result.
    function_response = object_field(FunctionResponse)
    #: Code written by the model.
    executable_code = object_field(ExecutableCode)
    #: The result of running that code.
    code_execution_result = object_field(CodeExecutionResult)
    #: Whether this part is the model's reasoning rather than its answer.
    thought = flag_field()
    #: Opaque signature to send back with the thought in later turns.
    thought_signature = bytes_field()

    def __init__(
        self,
        *,
        text: str | None = None,
        inline_data: Blob | None = None,
        file_data: FileData | None = None,
        function_call: FunctionCall | None = None,
        function_response: FunctionResponse | None = None,
        executable_code: ExecutableCode | None = None,
        code_execution_result: CodeExecutionResult | None = None,
        thought: bool | None = None,
        thought_signature: bytes | None = None,
    ) -> None:
        members = {
            "text": text,
            "inline_data": inline_data,
            "file_data": file_data,
            "function_call": function_call,
            "function_response": function_response,
            "executable_code": executable_code,
            "code_execution_result": code_execution_result,
        }
        given = [name for name, value in members.items() if value is not None]
        if len(given) > 1:
            raise LocalError(f"a Part holds one data member, got {' and '.join(given)}")
        self._build({**members, "thought": thought, "thought_signature": thought_signature})

    @classmethod
    def from_text(cls, text: str) -> Part:
        """A text part."""
        return cls(text=text)

    @classmethod
    def from_bytes(cls, data: bytes, mime_type: str) -> Part:
        """An inline-data part (bytes are sent base64-encoded)."""
        return cls(inline_data=Blob(mime_type, data))

    @classmethod
    def from_uri(cls, file_uri: str, mime_type: str | None = None) -> Part:
        """A file-data part referencing an uploaded file."""
        return cls(file_data=FileData(file_uri, mime_type))

    @classmethod
    def from_function_response(cls, name: str, response: Mapping[str, Any]) -> Part:
        """A function-response part."""
        return cls(function_response=FunctionResponse(name, response))

    @property
    def kind(self) -> str | None:
        """Which data member is set (``"text"``, ``"inline_data"``...), or None.

        >>> Part.from_uri("u").kind
        'file_data'
        """
        for name in _DATA_FIELDS:
            if self._data.get(name) is not None:
                return _SNAKE[name]
        return None


_SNAKE = {
    name: "".join("_" + c.lower() if c.isupper() else c for c in name) for name in _DATA_FIELDS
}


class Content(WireObject):
    """A turn of the conversation: a role (``user``/``model``/...) and its parts.

    >>> Content(parts="hello").to_json()
    {'parts': [{'text': 'hello'}]}
    """

    __slots__ = ()

    #: ``user``, ``model`` (or ``function``/``system`` in older samples).
    role = str_field()
    #: The parts, in order.
    parts = list_field(Part)

    def __init__(self, parts: PartLike | Iterable[PartLike] = (), role: str | None = None) -> None:
        # Only lists and tuples are several parts: an array or a PIL image is
        # iterable too, but it is one image.
        if not isinstance(parts, (list, tuple)):
            parts = [parts]
        self._build({"role": role, "parts": [to_part(p) for p in parts]})


# Runtime aliases (X | Y between classes needs Python 3.10 at import time: fine, but
# Mapping[...] | Any is not evaluable everywhere), hence Union.
PartLike = Union[Part, str, FileData, Blob, FunctionCall, FunctionResponse, Mapping[str, Any], Any]  # noqa: UP007
ContentLike = Union[Content, PartLike, Iterable[PartLike]]  # noqa: UP007

_CONVERTERS: dict[type, Callable[[Any], Part]] = {}


def register_part_converter(cls: type, convert: Callable[[Any], Part]) -> None:
    """Teach ``to_part`` a new input type (and its subclasses; the nearest class wins).

    Registering ``object`` sets the fallback for values no other rule takes:
    ``gemini_vision.images`` does that for images.

    >>> class Note:
    ...     def __init__(self, s): self.s = s
    >>> register_part_converter(Note, lambda n: Part(text=n.s))
    >>> to_part(Note("x")).text
    'x'
    """
    _CONVERTERS[cls] = convert


def to_part(value: PartLike) -> Part:
    """Turn a plain value into a ``Part``.

    ``str`` -> text; ``Part`` as is; ``Blob``/``FileData``/``FunctionCall``/
    ``FunctionResponse`` wrapped; a dict read as wire JSON; google-genai's
    ``types.Part`` (and ``types.File``, as a file reference) read through its
    JSON form; anything else goes to the converter registered for its class or
    nearest base class (images, once ``gemini_vision.images`` is imported:
    bytes, paths, PIL images, arrays).

    >>> to_part("hi").to_json(), to_part({"file_data": {"file_uri": "u"}}).to_json()
    ({'text': 'hi'}, {'fileData': {'fileUri': 'u'}})
    """
    if isinstance(value, Part):
        return value
    if isinstance(value, str):
        return Part(text=value)
    if is_sdk_object(value):
        return _sdk_part(from_sdk(value), type(value).__name__)
    if isinstance(value, Blob):
        return Part(inline_data=value)
    if isinstance(value, FileData):
        return Part(file_data=value)
    if isinstance(value, FunctionCall):
        return Part(function_call=value)
    if isinstance(value, FunctionResponse):
        return Part(function_response=value)
    if isinstance(value, Mapping):
        return Part.from_json(dict(value))
    for cls in type(value).__mro__:
        convert = _CONVERTERS.get(cls)
        if convert is not None:
            return convert(value)
    raise LocalError(
        f"cannot use a {type(value).__name__} as a Part: pass text, a Part, or an image "
        "(images are converted once gemini_vision.images is imported)"
    )


def _sdk_part(data: dict[str, Any], kind: str) -> Part:
    """A ``Part`` from the JSON of a google-genai Part (or File: a reference to it)."""
    if kind == "File" and "uri" in data:
        return Part(file_data=FileData(data["uri"], data.get("mimeType")))
    if "parts" in data or "role" in data:
        raise LocalError(f"expected a part, got a google-genai {kind} (a whole Content)")
    return Part.from_json(data)


def to_content(value: ContentLike, role: str | None = None) -> Content:
    """One ``Content``: a ``Content`` as is, else the value's parts under ``role``.

    The role is left out unless given: the API takes an unset role as the
    user's, and single-turn requests in the documentation send none.

    >>> to_content(["a", "b"]).to_json()
    {'parts': [{'text': 'a'}, {'text': 'b'}]}
    """
    if isinstance(value, Content):
        return value
    if is_sdk_object(value):
        data = from_sdk(value)
        if "parts" in data or "role" in data:  # a types.Content
            return Content.from_json(data)
        return Content([value], role=role)  # a types.Part or File: one part
    if isinstance(value, Mapping) and ("parts" in value or "role" in value):
        return Content.from_json(dict(value))
    return Content(value, role=role)


def to_contents(value: ContentLike | Iterable[ContentLike]) -> list[Content]:
    """The ``contents`` of a request from what a user would naturally pass.

    A string, a part or an image is one user turn; a list (or tuple) of
    ``Content`` is a conversation; a list of plain parts is one user turn with
    several parts.

    >>> [c.role for c in to_contents("hi")], len(to_contents(["a", "b"])[0].parts)
    ([None], 2)
    """
    if not isinstance(value, (list, tuple)):
        return [to_content(value)]
    items = list(value)
    if not items:
        return []
    if all(_is_content(v) for v in items):
        return [to_content(v) for v in items]
    return [to_content(items)]


def _is_content(value: Any) -> bool:
    """A whole turn: ours, its wire dict, or google-genai's ``types.Content``."""
    if isinstance(value, Content):
        return True
    if isinstance(value, Mapping):
        return "parts" in value
    return is_sdk_object(value) and type(value).__name__ == "Content"
