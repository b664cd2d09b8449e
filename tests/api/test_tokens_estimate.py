"""Request-level image token estimates (K2): header sizes, mediaResolution, model and host."""

from __future__ import annotations

import base64
import struct

import pytest

from gemini_vision.api.endpoints import GeminiApi, VertexAi
from gemini_vision.api.generate import build_count_tokens, build_generate_content
from gemini_vision.api.tokens_estimate import estimate_request
from gemini_vision.errors import LocalError
from gemini_vision.tokens import image_tokens
from tests.image_samples import encode, exif_with_orientation, gradient

ROTATED = encode(gradient(1200, 700), "JPEG", exif=exif_with_orientation(8))
SMALL = encode(gradient(300, 200), "PNG")


def _inline(data: bytes, mime: str = "image/jpeg", **extra: object) -> dict[str, object]:
    return {"inlineData": {"mimeType": mime, "data": base64.b64encode(data).decode()}, **extra}


def test_every_inline_image_is_priced_from_its_displayed_size() -> None:
    """Inline images get the rule's tokens for their upright size; fileData images are listed."""
    body = {
        "contents": [
            {
                "role": "user",
                "parts": [{"text": "compare"}, _inline(ROTATED), _inline(SMALL, "image/png")],
            },
            {"role": "user", "parts": [{"fileData": {"mimeType": "image/png", "fileUri": "u"}}]},
        ]
    }
    estimate = estimate_request(body, model="gemini-2.0-flash", rule="documented")
    assert [i.size for i in estimate.images] == [(700, 1200), (300, 200)]
    assert [i.tokens for i in estimate.images] == [
        image_tokens(700, 1200, rule="documented"),
        image_tokens(300, 200, rule="documented"),
    ]
    assert estimate.image_tokens == sum(i.tokens for i in estimate.images)
    assert estimate.unsized == ("contents[1].parts[0]",)


def test_media_resolution_comes_from_the_part_else_the_config() -> None:
    """A part's mediaResolution overrides generationConfig.mediaResolution (Gemini 3)."""
    body = {
        "contents": [
            {
                "parts": [
                    _inline(ROTATED),
                    _inline(ROTATED, mediaResolution={"level": "MEDIA_RESOLUTION_HIGH"}),
                ]
            }
        ],
        "generationConfig": {"mediaResolution": "MEDIA_RESOLUTION_LOW"},
    }
    model = "gemini-3-pro-preview"
    estimate = estimate_request(body, model=model)
    assert [i.media_resolution for i in estimate.images] == [
        "MEDIA_RESOLUTION_LOW",
        "MEDIA_RESOLUTION_HIGH",
    ]
    assert [i.tokens for i in estimate.images] == [
        image_tokens(700, 1200, model=model, media_resolution="LOW"),
        image_tokens(700, 1200, model=model, media_resolution="HIGH"),
    ]
    assert {i.rule for i in estimate.images} == {"gemini3"}


def test_http_requests_name_their_model_and_host() -> None:
    """For built requests the model comes from the URL and Vertex AI from the host."""
    contents = ["what is this?", ROTATED]
    gemini = build_generate_content(GeminiApi("k"), "gemini-2.5-flash", contents)
    vertex = build_generate_content(
        VertexAi("p", "us-central1", lambda: "t"), "gemini-2.5-flash", contents
    )
    count = build_count_tokens(GeminiApi("k"), "gemini-2.5-flash", contents, system_instruction="x")
    assert estimate_request(gemini).images[0].rule == "single"
    on_vertex = estimate_request(vertex).images[0]
    assert (on_vertex.rule, on_vertex.tokens) == (
        "pan_and_scan",
        image_tokens(700, 1200, model="gemini-2.5-flash", vertex=True),
    )
    assert estimate_request(count).images[0].path == "generateContentRequest.contents[0].parts[1]"


def test_plain_contents_are_accepted() -> None:
    """Contents as Client.generate takes them are built, then estimated."""
    estimate = estimate_request(["hi", SMALL], model="gemini-1.5-pro")
    assert (estimate.images[0].rule, estimate.image_tokens) == ("flat258", 258)


def test_headers_past_the_first_mebibyte_are_found() -> None:
    """A JPEG whose frame header sits behind 1.8 MB of APP segments is still sized."""
    filler = b"".join(b"\xff\xe2" + struct.pack(">H", 60_002) + bytes(60_000) for _ in range(30))
    padded = SMALL[:0] + ROTATED[:2] + filler + ROTATED[2:]
    estimate = estimate_request({"contents": [{"parts": [_inline(padded)]}]}, rule="documented")
    assert estimate.images[0].size == (700, 1200)


def test_errors_name_the_part() -> None:
    """No model or rule, an unsupported image, bad base64: LocalError naming where."""
    body = {"contents": [{"parts": [_inline(encode(gradient(4, 4), "GIF"), "image/gif")]}]}
    with pytest.raises(LocalError, match="model="):
        estimate_request(body)
    with pytest.raises(LocalError, match=r"contents\[0\]\.parts\[0\].*GIF"):
        estimate_request(body, rule="documented")
    bad = {"contents": [{"parts": [{"inlineData": {"mimeType": "image/png", "data": "@@@"}}]}]}
    with pytest.raises(LocalError, match="base64"):
        estimate_request(bad, rule="documented")
