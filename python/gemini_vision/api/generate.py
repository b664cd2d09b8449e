"""Build ``generateContent``/``streamGenerateContent``/``countTokens`` requests; parse answers (W5).

Builders take what a user would naturally pass (a string, images, ``Content``
lists, dicts in wire form) and return an ``HttpRequest``; they validate first,
so a request the server would refuse fails here with a ``LocalError``. Parsers
take an ``HttpResponse`` and return typed values or raise the ``ApiError``
subclass the server's status names.

>>> from gemini_vision.api.endpoints import GeminiApi
>>> req = build_stream_generate_content(GeminiApi("k"), "tunedModels/my-model", "Hi")
>>> req.method, req.url
('POST', 'https://generativelanguage.googleapis.com/v1beta/tunedModels/my-model:streamGenerateContent?alt=sse')
>>> from gemini_vision.wire.http import HttpResponse
>>> parse_generate_content(HttpResponse(200, {}, b'{"candidates": [{"content": {"parts": [{"text": "Hello"}]}}]}')).text
'Hello'
"""  # noqa: E501

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Union

from gemini_vision.api.endpoints import Endpoint, VertexAi, json_request, model_resource
from gemini_vision.api.errors import api_error_from_response, api_error_from_status
from gemini_vision.errors import LocalError, ProtocolError

# Imported for its side effect: images registers wire's to_part converter for
# image values (bytes, paths, PIL images, arrays), so contents may hold images.
from gemini_vision.images import inputs as _image_inputs  # noqa: F401
from gemini_vision.wire import codec as wire_json
from gemini_vision.wire.config import GenerationConfig, SafetySetting, Tool, ToolConfig
from gemini_vision.wire.content import Content, ContentLike, to_content, to_contents
from gemini_vision.wire.http import HttpRequest, HttpResponse
from gemini_vision.wire.model import WireObject, snake_to_camel
from gemini_vision.wire.request import CountTokensRequest, GenerateContentRequest
from gemini_vision.wire.response import CountTokensResponse, GenerateContentResponse
from gemini_vision.wire.sdk import from_sdk, is_sdk_object, plain_json

__all__ = [
    "build_count_tokens",
    "build_generate_content",
    "build_stream_generate_content",
    "generate_content_request",
    "parse_count_tokens",
    "parse_generate_content",
    "parse_json_response",
]

ConfigLike = Union[GenerationConfig, Mapping[str, Any]]  # noqa: UP007
ToolLike = Union[Tool, Mapping[str, Any]]  # noqa: UP007
SafetyLike = Union[SafetySetting, Mapping[str, Any]]  # noqa: UP007
ToolConfigLike = Union[ToolConfig, Mapping[str, Any]]  # noqa: UP007


def _typed(cls: type[Any], value: Any, field: str) -> Any:
    if value is None or isinstance(value, cls):
        return value
    try:
        if is_sdk_object(value):
            return cls.from_owned_json(from_sdk(value), field)
        if isinstance(value, Mapping):
            return cls.from_owned_json(plain_json(value), field)
    except ProtocolError as error:  # the caller's dict, not a server's answer
        raise LocalError(str(error)) from None
    raise LocalError(
        f"{field}: expected a {cls.__name__}, google-genai's types.{cls.__name__} or a dict "
        f"in wire form, got {type(value).__name__}"
    )


def _listed(cls: type[Any], values: Any, field: str) -> list[Any] | None:
    if values is None:
        return None
    if isinstance(values, (str, bytes, Mapping)) or is_sdk_object(values):
        raise LocalError(f"{field}: expected a list of {cls.__name__}, got one value")
    try:
        items = list(values)
    except TypeError:
        raise LocalError(
            f"{field}: expected a list of {cls.__name__}, got {type(values).__name__}"
        ) from None
    return [_typed(cls, value, f"{field}[{i}]") for i, value in enumerate(items)]


#: GenerateContentConfig members (google-genai's ``config``) that are request fields
#: beside ``generationConfig`` on the wire, with their keyword names.
_REQUEST_LEVEL = {
    "systemInstruction": "system_instruction",
    "tools": "tools",
    "toolConfig": "tool_config",
    "safetySettings": "safety_settings",
    "cachedContent": "cached_content",
}
#: GenerateContentConfig members that steer google-genai's client, not the request.
_SDK_CLIENT_SIDE = (
    "httpOptions",
    "automaticFunctionCalling",
    "shouldReturnHttpResponse",
    "labels",
)


