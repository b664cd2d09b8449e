"""Wire core vs the official SDK (google-genai) vs plain ``json``.

Three jobs a service does on every call:

* build a ``generateContent`` body carrying a 15 MB image inline (base64);
* parse a structure-heavy response: one candidate, 2,000 text parts, 200
  function calls, safety ratings (~0.15 MB);
* parse a 2 MB single-text response.

"gemini-vision" runs with the standard library's JSON; "gemini-vision+orjson"
with orjson (the ``fast`` extra) when it is installed. google-genai (the
``bench`` extra) is timed with ``types.GenerateContentResponse.model_validate_json``
and ``types.Content(...).model_dump_json``; its rows skip cleanly when it is
absent. Run as tests (``--benchmark-disable``), every implementation's result is
checked against the plain-json reference.
"""

from __future__ import annotations

import base64
import importlib.util
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from pytest_benchmark.fixture import BenchmarkFixture

from gemini_vision.api import GeminiApi, build_generate_content, parse_generate_content
from gemini_vision.wire import codec as wire_json
from gemini_vision.wire.content import Part
from gemini_vision.wire.http import HttpResponse


def _installed(module: str) -> bool:
    # find_spec on a dotted name imports the parent, which raises when the
    # namespace package ("google") itself is absent.
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False


HAVE_GENAI = _installed("google.genai")
HAVE_ORJSON = _installed("orjson")
IMPLS = ["json", "gemini-vision", "gemini-vision+orjson", "google-genai"]
API = GeminiApi("k")


def heavy_response() -> bytes:
    parts: list[dict[str, Any]] = []
    for i in range(2200):
        if i % 11 == 10:
            args = {"label": f"object {i}", "box_2d": [i % 1000, 10, 500, 990], "score": 0.5}
            parts.append({"functionCall": {"name": f"mark_{i % 7}", "args": args}})
        else:
            parts.append({"text": f"Item {i}: a detected object with a description. "})
    ratings = [
        {"category": c, "probability": "NEGLIGIBLE"}
        for c in (
            "HARM_CATEGORY_HATE_SPEECH",
            "HARM_CATEGORY_DANGEROUS_CONTENT",
            "HARM_CATEGORY_HARASSMENT",
            "HARM_CATEGORY_SEXUALLY_EXPLICIT",
        )
    ]
    document = {
        "candidates": [
            {
                "content": {"role": "model", "parts": parts},
                "finishReason": "STOP",
                "index": 0,
                "safetyRatings": ratings,
            }
        ],
        "usageMetadata": {
            "promptTokenCount": 1290,
            "candidatesTokenCount": 30000,
            "totalTokenCount": 31290,
            "promptTokensDetails": [{"modality": "IMAGE", "tokenCount": 1290}],
        },
        "modelVersion": "gemini-2.5-flash",
        "responseId": "bench-heavy",
    }
    return json.dumps(document).encode()


def big_text_response() -> bytes:
    text = ("The quick brown fox jumps over the lazy dog.\n" * 46_000)[: 2 * 1024 * 1024]
    document = {
        "candidates": [
            {"content": {"role": "model", "parts": [{"text": text}]}, "finishReason": "STOP"}
        ],
        "usageMetadata": {"promptTokenCount": 5, "candidatesTokenCount": 500_000},
        "modelVersion": "gemini-2.5-flash",
    }
    return json.dumps(document).encode()


IMAGE = bytes(range(256)) * (15 * 1024 * 1024 // 256)
PROMPT = "Detect every object; answer with box_2d in 0-1000."
_STD_TO_URLSAFE = str.maketrans("+/", "-_")
RESPONSES = {"heavy": heavy_response(), "big text": big_text_response()}


@pytest.fixture
def codec(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Select the JSON codec the implementation under test runs with."""
    impl: str = request.param
    if impl == "google-genai" and not HAVE_GENAI:
        pytest.skip("google-genai is not installed (the bench extra)")
    if impl == "gemini-vision+orjson" and not HAVE_ORJSON:
        pytest.skip("orjson is not installed (the fast extra)")
    monkeypatch.setenv("GEMINI_VISION_JSON", "" if impl.endswith("orjson") else "stdlib")
    monkeypatch.setattr(wire_json, "_codec", None)
    yield impl
    monkeypatch.setattr(wire_json, "_codec", None)


def parser_for(impl: str) -> Callable[[bytes], Any]:
    if impl == "json":
        return json.loads
    if impl == "google-genai":
        from google.genai import types

        return types.GenerateContentResponse.model_validate_json
    return lambda body: parse_generate_content(HttpResponse(200, {}, body))


def text_of(impl: str, parsed: Any) -> str:
    if impl == "json":
        parts = parsed["candidates"][0]["content"]["parts"]
        return "".join(p["text"] for p in parts if "text" in p)
    if impl == "google-genai":
        return "".join(p.text for p in parsed.candidates[0].content.parts if p.text is not None)
    text: str = parsed.text
    return text


@pytest.mark.parametrize("codec", IMPLS, indirect=True)
@pytest.mark.parametrize("case", list(RESPONSES))
def test_parse(benchmark: BenchmarkFixture, codec: str, case: str) -> None:
    """Parse a response body into typed values (json: into dicts)."""
    body = RESPONSES[case]
    benchmark.group = f"parse {case} response ({len(body) / 1e6:.2f} MB)"
    benchmark.extra_info["impl"] = codec
    parse = parser_for(codec)
    parsed = benchmark(parse, body)
    assert text_of(codec, parsed) == text_of("json", json.loads(body))
    if codec.startswith("gemini-vision"):
        assert parsed.to_json() == json.loads(body)
        assert len(parsed.function_calls) == (200 if case == "heavy" else 0)


def build_body(impl: str) -> Callable[[], bytes]:
    if impl == "json":
        return lambda: json.dumps(
            {
                "contents": [
                    {
                        "parts": [
                            {"text": PROMPT},
                            {
                                "inlineData": {
                                    "mimeType": "image/png",
                                    "data": base64.b64encode(IMAGE).decode(),
                                }
                            },
                        ]
                    }
                ]
            }
        ).encode()
    if impl == "google-genai":
        from google.genai import types

        def genai_body() -> bytes:
            content = types.Content(
                parts=[
                    types.Part.from_text(text=PROMPT),
                    types.Part.from_bytes(data=IMAGE, mime_type="image/png"),
                ]
            )
            return content.model_dump_json(by_alias=True, exclude_none=True).encode()

        return genai_body
    return lambda: (
        build_generate_content(
            API, "gemini-2.5-flash", [PROMPT, Part.from_bytes(IMAGE, "image/png")]
        ).body
    )


@pytest.mark.parametrize("codec", IMPLS, indirect=True)
def test_build_request_with_15mb_image(benchmark: BenchmarkFixture, codec: str) -> None:
    """Build the JSON body of a request carrying a 15 MB image inline."""
    benchmark.group = "build generateContent body, 15 MB inline image"
    benchmark.extra_info["impl"] = codec
    body = benchmark.pedantic(build_body(codec), rounds=3, iterations=1)
    document = json.loads(body)
    parts = document["contents"][0]["parts"] if "contents" in document else document["parts"]
    assert parts[0]["text"] == PROMPT
    # google-genai (pydantic) writes URL-safe base64; the API reads both alphabets.
    assert (
        base64.urlsafe_b64decode(parts[1]["inlineData"]["data"].translate(_STD_TO_URLSAFE)) == IMAGE
    )
