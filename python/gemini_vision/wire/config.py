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
from typing import Any, ClassVar, Union

from gemini_vision.wire.json import (
    ANY,
    BOOL,
    FLOAT,
    INT,
    STR,
    Checker,
    WireObject,
    as_int,
    bool_field,
    float_field,
    int_field,
    json_field,
    list_of,
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


class Schema(WireObject):
    """An OpenAPI 3.0 schema subset, as the API takes it for parameters and JSON output.

    >>> Schema(type="OBJECT", properties={"recipe_name": Schema(type="STRING")}).to_json()
    {'type': 'OBJECT', 'properties': {'recipe_name': {'type': 'STRING'}}}
    """

    __slots__ = ()
    _SPEC: ClassVar[Mapping[str, Checker]] = {
        "type": STR,
        "format": STR,
        "title": STR,
        "description": STR,
        "nullable": BOOL,
        "enum": list_of(STR),
        "items": ANY,
        "properties": ANY,
        "required": list_of(STR),
        "propertyOrdering": list_of(STR),
        "minItems": INT,
        "maxItems": INT,
        "minimum": FLOAT,
        "maximum": FLOAT,
        "anyOf": ANY,
        "default": ANY,
        "example": ANY,
    }

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
        self._init(
            {
                "type": type,
                "format": format,
                "title": title,
                "description": description,
                "nullable": nullable,
                "enum": None if enum is None else list(enum),
                "items": _schema_json(items),
                "properties": None
                if properties is None
                else {k: _schema_json(v) for k, v in properties.items()},
                "required": None if required is None else list(required),
                "propertyOrdering": None if property_ordering is None else list(property_ordering),
                "minItems": min_items,
                "maxItems": max_items,
                "minimum": minimum,
                "maximum": maximum,
                "anyOf": None if any_of is None else [_schema_json(s) for s in any_of],
                "default": default,
                "example": example,
            }
        )

    #: ``STRING``, ``NUMBER``, ``INTEGER``, ``BOOLEAN``, ``ARRAY``, ``OBJECT``.
    type = str_field("type")

    @property
    def properties(self) -> dict[str, Any]:
        """Property name -> schema JSON (names are free-form, never re-cased)."""
        value = self._data.get("properties")
        return value if isinstance(value, dict) else {}


SchemaLike = Union[Schema, Mapping[str, Any]]  # noqa: UP007 (runtime alias on 3.10)


class ThinkingConfig(WireObject):
    """How much the model may think, and whether to return its thoughts."""

    __slots__ = ()
    _SPEC: ClassVar[Mapping[str, Checker]] = {
        "includeThoughts": BOOL,
        "thinkingBudget": INT,
        "thinkingLevel": STR,
    }

    def __init__(
        self,
        *,
        thinking_budget: int | None = None,
        include_thoughts: bool | None = None,
        thinking_level: str | None = None,
    ) -> None:
        self._init(
            {
                "includeThoughts": include_thoughts,
                "thinkingBudget": thinking_budget,
                "thinkingLevel": thinking_level,
            }
        )

    @property
    def thinking_budget(self) -> int | None:
        """Token budget for thinking (0 off, -1 dynamic)."""
        return as_int(self._data.get("thinkingBudget"))

    #: Whether thought summaries come back as ``thought`` parts.
    include_thoughts = bool_field("includeThoughts")


class GenerationConfig(WireObject):
    """Options for generation. Every field is optional; unset fields are not sent."""

    __slots__ = ()
    _SPEC: ClassVar[Mapping[str, Checker]] = {
        "stopSequences": list_of(STR),
        "responseMimeType": STR,
        "responseSchema": ANY,
        "responseJsonSchema": ANY,
        "responseModalities": list_of(STR),
        "candidateCount": INT,
        "maxOutputTokens": INT,
        "temperature": FLOAT,
        "topP": FLOAT,
        "topK": INT,
        "seed": INT,
        "presencePenalty": FLOAT,
        "frequencyPenalty": FLOAT,
        "responseLogprobs": BOOL,
        "logprobs": INT,
        "thinkingConfig": ThinkingConfig._check,
        "mediaResolution": STR,
        "speechConfig": ANY,
    }

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
        self._init(
            {
                "stopSequences": None if stop_sequences is None else list(stop_sequences),
                "responseMimeType": response_mime_type,
                "responseSchema": _schema_json(response_schema),
                "responseModalities": None
                if response_modalities is None
                else list(response_modalities),
                "candidateCount": candidate_count,
                "maxOutputTokens": max_output_tokens,
                "temperature": temperature,
                "topP": top_p,
                "topK": top_k,
                "seed": seed,
                "presencePenalty": presence_penalty,
                "frequencyPenalty": frequency_penalty,
                "thinkingConfig": None if thinking_config is None else thinking_config._data,
                "mediaResolution": media_resolution,
            }
        )

    stop_sequences = str_list_field("stopSequences")
    response_mime_type = str_field("responseMimeType")
    response_schema = json_field("responseSchema")
    response_modalities = str_list_field("responseModalities")
    candidate_count = int_field("candidateCount")
    max_output_tokens = int_field("maxOutputTokens")
    temperature = float_field("temperature")
    top_p = float_field("topP")
    top_k = int_field("topK")
    seed = int_field("seed")
    presence_penalty = float_field("presencePenalty")
    frequency_penalty = float_field("frequencyPenalty")
    thinking_config = object_field("thinkingConfig", ThinkingConfig)
    media_resolution = str_field("mediaResolution")


class SafetySetting(WireObject):
    """Block threshold for one harm category; at most one setting per category."""

    __slots__ = ()
    _SPEC: ClassVar[Mapping[str, Checker]] = {"category": STR, "threshold": STR}

    def __init__(self, category: str, threshold: str) -> None:
        self._init({"category": category, "threshold": threshold})

    #: e.g. ``HARM_CATEGORY_HARASSMENT``.
    category = str_field("category")

    #: e.g. ``BLOCK_ONLY_HIGH``.
    threshold = str_field("threshold")


class FunctionDeclaration(WireObject):
    """A function the model may call: name, description, parameter schema."""

    __slots__ = ()
    _SPEC: ClassVar[Mapping[str, Checker]] = {
        "name": STR,
        "description": STR,
        "behavior": STR,
        "parameters": ANY,
        "parametersJsonSchema": ANY,
        "response": ANY,
        "responseJsonSchema": ANY,
    }

    def __init__(
        self,
        name: str,
        description: str | None = None,
        parameters: SchemaLike | None = None,
        *,
        response: SchemaLike | None = None,
    ) -> None:
        self._init(
            {
                "name": name,
                "description": description,
                "parameters": _schema_json(parameters),
                "response": _schema_json(response),
            }
        )

    name = str_field("name")
    description = str_field("description")
    parameters = json_field("parameters")


class Tool(WireObject):
    """Tools the model may use: function declarations, code execution, search."""

    __slots__ = ()
    _SPEC: ClassVar[Mapping[str, Checker]] = {
        "functionDeclarations": list_of(FunctionDeclaration._check),
        "codeExecution": ANY,
        "googleSearch": ANY,
        "googleSearchRetrieval": ANY,
        "urlContext": ANY,
    }

    def __init__(
        self,
        *,
        function_declarations: Iterable[FunctionDeclaration] | None = None,
        code_execution: bool | Mapping[str, Any] | None = None,
        google_search: bool | Mapping[str, Any] | None = None,
    ) -> None:
        self._init(
            {
                "functionDeclarations": None
                if function_declarations is None
                else [f._data for f in function_declarations],
                "codeExecution": _flag(code_execution),
                "googleSearch": _flag(google_search),
            }
        )

    @property
    def function_declarations(self) -> list[FunctionDeclaration]:
        """The declared functions."""
        return self._list("functionDeclarations", FunctionDeclaration)

    @property
    def code_execution(self) -> bool:
        """Whether the code-execution tool is on."""
        return self._data.get("codeExecution") is not None


def _flag(value: bool | Mapping[str, Any] | None) -> dict[str, Any] | None:
    # Tools without options are switched on by an empty object: {"codeExecution": {}}.
    if value is None or value is False:
        return None
    return {} if value is True else dict(value)


class FunctionCallingConfig(WireObject):
    """``mode`` AUTO / ANY / NONE (/ VALIDATED) and, with ANY, the allowed names."""

    __slots__ = ()
    _SPEC: ClassVar[Mapping[str, Checker]] = {
        "mode": STR,
        "allowedFunctionNames": list_of(STR),
    }

    def __init__(self, mode: str, allowed_function_names: Sequence[str] | None = None) -> None:
        names = None if allowed_function_names is None else list(allowed_function_names)
        self._init({"mode": mode, "allowedFunctionNames": names})

    mode = str_field("mode")
    allowed_function_names = str_list_field("allowedFunctionNames")


class ToolConfig(WireObject):
    """Configuration shared by the request's tools."""

    __slots__ = ()
    _SPEC: ClassVar[Mapping[str, Checker]] = {
        "functionCallingConfig": FunctionCallingConfig._check,
        "retrievalConfig": ANY,
    }

    def __init__(self, function_calling_config: FunctionCallingConfig | None = None) -> None:
        config = None if function_calling_config is None else function_calling_config._data
        self._init({"functionCallingConfig": config})

    function_calling_config = object_field("functionCallingConfig", FunctionCallingConfig)