def split_config(config: Any, options: dict[str, Any]) -> GenerationConfig | None:
    """The ``generationConfig`` of a config that may also hold request fields.

    google-genai's ``GenerateContentConfig`` (or a dict like it) carries the
    system instruction, tools, tool config, safety settings and cached content
    beside the generation fields; on the wire they are request fields. They are
    moved into ``options`` (refused when also given there).

    >>> options = {}
    >>> split_config({"temperature": 0.1, "system_instruction": "Be brief"}, options).to_json()
    {'temperature': 0.1}
    >>> options
    {'system_instruction': 'Be brief'}
    """
    if config is None or isinstance(config, GenerationConfig):
        return config
    if is_sdk_object(config):
        data = from_sdk(config)
    elif isinstance(config, Mapping):
        data = plain_json(config)
    else:
        raise LocalError(
            "generation_config: expected a GenerationConfig, google-genai's "
            f"GenerateContentConfig or a dict, got {type(config).__name__}"
        )
    data = {snake_to_camel(k): v for k, v in data.items()}
    for key in _SDK_CLIENT_SIDE:
        if key in data:
            raise LocalError(
                f"generation_config.{key} steers google-genai's own client and is not part of "
                "the request; leave it out"
            )
    for key, keyword in _REQUEST_LEVEL.items():
        if key in data:
            value = data.pop(key)
            if options.get(keyword) is not None:
                raise LocalError(
                    f"{keyword} is given twice: as a keyword and inside generation_config"
                )
            options[keyword] = value
    try:
        return GenerationConfig.from_owned_json(data, "generationConfig")
    except ProtocolError as error:
        raise LocalError(str(error)) from None


def _contents(value: Any) -> list[Content]:
    """``to_contents``, with the caller's mistakes as ``LocalError`` naming ``contents``."""
    if value is None:
        raise LocalError("contents: expected text, parts, images or Content, got None")
    try:
        return to_contents(value)
    except ProtocolError as error:  # a dict of the caller's that is not wire JSON
        raise LocalError(f"contents: {error}") from None
    except TypeError as error:  # a value that is neither a part nor an image
        raise LocalError(f"contents: {error}") from None


def _instruction(value: Any) -> Content | None:
    if value is None or isinstance(value, Content):
        return value
    try:
        if is_sdk_object(value):
            return to_content(value)
        if isinstance(value, Mapping) and "parts" in value:
            return to_content(plain_json(value))
        return Content(value)
    except (ProtocolError, TypeError) as error:
        raise LocalError(f"system_instruction: {error}") from None


def generate_content_request(
    contents: ContentLike | Iterable[ContentLike],
    *,
    generation_config: ConfigLike | None = None,
    tools: Iterable[ToolLike] | None = None,
    tool_config: ToolConfigLike | None = None,
    safety_settings: Iterable[SafetyLike] | None = None,
    system_instruction: ContentLike | None = None,
    cached_content: str | None = None,
    model: str | None = None,
) -> GenerateContentRequest:
    """The validated request body from natural Python arguments.

    ``system_instruction`` may be a string (sent without a role, as the API expects).

    >>> generate_content_request("Hi", system_instruction="Be brief").to_json()
    {'contents': [{'parts': [{'text': 'Hi'}]}], 'systemInstruction': {'parts': [{'text': 'Be brief'}]}}
    """  # noqa: E501
    options: dict[str, Any] = {
        "tools": tools,
        "tool_config": tool_config,
        "safety_settings": safety_settings,
        "system_instruction": system_instruction,
        "cached_content": cached_content,
    }
    config = split_config(generation_config, options)
    cached = options["cached_content"]
    if cached is not None and not isinstance(cached, str):
        raise LocalError(f"cached_content: expected a string, got {type(cached).__name__}")
    request = GenerateContentRequest(
        _contents(contents),
        model=model,
        tools=_listed(Tool, options["tools"], "tools"),
        tool_config=_typed(ToolConfig, options["tool_config"], "toolConfig"),
        safety_settings=_listed(SafetySetting, options["safety_settings"], "safetySettings"),
        system_instruction=_instruction(options["system_instruction"]),
        generation_config=config,
        cached_content=cached,
    )
    return request.validate()


def _post(
    endpoint: Endpoint, model: str, method: str, body: WireObject, **query: Any
) -> HttpRequest:
    url = endpoint.model_url(model, method, query or None)
    # generateContent and countTokens change nothing on the server: safe to retry.
    return json_request(endpoint, "POST", url, body.as_json(), idempotent=True)


def build_generate_content(
    endpoint: Endpoint,
    model: str,
    contents: ContentLike | Iterable[ContentLike] | GenerateContentRequest,
    **options: Any,
) -> HttpRequest:
    """``POST {model}:generateContent`` for ``models/*`` or ``tunedModels/*``.

    ``options`` are those of ``generate_content_request`` (generation_config,
    tools, tool_config, safety_settings, system_instruction, cached_content);
    ``contents`` may also be a ready ``GenerateContentRequest``.
    """
    return _post(endpoint, model, "generateContent", _request(contents, options))


