"""The seed's curl request samples, reproduced as builder calls (W3, W5).

Each sample in ``tests/data/seed_requests`` (see its README) is rebuilt with
the library's builders from plain Python arguments; the request must go to the
sample's URL (the key moving from the query to the header) and carry a JSON
body equal to the sample's up to key order and key casing. The comparison's
normalisation is written here, independently of the library: keys are
camelCased except names under ``properties`` and inside ``args``/``response``
(free-form), and a lone object where the API takes a list is wrapped, as the
API itself reads it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from gemini_vision.api import GeminiApi, build_generate_content, build_stream_generate_content
from gemini_vision.wire.codec import b64decode
from gemini_vision.wire.config import (
    FunctionCallingConfig,
    FunctionDeclaration,
    GenerationConfig,
    SafetySetting,
    Schema,
    Tool,
    ToolConfig,
)
from gemini_vision.wire.content import Content, Part
from gemini_vision.wire.http import HttpRequest

DATA = Path(__file__).resolve().parent.parent / "data" / "seed_requests"
API = GeminiApi("test-key-not-in-url")
REPEATED = {"contents", "parts", "tools", "safetySettings", "functionDeclarations"}
FREE_FORM = {"args", "response"}


def camel(name: str) -> str:
    return re.sub(r"_([a-z0-9])", lambda m: m.group(1).upper(), name)


def canonical(value: Any, parent: str = "") -> Any:
    """The sample's meaning: typed keys camelCased, lone objects of repeated fields listed."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            name = key if parent == "properties" else camel(key)
            if name in FREE_FORM:
                out[name] = item
                continue
            if name in REPEATED and isinstance(item, dict):
                item = [item]
            out[name] = canonical(item, name)
        return out
    if isinstance(value, list):
        return [canonical(v, parent) for v in value]
    return value


def load(name: str) -> dict[str, Any]:
    sample: dict[str, Any] = json.loads((DATA / f"{name}.json").read_text(encoding="utf-8"))
    return sample


def file_part(sample: dict[str, Any]) -> Part:
    data = sample["body"]["contents"][0]["parts"][1]["file_data"]
    return Part.from_uri(data["file_uri"], data["mime_type"])


def inline_image(sample: dict[str, Any]) -> Part:
    data = sample["body"]["contents"][0]["parts"][1]["inline_data"]["data"]
    return Part.from_bytes(b64decode(data), "image/jpeg")


CHAT = [
    Content("Hello", role="user"),
    Content("Great to meet you. What would you like to know?", role="model"),
    Content("I have two dogs in my house. How many paws are in my house?", role="user"),
]
FLASH = "gemini-1.5-flash"

LIGHTS = Tool(
    function_declarations=[
        FunctionDeclaration("enable_lights", "Turn on the lighting system.", {"type": "object"}),
        FunctionDeclaration(
            "set_light_color",
            "Set the light color. Lights must be enabled for this to work.",
            {
                "type": "object",
                "properties": {
                    "rgb_hex": {
                        "type": "string",
                        "description": (
                            "The light color as a 6-digit hex string, e.g. ff0000 for red."
                        ),
                    }
                },
                "required": ["rgb_hex"],
            },
        ),
        FunctionDeclaration("stop_lights", "Turn off the lighting system.", {"type": "object"}),
    ]
)

