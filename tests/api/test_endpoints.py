"""W2: endpoints are configuration; secrets only in headers, never printed."""

from __future__ import annotations

import pytest

from gemini_vision.api import (
    GeminiApi,
    VertexAi,
    build_count_tokens,
    build_generate_content,
    build_stream_generate_content,
)
from gemini_vision.errors import LocalError

SECRET = "AIzaSyTHIS-IS-A-SECRET-KEY-0123456789ab"


def test_gemini_api_urls_and_header() -> None:
    """Default host, v1beta; v1 selectable; the key goes in x-goog-api-key only."""
    for version in ("v1beta", "v1"):
        request = build_generate_content(
            GeminiApi(SECRET, version=version), "gemini-2.5-flash", "hi"
        )
        assert request.url == (
            f"https://generativelanguage.googleapis.com/{version}/models/gemini-2.5-flash:generateContent"
        )
        assert request.headers["x-goog-api-key"] == SECRET
        assert SECRET not in request.url
        assert SECRET not in repr(request) and SECRET not in str(request)


def test_custom_base_url_for_proxy_or_emulator() -> None:
    """A custom base URL (with a path prefix) replaces the host; no key means no header."""
    api = GeminiApi(base_url="http://127.0.0.1:8765/proxy/")
    request = build_count_tokens(api, "models/gemini-2.5-flash", "hi")
    assert request.url == "http://127.0.0.1:8765/proxy/v1beta/models/gemini-2.5-flash:countTokens"
    assert "x-goog-api-key" not in request.headers


@pytest.mark.parametrize(
    "base_url", ["ftp://h", "https://h/?key=abc", "https://user:pw@h", "not a url"]
)
def test_bad_base_urls_are_refused(base_url: str) -> None:
    """Base URLs with credentials, queries or odd schemes are LocalErrors."""
    with pytest.raises(LocalError):
        GeminiApi(base_url=base_url)


def test_vertex_ai_url_and_token_per_request() -> None:
    """Vertex: the regional host form, bearer token asked from the provider for each request."""
    tokens = iter(["tok-1", "tok-2"])
    vertex = VertexAi("my-proj", "us-central1", lambda: next(tokens))
    first = build_stream_generate_content(vertex, "gemini-2.5-flash", "hi")
    second = build_generate_content(vertex, "models/gemini-2.5-flash", "hi")
    assert first.url == (
        "https://us-central1-aiplatform.googleapis.com/v1/projects/my-proj/locations/us-central1"
        "/publishers/google/models/gemini-2.5-flash:streamGenerateContent?alt=sse"
    )
    assert first.headers["authorization"] == "Bearer tok-1"
    assert second.headers["authorization"] == "Bearer tok-2"
    assert "tok-" not in repr(vertex) and "tok-" not in repr(first)
    global_host = VertexAi("p", "global", lambda: "t").model_url("m", "generateContent")
    assert global_host.startswith(
        "https://aiplatform.googleapis.com/v1/projects/p/locations/global/"
    )


def test_vertex_refuses_tuned_models_and_bad_tokens() -> None:
    """tunedModels/* is a Gemini API resource; an empty token is a LocalError."""
    vertex = VertexAi("p", "europe-west4", lambda: "")
    with pytest.raises(LocalError, match="tuned model"):
        vertex.model_url("tunedModels/x", "generateContent")
    with pytest.raises(LocalError, match="no token"):
        vertex.auth_headers()


@pytest.mark.parametrize(
    ("model", "path"),
    [
        ("gemini-2.5-flash", "models/gemini-2.5-flash"),
        ("models/gemini-2.5-flash", "models/gemini-2.5-flash"),
        ("tunedModels/my-cat-model-1", "tunedModels/my-cat-model-1"),
    ],
)
def test_model_names(model: str, path: str) -> None:
    """Bare ids get models/; tunedModels/* is kept."""
    url = build_generate_content(GeminiApi(), model, "x").url
    assert url == f"https://generativelanguage.googleapis.com/v1beta/{path}:generateContent"


@pytest.mark.parametrize("model", ["", "models/", "files/abc", "models/../x", "a b", "models/x?y"])
def test_bad_model_names(model: str) -> None:
    """Names that would change the URL's meaning are refused."""
    with pytest.raises(LocalError, match="model must be"):
        build_generate_content(GeminiApi(), model, "x")


def test_endpoint_reprs_hide_secrets() -> None:
    """repr/str of an endpoint never show the key or a token."""
    api = GeminiApi(SECRET)
    assert SECRET not in repr(api) and SECRET not in str(api)
    assert "<redacted>" in repr(api)