def build_stream_generate_content(
    endpoint: Endpoint,
    model: str,
    contents: ContentLike | Iterable[ContentLike] | GenerateContentRequest,
    **options: Any,
) -> HttpRequest:
    """``POST {model}:streamGenerateContent?alt=sse`` (server-sent events; see ``api.sse``)."""
    return _post(endpoint, model, "streamGenerateContent", _request(contents, options), alt="sse")


def _request(contents: Any, options: dict[str, Any]) -> GenerateContentRequest:
    if isinstance(contents, GenerateContentRequest):
        if options:
            raise LocalError("pass options inside the GenerateContentRequest, not beside it")
        return contents.validate()
    return generate_content_request(contents, **options)


def build_count_tokens(
    endpoint: Endpoint,
    model: str,
    contents: ContentLike | Iterable[ContentLike],
    **options: Any,
) -> HttpRequest:
    """``POST {model}:countTokens``.

    The Gemini API: with contents only the body is ``{"contents": [...]}``; with
    any other option (system instruction, tools, config) the whole request is
    sent as ``generateContentRequest``, which the API requires to name the model.

    Vertex AI: ``contents``, ``systemInstruction``, ``tools`` and
    ``generationConfig`` stand beside each other at the top level (Vertex's
    ``CountTokensRequest``); it has no field for safety settings, tool config
    or cached content, so those are refused here.

    >>> from gemini_vision.api.endpoints import GeminiApi
    >>> build_count_tokens(GeminiApi(), "gemini-2.5-flash", "Hi", system_instruction="x").json()
    {'generateContentRequest': {'model': 'models/gemini-2.5-flash', 'contents': [{'parts': [{'text': 'Hi'}]}], 'systemInstruction': {'parts': [{'text': 'x'}]}}}
    >>> vertex = VertexAi("p", "us-central1", lambda: "t")
    >>> build_count_tokens(vertex, "gemini-2.5-flash", "Hi", system_instruction="x").json()
    {'contents': [{'parts': [{'text': 'Hi'}]}], 'systemInstruction': {'parts': [{'text': 'x'}]}}
    """  # noqa: E501
    if isinstance(endpoint, VertexAi):
        return _post(endpoint, model, "countTokens", _vertex_count_body(contents, options))
    if any(v is not None for v in options.values()):
        inner = generate_content_request(contents, model=model_resource(model), **options)
        body: Any = CountTokensRequest(generate_content_request=inner)
    else:
        body = CountTokensRequest(generate_content_request(contents).contents)
    return _post(endpoint, model, "countTokens", body)


_VERTEX_COUNT_FIELDS = ("contents", "systemInstruction", "tools", "generationConfig")


def _vertex_count_body(contents: Any, options: dict[str, Any]) -> WireObject:
    request = generate_content_request(contents, **options)
    data = request.to_json()
    extra = sorted(k for k in data if k not in _VERTEX_COUNT_FIELDS)
    if extra:
        raise LocalError(
            f"Vertex AI's countTokens takes only {', '.join(_VERTEX_COUNT_FIELDS)}; "
            f"leave out {', '.join(extra)}"
        )
    return GenerateContentRequest.from_owned_json(data)


def parse_json_response(response: HttpResponse, what: str) -> Any:
    """The JSON document of a 2xx response; ``ApiError`` for others, ``ProtocolError`` for junk."""
    if not response.is_success:
        raise api_error_from_response(response)
    try:
        return wire_json.loads(response.body)
    except (ValueError, RecursionError):
        return response.json(what=what)  # raises ProtocolError with a preview


def parse_generate_content(response: HttpResponse) -> GenerateContentResponse:
    """A ``GenerateContentResponse`` from a ``generateContent`` answer.

    Raises the ``ApiError`` subclass for a non-2xx status; ``ProtocolError``
    (naming the JSON path) for a body that is not a valid response.
    """
    document = parse_json_response(response, "a GenerateContentResponse JSON body")
    error = api_error_from_status(document, response.status, response.headers)
    if error is not None:  # an error document with a 2xx status: still an error
        raise error
    return GenerateContentResponse.from_owned_json(document)


def parse_count_tokens(response: HttpResponse) -> CountTokensResponse:
    """A ``CountTokensResponse`` from a ``countTokens`` answer (errors as above).

    >>> parse_count_tokens(HttpResponse(200, {}, b'{"totalTokens": "7"}')).total_tokens
    7
    """
    document = parse_json_response(response, "a CountTokensResponse JSON body")
    return CountTokensResponse.from_owned_json(document)