BUILDERS: dict[str, Callable[[dict[str, Any]], HttpRequest]] = {
    "text": lambda s: build_generate_content(API, FLASH, "Write a story about a magic backpack."),
    "image_inline": lambda s: build_generate_content(
        API, FLASH, ["Tell me about this instrument", inline_image(s)]
    ),
    "audio_file": lambda s: build_generate_content(
        API, FLASH, ["Please describe this file.", file_part(s)]
    ),
    "video_file": lambda s: build_generate_content(
        API,
        FLASH,
        [
            "Transcribe the audio from this video, giving timestamps for salient events in the "
            "video. Also provide visual descriptions.",
            file_part(s),
        ],
    ),
    "pdf_file": lambda s: build_generate_content(
        API, FLASH, ["Can you add a few more lines to this poem?", file_part(s)]
    ),
    "chat": lambda s: build_generate_content(API, FLASH, CHAT),
    "json_schema": lambda s: build_generate_content(
        API,
        FLASH,
        "List 5 popular cookie recipes",
        generation_config=GenerationConfig(
            response_mime_type="application/json",
            response_schema=Schema(
                "ARRAY",
                items=Schema("OBJECT", properties={"recipe_name": Schema("STRING")}),
            ),
        ),
    ),
    "function_calling": lambda s: build_generate_content(
        API,
        "gemini-1.5-pro-latest",
        [Content("What can you do?", role="user")],
        system_instruction=(
            "You are a helpful lighting system bot. You can turn lights on and off, and you can "
            "set the color. Do not perform any other tasks."
        ),
        tools=[LIGHTS],
        tool_config=ToolConfig(FunctionCallingConfig("none")),
    ),
    "generation_config": lambda s: build_generate_content(
        API,
        FLASH,
        "Write a story about a magic backpack.",
        safety_settings=[SafetySetting("HARM_CATEGORY_DANGEROUS_CONTENT", "BLOCK_ONLY_HIGH")],
        generation_config=GenerationConfig(
            stop_sequences=["Title"], temperature=1.0, max_output_tokens=800, top_p=0.8, top_k=10
        ),
    ),
    "safety_settings": lambda s: build_generate_content(
        API,
        FLASH,
        "'I support Martians Soccer Club and I think Jupiterians Football Club sucks! "
        "Write a ironic phrase about them.'",
        safety_settings=[
            SafetySetting("HARM_CATEGORY_HARASSMENT", "BLOCK_ONLY_HIGH"),
            SafetySetting("HARM_CATEGORY_HATE_SPEECH", "BLOCK_MEDIUM_AND_ABOVE"),
        ],
    ),
    "system_instruction": lambda s: build_generate_content(
        API, FLASH, "Hello there", system_instruction="You are a cat. Your name is Neko."
    ),
    "stream_text": lambda s: build_stream_generate_content(
        API, FLASH, "Write a story about a magic backpack."
    ),
    "stream_image_inline": lambda s: build_stream_generate_content(
        API, FLASH, ["Tell me about this instrument", inline_image(s)]
    ),
    "stream_audio_file": lambda s: build_stream_generate_content(
        API, FLASH, ["Please describe this file.", file_part(s)]
    ),
    "stream_video_file": lambda s: build_stream_generate_content(
        API, FLASH, ["Please describe this file.", file_part(s)]
    ),
    "stream_pdf_file": lambda s: build_stream_generate_content(
        API, FLASH, ["Can you add a few more lines to this poem?", file_part(s)]
    ),
    "stream_chat": lambda s: build_stream_generate_content(API, FLASH, CHAT),
}


def test_every_sample_has_a_builder() -> None:
    """No sample file is left without a reproduction, and no reproduction without a file."""
    assert {p.stem for p in DATA.glob("*.json")} == set(BUILDERS)


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_sample_reproduced(name: str) -> None:
    """The builder's URL and JSON body equal the seed sample's (up to key order and casing)."""
    sample = load(name)
    request = BUILDERS[name](sample)
    assert request.method == "POST"
    assert request.url == sample["url"]
    assert "key=" not in request.url
    assert request.headers["x-goog-api-key"] == "test-key-not-in-url"
    assert request.headers["content-type"] == "application/json"
    assert request.idempotent
    assert canonical(request.json()) == canonical(sample["body"])


def test_canonical_form_is_not_vacuous() -> None:
    """The normalisation keeps differences that matter: values, free-form keys, part order."""
    a = {"contents": [{"parts": [{"text": "a"}, {"text": "b"}]}]}
    assert canonical(a) != canonical({"contents": [{"parts": [{"text": "b"}, {"text": "a"}]}]})
    call = {"function_call": {"name": "f", "args": {"snake_key": 1}}}
    assert canonical(call) != canonical({"function_call": {"name": "f", "args": {"snakeKey": 1}}})
    assert canonical({"file_data": {"file_uri": "u"}}) == {"fileData": {"fileUri": "u"}}
