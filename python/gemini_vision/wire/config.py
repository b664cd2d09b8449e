"""Request configuration (W3): generation config, safety settings, tools, tool config.

Free-form JSON is never re-cased: a ``response_schema`` or a function's
``parameters`` may be a plain dict (sent untouched) or a ``Schema`` (an
OpenAPI-style helper whose ``to_json`` produces the dict).

>>> GenerationConfig(temperature=0.2, max_output_tokens=100,
...                  thinking_config=ThinkingConfig(thinking_budget=0)).to_json()
{'maxOutputTokens': 100, 'temperature': 0.2, 'thinkingConfig': {'thinkingBudget': 0}}
>>> Tool(function_declarations=[FunctionDeclaration("f", parameters={"type": "object"})]).to_json()
{'functionDeclarations': [{'name': 'f', 'parameters': {'type': 'object'}}]}
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Union

from gemini_vision.wire.model import (
    ANY,
    Field,
    WireObject,
    bool_field,
    dict_field,
    float_field,
    int_field,
    json_field,
    list_field,
    object_field,
    str_field,
    str_list_field,
)

__all__ = [
    "FunctionCallingConfig",
    "FunctionDeclaration",
    "GenerationConfig",
    "SafetySetting",
    "Schema",
    "SchemaLike",
    "ThinkingConfig",
    "Tool",
    "ToolConfig",
]


def _schema_json(value: SchemaLike | None) -> Any:
    if value is None:
        return None
    if isinstance(value, Schema):
        return value.to_json()
    return dict(value)


def _schema_map(value: Mapping[str, SchemaLike]) -> dict[str, Any]:
    return {k: _schema_json(v) for k, v in value.items()}


def _schema_list(value: Sequence[SchemaLike]) -> list[Any]:
    return [_schema_json(s) for s in value]


class Schema(WireObject):
    """An OpenAPI 3.0 schema subset, as the API takes it for parameters and JSON output.

    >>> Schema(type="OBJECT", properties={"recipe_name": Schema(type="STRING")}).to_json()
    {'type': 'OBJECT', 'properties': {'recipe_name': {'type': 'STRING'}}}
    """

    __slots__ = ()

    #: ``STRING``, ``NUMBER``, ``INTEGER``, ``BOOLEAN``, ``ARRAY``, ``OBJECT``.
    type = str_field()
    format = str_field()
    title = str_field()
    description = str_field()
    nullable = bool_field()
    enum = str_list_field()
    #: The schema of an array's items (JSON, never re-cased).
    items = json_field(encode=_schema_json)
    #: Property name -> schema JSON (names are free-form, never re-cased).
    properties = dict_field(encode=_schema_map)
    required = str_list_field()
    property_ordering = str_list_field()
    min_items = int_field()
    max_items = int_field()
    minimum = float_field()
    maximum = float_field()
    any_of = json_field(encode=_schema_list)
    default = json_field()
    example = json_field()

    def __init__(
        self,
        type: str | None = None,
        *,
        format: str | None = None,
        title: str | None = None,
        description: str | None = None,
        nullable: bool | None = None,
        enum: Sequence[str] | None = None,
        items: SchemaLike | None = None,
        properties: Mapping[str, SchemaLike] | None = None,
        required: Sequence[str] | None = None,
        property_ordering: Sequence[str] | None = None,
        min_items: int | None = None,
        max_items: int | None = None,
        minimum: float | None = None,
        maximum: float | None = None,
        any_of: Sequence[SchemaLike] | None = None,
        default: Any = None,
        example: Any = None,
    ) -> None:
        self._build(locals())


SchemaLike = Union[Schema, Mapping[str, Any]]  # noqa: UP007 (runtime alias on 3.10)


class ThinkingConfig(WireObject):
    """How much the model may think, and whether to return its thoughts."""

    __slots__ = ()

    #: Whether thought summaries come back as ``thought`` parts.
    include_thoughts = bool_field()
    #: Token budget for thinking (0 off, -1 dynamic).
    thinking_budget = int_field()
    #: ``LOW``/``HIGH`` on the models that take a level instead of a budget.
    thinking_level = str_field()

    def __init__(
        self,
        *,
        thinking_budget: int | None = None,
        include_thoughts: bool | None = None,
        thinking_level: str | None = None,
    ) -> None:
        self._build(locals())


class GenerationConfig(WireObject):
    """Options for generation. Every field is optional; unset fields are not sent."""

    __slots__ = ()

    stop_sequences = str_list_field()
    response_mime_type = str_field()
    response_schema = json_field(encode=_schema_json)
    response_json_schema = json_field()
    response_modalities = str_list_field()
    candidate_count = int_field()
    max_output_tokens = int_field()
    temperature = float_field()
    top_p = float_field()
    top_k = int_field()
    seed = int_field()
    presence_penalty = float_field()
    frequency_penalty = float_field()
    response_logprobs = bool_field()
    logprobs = int_field()
    thinking_config = object_field(ThinkingConfig)
    media_resolution = str_field()
    speech_config = json_field()

    def __init__(
        self,
        *,
        stop_sequences: Sequence[str] | None = None,
        response_mime_type: str | None = None,
        response_schema: SchemaLike | None = None,
        response_modalities: Sequence[str] | None = None,
        candidate_count: int | None = None,
        max_output_tokens: int | None = None,
        temperature: float | None = None,
        top_p: float | None = None,
        top_k: int | None = None,
        seed: int | None = None,
        presence_penalty: float | None = None,
        frequency_penalty: float | None = None,
        thinking_config: ThinkingConfig | None = None,
        media_resolution: str | None = None,
    ) -> None:
        self._build(locals())


class SafetySetting(WireObject):
    """Block threshold for one harm category; at most one setting per category."""

    __slots__ = ()

    #: e.g. ``HARM_CATEGORY_HARASSMENT``.
    category = str_field()

    #: e.g. ``BLOCK_ONLY_HIGH``.
    threshold = str_field()

    def __init__(self, category: str, threshold: str) -> None:
        self._build(locals())


class FunctionDeclaration(WireObject):
    """A function the model may call: name, description, parameter schema."""

    __slots__ = ()

    name = str_field()
    description = str_field()
    behavior = str_field()
    parameters = json_field(encode=_schema_json)
    parameters_json_schema = json_field()
    response = json_field(encode=_schema_json)
    response_json_schema = json_field()

    def __init__(
        self,
        name: str,
        description: str | None = None,
        parameters: SchemaLike | None = None,
        *,
        response: SchemaLike | None = None,
    ) -> None:
        self._build(locals())


def _flag(value: bool | Mapping[str, Any] | None) -> dict[str, Any] | None:
    # Tools without options are switched on by an empty object: {"codeExecution": {}}.
    if value is None or value is False:
        return None
    return {} if value is True else dict(value)


class Tool(WireObject):
    """Tools the model may use: function declarations, code execution, search."""

    __slots__ = ()

    #: The declared functions.
    function_declarations = list_field(FunctionDeclaration)
    #: Whether the code-execution tool is on.
    code_execution: Field[bool] = Field(ANY, lambda obj, value: value is not None, _flag)
    google_search = json_field(encode=_flag)
    google_search_retrieval = json_field()
    url_context = json_field()

    def __init__(
        self,
        *,
        function_declarations: Iterable[FunctionDeclaration] | None = None,
        code_execution: bool | Mapping[str, Any] | None = None,
        google_search: bool | Mapping[str, Any] | None = None,
    ) -> None:
        self._build(locals())


class FunctionCallingConfig(WireObject):
    """``mode`` AUTO / ANY / NONE (/ VALIDATED) and, with ANY, the allowed names."""

    __slots__ = ()

    mode = str_field()
    allowed_function_names = str_list_field()

    def __init__(self, mode: str, allowed_function_names: Sequence[str] | None = None) -> None:
        self._build(locals())


class ToolConfig(WireObject):
    """Configuration shared by the request's tools."""

    __slots__ = ()

    function_calling_config = object_field(FunctionCallingConfig)
    retrieval_config = json_field()

    def __init__(self, function_calling_config: FunctionCallingConfig | None = None) -> None:
        self._build(locals())
