"""W5: builders for generateContent / streamGenerateContent / countTokens, and the parsers."""

from __future__ import annotations

import contextlib
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gemini_vision import errors
from gemini_vision.api import (
    GeminiApi,
    build_count_tokens,
    build_generate_content,
    build_stream_generate_content,
    parse_count_tokens,
    parse_generate_content,
)
from gemini_vision.wire import codec as wire_json
from gemini_vision.wire.config import GenerationConfig, Tool
from gemini_vision.wire.http import HttpResponse
from gemini_vision.wire.request import GenerateContentRequest
from tests import strategies_wire as sw

API = GeminiApi("k")


def ok(document: Any) -> HttpResponse:
    return HttpResponse(200, {"content-type": "application/json"}, json.dumps(document).encode())


class TestBuilders:
    def test_code_execution_and_cached_content(self) -> None:
        """The code-execution tool is an empty object; cachedContent is a resource name."""
        request = build_generate_content(
            API,
            "gemini-2.5-flash",
            "What is the sum of the first 50 prime numbers?",
            tools=[Tool(code_execution=True)],
            cached_content="cachedContents/abc123",
        )
        assert request.json() == {
            "contents": [{"parts": [{"text": "What is the sum of the first 50 prime numbers?"}]}],
            "tools": [{"codeExecution": {}}],
            "cachedContent": "cachedContents/abc123",
        }

    def test_dicts_in_wire_form_are_accepted(self) -> None:
        """Options may be dicts in wire form (camelCase or snake_case)."""
        request = build_generate_content(
            API,
            "tunedModels/t",
            "hi",
            generation_config={"max_output_tokens": 5, "thinkingConfig": {"thinking_budget": 0}},
            safety_settings=[{"category": "HARM_CATEGORY_HARASSMENT", "threshold": "BLOCK_NONE"}],
        )
        body = request.json()
        assert body["generationConfig"] == {
            "maxOutputTokens": 5,
            "thinkingConfig": {"thinkingBudget": 0},
        }
        assert body["safetySettings"] == [
            {"category": "HARM_CATEGORY_HARASSMENT", "threshold": "BLOCK_NONE"}
        ]

    def test_local_errors_before_sending(self) -> None:
        """Invalid requests never become HttpRequests."""
        with pytest.raises(errors.LocalError, match="temperature"):
            build_generate_content(
                API, "m", "hi", generation_config=GenerationConfig(temperature=3)
            )
        with pytest.raises(errors.LocalError, match="at least one Content"):
            build_stream_generate_content(API, "m", [])
        with pytest.raises(errors.LocalError, match="not valid JSON"):
            build_generate_content(
                API,
                "m",
                {"parts": [{"functionResponse": {"name": "f", "response": {"x": float("nan")}}}]},
            )

    def test_a_ready_request_object(self) -> None:
        """A GenerateContentRequest can be passed as is."""
        body = GenerateContentRequest.from_json({"contents": [{"parts": [{"text": "x"}]}]})
        assert build_generate_content(API, "m", body).json() == body.to_json()

    def test_count_tokens_forms(self) -> None:
        """Contents only -> {"contents"}; more options -> generateContentRequest with the model."""
        simple = build_count_tokens(API, "gemini-2.5-flash", ["a", "b"])
        assert simple.url.endswith("/models/gemini-2.5-flash:countTokens")
        assert simple.json() == {"contents": [{"parts": [{"text": "a"}, {"text": "b"}]}]}
        full = build_count_tokens(API, "tunedModels/t", "a", tools=[Tool(code_execution=True)])
        assert full.json() == {
            "generateContentRequest": {
                "model": "tunedModels/t",
                "contents": [{"parts": [{"text": "a"}]}],
                "tools": [{"codeExecution": {}}],
            }
        }

    @pytest.mark.parametrize("codec", ["stdlib", "orjson"])
    def test_large_inline_image_body(self, codec: str, monkeypatch: pytest.MonkeyPatch) -> None:
        """A multi-megabyte inline image is base64 in the body, byte-exact, with either codec."""
        if codec == "orjson":
            pytest.importorskip("orjson")
        monkeypatch.setenv("GEMINI_VISION_JSON", codec)
        monkeypatch.setattr(wire_json, "_codec", None)
        from gemini_vision.wire.content import Part

        image = bytes(range(256)) * 8192  # 2 MiB
        request = build_generate_content(
            API, "m", ["describe", Part.from_bytes(image, "image/png")]
        )
        monkeypatch.setattr(wire_json, "_codec", None)
        sent = json.loads(request.body)
        import base64

        assert base64.b64decode(sent["contents"][0]["parts"][1]["inlineData"]["data"]) == image


class TestParsers:
    @settings(max_examples=40)
    @given(sw.response_json())
    def test_parse_generate_content(self, document: dict[str, Any]) -> None:
        """A 200 with a response document parses to the same document."""
        assert parse_generate_content(ok(document)).to_json() == document

    def test_error_statuses_raise_api_errors(self) -> None:
        """Non-2xx raises the status's ApiError subclass."""
        body = {"error": {"code": 404, "message": "no such model", "status": "NOT_FOUND"}}
        with pytest.raises(errors.NotFoundError, match="no such model"):
            parse_generate_content(HttpResponse(404, {}, json.dumps(body).encode()))
        with pytest.raises(errors.NotFoundError):  # an error document under 200 is still an error
            parse_generate_content(ok(body))

    def test_non_json_success_is_a_protocol_error(self) -> None:
        """A 200 that is not JSON says what came instead."""
        with pytest.raises(
            errors.ProtocolError, match="with text/plain, not a GenerateContentResponse"
        ):
            parse_generate_content(HttpResponse(200, {"content-type": "text/plain"}, b"hello"))

    def test_count_tokens(self) -> None:
        """countTokens answers parse, int64 strings included."""
        response = parse_count_tokens(ok({"totalTokens": "1548", "cachedContentTokenCount": 0}))
        assert response.total_tokens == 1548

    @settings(max_examples=40)
    @given(st.binary(max_size=200), st.sampled_from([200, 400, 429, 500, 503]))
    def test_arbitrary_bytes_raise_only_library_errors(self, body: bytes, status: int) -> None:
        """Parsers on arbitrary bytes return or raise the library's own errors, nothing else."""
        for parse in (parse_generate_content, parse_count_tokens):
            with contextlib.suppress(errors.GeminiVisionError):
                parse(HttpResponse(status, {}, body))

    @settings(max_examples=40)
    @given(sw.json_values)
    def test_arbitrary_json_raises_only_library_errors(self, document: Any) -> None:
        """Parsers on arbitrary JSON documents raise only the library's own errors."""
        for parse in (parse_generate_content, parse_count_tokens):
            with contextlib.suppress(errors.GeminiVisionError):
                parse(ok(document))

    def test_deeply_nested_json_is_a_protocol_error(self) -> None:
        """Hostile nesting depth gives ProtocolError, not RecursionError."""
        body = b"[" * 100_000 + b"]" * 100_000
        with pytest.raises(errors.ProtocolError):
            parse_generate_content(HttpResponse(200, {}, body))
        head = b'{"candidates": [{"content": {"parts": [{"functionCall": {"args": '
        deep = head + b'{"x": ' * 5000 + b"{}" + b"}" * 5000 + b"}}]}}]}"
        with pytest.raises(errors.ProtocolError):
            parse_generate_content(HttpResponse(200, {}, deep))
