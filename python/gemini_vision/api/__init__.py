"""The sans-I/O API layer: request builders, response parsers, retry decisions.

Nothing here performs I/O, sleeps or reads a clock: every function takes plain
values (``HttpRequest``/``HttpResponse``, typed wire objects) and returns plain
values or raises a typed error. Transports and clients do the waiting.

The names below load their module on first use, so importing one submodule
(``gemini_vision.api.generate``) does not import the others.

>>> from gemini_vision.api import GeminiApi, build_generate_content
>>> build_generate_content(GeminiApi("k"), "gemini-2.5-flash", "Hi").json()
{'contents': [{'parts': [{'text': 'Hi'}]}]}
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gemini_vision.api.endpoints import GeminiApi, VertexAi, model_resource
    from gemini_vision.api.errors import api_error_from_response
    from gemini_vision.api.generate import (
        build_count_tokens,
        build_generate_content,
        build_stream_generate_content,
        parse_count_tokens,
        parse_generate_content,
    )
    from gemini_vision.api.retry import RetryDecision, RetryPolicy
    from gemini_vision.api.sse import SseDecoder, SseEvent, StreamParser, merge_chunks

_EXPORTS = {
    "GeminiApi": "endpoints",
    "VertexAi": "endpoints",
    "model_resource": "endpoints",
    "api_error_from_response": "errors",
    "build_count_tokens": "generate",
    "build_generate_content": "generate",
    "build_stream_generate_content": "generate",
    "parse_count_tokens": "generate",
    "parse_generate_content": "generate",
    "RetryDecision": "retry",
    "RetryPolicy": "retry",
    "SseDecoder": "sse",
    "SseEvent": "sse",
    "StreamParser": "sse",
    "merge_chunks": "sse",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'gemini_vision.api' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"gemini_vision.api.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})


__all__ = [
    "GeminiApi",
    "RetryDecision",
    "RetryPolicy",
    "SseDecoder",
    "SseEvent",
    "StreamParser",
    "VertexAi",
    "api_error_from_response",
    "build_count_tokens",
    "build_generate_content",
    "build_stream_generate_content",
    "merge_chunks",
    "model_resource",
    "parse_count_tokens",
    "parse_generate_content",
]
