"""The bodies of ``generateContent`` and ``countTokens`` (W3), and their local checks (W7).

``validate()`` refuses, before anything is sent, what the library can tell the
server would refuse: each ``LocalError`` names the field and the rule.

>>> from gemini_vision.wire.content import to_contents
>>> req = GenerateContentRequest(contents=to_contents("hi"),
...                              generation_config=GenerationConfig(candidate_count=0))
>>> req.validate()
Traceback (most recent call last):
...
gemini_vision.errors.LocalError: generationConfig.candidateCount must be at least 1, got 0
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from gemini_vision.errors import LocalError
from gemini_vision.wire.config import (
    FunctionDeclaration,
    GenerationConfig,
    SafetySetting,
    Tool,
    ToolConfig,
)
from gemini_vision.wire.content import Content
from gemini_vision.wire.enums import check_enum, check_harm_category
from gemini_vision.wire.model import WireObject, list_field, object_field, str_field

__all__ = ["CountTokensRequest", "GenerateContentRequest", "validate_safety_settings"]

_FUNCTION_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.:-]{0,63}")
_JSON_SCHEMA_MIME_TYPES = ("application/json", "text/x.enum")
_MAX_STOP_SEQUENCES = 5


class GenerateContentRequest(WireObject):
    """The JSON body of ``models.generateContent`` / ``streamGenerateContent``."""

    __slots__ = ()

    model = str_field()
    contents = list_field(Content)
    tools = list_field(Tool)
    tool_config = object_field(ToolConfig)
    safety_settings = list_field(SafetySetting)
    system_instruction = object_field(Content)
    generation_config = object_field(GenerationConfig)
    cached_content = str_field()

    def __init__(
        self,
        contents: Iterable[Content],
        *,
        model: str | None = None,
        tools: Iterable[Tool] | None = None,
        tool_config: ToolConfig | None = None,
        safety_settings: Iterable[SafetySetting] | None = None,
        system_instruction: Content | None = None,
        generation_config: GenerationConfig | None = None,
        cached_content: str | None = None,
    ) -> None:
        self._build(locals())

    def validate(self) -> GenerateContentRequest:
        """Raise ``LocalError`` for what the server would refuse; return ``self``."""
        contents = self._data.get("contents") or []
        if not contents:
            raise LocalError("contents must hold at least one Content, got none")
        for i, content in enumerate(contents):
            if not content.get("parts"):
                raise LocalError(f"contents[{i}].parts must hold at least one Part, got none")
        if self.generation_config is not None:
            _validate_generation_config(self.generation_config)
        validate_safety_settings(self.safety_settings)
        declared = _validate_tools(self.tools)
        if self.tool_config is not None:
            _validate_tool_config(self.tool_config, declared)
        cached = self.cached_content
        if cached is not None and not cached.startswith("cachedContents/"):
            raise LocalError(
                f"cachedContent must look like 'cachedContents/{{id}}', got {cached!r}"
            )
        return self


def _check_range(
    name: str, value: float | None, low: float, high: float | None = None, what: str = ""
) -> None:
    if value is None:
        return
    if value < low or (high is not None and value > high):
        rule = f"must be at least {low:g}" if high is None else f"must be in [{low:g}, {high:g}]"
        raise LocalError(f"generationConfig.{name} {rule}{what}, got {value:g}")


def _validate_generation_config(config: GenerationConfig) -> None:
    _check_range("candidateCount", config.candidate_count, 1)
    _check_range("maxOutputTokens", config.max_output_tokens, 1)
    _check_range("temperature", config.temperature, 0.0, 2.0)
    _check_range("topP", config.top_p, 0.0, 1.0)
    _check_range("topK", config.top_k, 0)
    stops = config.stop_sequences or []
    if len(stops) > _MAX_STOP_SEQUENCES:
        raise LocalError(
            f"generationConfig.stopSequences holds at most {_MAX_STOP_SEQUENCES} sequences, "
            f"got {len(stops)}"
        )
    if config.response_schema is not None:
        mime = config.response_mime_type
        if mime not in _JSON_SCHEMA_MIME_TYPES:
            raise LocalError(
                "generationConfig.responseSchema needs responseMimeType "
                f"'application/json' (or 'text/x.enum'), got {mime!r}"
            )
    _validate_enums(config)
    thinking = config.thinking_config
    budget = None if thinking is None else thinking.thinking_budget
    if budget is not None and budget < -1:
        raise LocalError(
            "generationConfig.thinkingConfig.thinkingBudget must be -1 (dynamic) or at "
            f"least 0, got {budget}"
        )


def _validate_enums(config: GenerationConfig) -> None:
    data = config.as_json()
    if "mediaResolution" in data:
        check_enum("generationConfig.mediaResolution", data["mediaResolution"])
    for i, modality in enumerate(data.get("responseModalities") or []):
        check_enum(
            f"generationConfig.responseModalities[{i}]",
            modality,
            key="generationConfig.responseModalities",
        )
    thinking = data.get("thinkingConfig")
    if isinstance(thinking, dict) and "thinkingLevel" in thinking:
        check_enum("generationConfig.thinkingConfig.thinkingLevel", thinking["thinkingLevel"])


def validate_safety_settings(settings: Iterable[SafetySetting]) -> None:
    """At most one setting per harm category; ``LocalError`` naming the category.

    >>> validate_safety_settings([SafetySetting("HARM_CATEGORY_HARASSMENT", "BLOCK_NONE"),
    ...                           SafetySetting("HARM_CATEGORY_HARASSMENT", "BLOCK_ONLY_HIGH")])
    Traceback (most recent call last):
    ...
    gemini_vision.errors.LocalError: safetySettings[1]: category HARM_CATEGORY_HARASSMENT is already set by safetySettings[0]; at most one setting per category
    """  # noqa: E501
    seen: dict[str, int] = {}
    for i, setting in enumerate(settings):
        category = setting.category
        if category is None:
            raise LocalError(f"safetySettings[{i}] has no category")
        check_harm_category(f"safetySettings[{i}].category", category)
        threshold = setting.threshold
        if threshold is not None:
            check_enum(f"safetySettings[{i}].threshold", threshold, key="safetySettings.threshold")
        if category in seen:
            raise LocalError(
                f"safetySettings[{i}]: category {category} is already set by "
                f"safetySettings[{seen[category]}]; at most one setting per category"
            )
        seen[category] = i


def _validate_tools(tools: list[Tool]) -> set[str]:
    declared: dict[str, str] = {}
    for t, tool in enumerate(tools):
        for f, declaration in enumerate(tool.function_declarations):
            where = f"tools[{t}].functionDeclarations[{f}]"
            name = _validate_declaration(where, declaration)
            if name in declared:
                raise LocalError(
                    f"{where}: function {name!r} is already declared at {declared[name]}"
                )
            declared[name] = where
    return set(declared)


def _validate_declaration(where: str, declaration: FunctionDeclaration) -> str:
    name = declaration.name
    if not isinstance(name, str) or not _FUNCTION_NAME.fullmatch(name):
        raise LocalError(
            f"{where}.name must start with a letter or underscore and use only letters, digits, "
            f"'_', '.', ':' and '-' (at most 64 characters), got {name!r}"
        )
    if declaration.parameters is not None and declaration.parameters_json_schema is not None:
        raise LocalError(f"{where}: give either parameters or parametersJsonSchema, not both")
    return name


def _validate_tool_config(config: ToolConfig, declared: set[str]) -> None:
    calling = config.function_calling_config
    if calling is None:
        return
    mode = calling.mode
    if mode is not None and str(mode).upper() not in ("AUTO", "ANY", "NONE", "VALIDATED"):
        raise LocalError(
            "toolConfig.functionCallingConfig.mode must be AUTO, ANY, NONE or VALIDATED, "
            f"got {mode!r}"
        )
    allowed = calling.allowed_function_names
    if allowed:
        if mode is None or str(mode).upper() not in ("ANY", "VALIDATED"):
            raise LocalError(
                "toolConfig.functionCallingConfig.allowedFunctionNames may only be set when "
                f"mode is ANY, got mode {mode!r}"
            )
        unknown = [n for n in allowed if n not in declared]
        if declared and unknown:
            raise LocalError(
                "toolConfig.functionCallingConfig.allowedFunctionNames names functions that "
                f"no tool declares: {', '.join(map(repr, unknown))}"
            )


class CountTokensRequest(WireObject):
    """The body of ``models.countTokens``: ``contents``, or a whole ``generateContentRequest``."""

    __slots__ = ()

    contents = list_field(Content)
    generate_content_request = object_field(GenerateContentRequest)

    def __init__(
        self,
        contents: Iterable[Content] | None = None,
        *,
        generate_content_request: GenerateContentRequest | None = None,
    ) -> None:
        if (contents is None) == (generate_content_request is None):
            raise LocalError(
                "countTokens takes either contents or generate_content_request, exactly one"
            )
        self._build(locals())
