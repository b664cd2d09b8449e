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

from gemini_vision.api.endpoints import Endpoint, json_request, model_resource
from gemini_vision.api.errors import api_error_from_response, api_error_from_status

# Imported for its side effect: images registers wire's to_part converter for
# image values (bytes, paths, PIL images, arrays), so contents may hold images.
from gemini_vision.images import inputs as _image_inputs  # noqa: F401
from gemini_vision.wire import codec as wire_json
from gemini_vision.wire.config import GenerationConfig, SafetySetting, Tool, ToolConfig
from gemini_vision.wire.content import Content, ContentLike, to_content, to_contents
from gemini_vision.wire.http import HttpRequest, HttpResponse
from gemini_vision.wire.model import WireObject
from gemini_vision.wire.request import CountTokensRequest, GenerateContentRequest
from gemini_vision.wire.response import CountTokensResponse, GenerateContentResponse

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


def _typed(cls: type[Any], value: Any) -> Any:
    if value is None or isinstance(value, cls):
        return value
    if isinstance(value, Mapping):
        return cls.from_json(dict(value))
    raise TypeError(f"expected {cls.__name__} or a dict in wire form, got {type(value).__name__}")


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
    if system_instruction is None or isinstance(system_instruction, Content):
        instruction = system_instruction
    elif isinstance(system_instruction, Mapping) and "parts" in system_instruction:
        instruction = to_content(system_instruction)
    else:
        instruction = Content(system_instruction)
    request = GenerateContentRequest(
        to_contents(contents),
        model=model,
        tools=None if tools is None else [_typed(Tool, t) for t in tools],
        tool_config=_typed(ToolConfig, tool_config),
        safety_settings=None
        if safety_settings is None
        else [_typed(SafetySetting, s) for s in safety_settings],
        system_instruction=instruction,
        generation_config=_typed(GenerationConfig, generation_config),
        cached_content=cached_content,
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
            raise TypeError("pass options inside the GenerateContentRequest, not beside it")
        return contents.validate()
    return generate_content_request(contents, **options)


def build_count_tokens(
    endpoint: Endpoint,
    model: str,
    contents: ContentLike | Iterable[ContentLike],
    **options: Any,
) -> HttpRequest:
    """``POST {model}:countTokens``.

    With contents only the body is ``{"contents": [...]}``; with any other
    option (system instruction, tools, config) the whole request is sent as
    ``generateContentRequest``, which the API requires to name the model.

    >>> from gemini_vision.api.endpoints import GeminiApi
    >>> build_count_tokens(GeminiApi(), "gemini-2.5-flash", "Hi", system_instruction="x").json()
    {'generateContentRequest': {'model': 'models/gemini-2.5-flash', 'contents': [{'parts': [{'text': 'Hi'}]}], 'systemInstruction': {'parts': [{'text': 'x'}]}}}
    """  # noqa: E501
    if any(v is not None for v in options.values()):
        inner = generate_content_request(contents, model=model_resource(model), **options)
        body = CountTokensRequest(generate_content_request=inner)
    else:
        body = CountTokensRequest(generate_content_request(contents).contents)
    return _post(endpoint, model, "countTokens", body)


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
