"""The sans-I/O API layer: request builders, response parsers, retry decisions.

Nothing here performs I/O, sleeps or reads a clock: every function takes plain
values (``HttpRequest``/``HttpResponse``, typed wire objects) and returns plain
values or raises a typed error. Transports and clients do the waiting.

>>> from gemini_vision.api import GeminiApi, build_generate_content
>>> build_generate_content(GeminiApi("k"), "gemini-2.5-flash", "Hi").json()
{'contents': [{'parts': [{'text': 'Hi'}]}]}
"""

from __future__ import annotations

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
