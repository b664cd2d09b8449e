"""google-genai objects in and out (wire.sdk), against the installed SDK itself.

Each test builds the SDK's own object, converts it, and compares with what the
same call gives for the wire form typed by hand (or with the SDK's own reading
of our output), so a wrong conversion cannot agree with itself.
"""

from __future__ import annotations

import datetime
import subprocess
import sys

import pytest

from gemini_vision.api.endpoints import GeminiApi, VertexAi
from gemini_vision.api.generate import (
    build_count_tokens,
    build_generate_content,
    generate_content_request,
)
from gemini_vision.errors import LocalError
from gemini_vision.wire.content import Content, Part, to_contents, to_part
from gemini_vision.wire.response import GenerateContentResponse
from gemini_vision.wire.sdk import from_sdk, is_sdk_object, plain_json, to_sdk

types = pytest.importorskip("google.genai.types")

THOUGHT_SIGNATURE = b"\x01\xfb\xff\x00signature"


def sdk_response(text: str) -> object:
    return types.GenerateContentResponse(
        candidates=[
            types.Candidate(
                content=types.Content(
                    role="model",
                    parts=[
                        types.Part(text="thinking...", thought=True),
                        types.Part(text=text, thought_signature=THOUGHT_SIGNATURE),
                    ],
                ),
                finish_reason=types.FinishReason.STOP,
            )
        ],
        usage_metadata=types.GenerateContentResponseUsageMetadata(
            prompt_token_count=10, total_token_count=20
        ),
        create_time=datetime.datetime(2025, 6, 1, 12, 0, tzinfo=datetime.timezone.utc),
        model_version="gemini-2.5-flash",
    )


def test_an_sdk_object_is_recognised_by_its_module() -> None:
    assert is_sdk_object(types.Part(text="x"))
    assert not is_sdk_object(Part(text="x"))
    assert not is_sdk_object({"text": "x"})


@pytest.mark.parametrize(
    "form",
    ["object", "model_dump", "model_dump_json_mode", "model_dump_by_alias"],
)
def test_every_form_of_an_sdk_response_reads_as_the_wire_response(form: str) -> None:
    sdk = sdk_response("hello")
    value = {
        "object": sdk,
        "model_dump": sdk.model_dump(),
        "model_dump_json_mode": sdk.model_dump(mode="json"),
        "model_dump_by_alias": sdk.model_dump(by_alias=True),
    }[form]
    data = from_sdk(value) if form == "object" else plain_json(value)
    ours = GenerateContentResponse.from_json(data)
    assert ours.text == "hello"
    assert ours.thoughts == "thinking..."
    assert ours.candidates[0].finish_reason == "STOP"
    assert ours.candidates[0].content.parts[1].thought_signature == THOUGHT_SIGNATURE
    assert ours.usage_metadata.total_token_count == 20


def test_plain_json_turns_a_str_enum_into_a_plain_string() -> None:
    """The "expected a string, got a string" case: a str-enum member is not a JSON string."""
    dumped = sdk_response("x").model_dump()
    finish = dumped["candidates"][0]["finish_reason"]
    assert isinstance(finish, str) and type(finish) is not str  # the SDK's enum member
    plain = plain_json(dumped)["candidates"][0]["finish_reason"]
    assert type(plain) is str and plain == "STOP"


def test_our_response_goes_back_to_the_sdk_type() -> None:
    ours = GenerateContentResponse.from_json(from_sdk(sdk_response("back")))
    theirs = to_sdk(ours)
    assert type(theirs) is types.GenerateContentResponse
    assert theirs.text == "back"
    assert theirs.candidates[0].finish_reason == types.FinishReason.STOP
    assert theirs.candidates[0].content.parts[1].thought_signature == THOUGHT_SIGNATURE
    # and from a wire dict, naming the type
    part = to_sdk({"inlineData": {"mimeType": "image/png", "data": "AAEC"}}, "Part")
    assert part.inline_data.data == b"\x00\x01\x02"


def test_to_sdk_errors_are_local_errors() -> None:
    with pytest.raises(LocalError, match="type_name"):
        to_sdk({"text": "x"})
    with pytest.raises(LocalError, match="no type 'NoSuchThing'"):
        to_sdk({"text": "x"}, "NoSuchThing")
    with pytest.raises(LocalError, match="expected a wire object or a dict"):
        to_sdk(5)


def test_sdk_parts_and_contents_in_the_builders() -> None:
    sdk_contents = [
        types.Content(
            role="user",
            parts=[
                types.Part(text="Find the cats."),
                types.Part.from_bytes(data=b"\x89PNG", mime_type="image/png"),
            ],
        )
    ]
    ours = [
        Content(role="user", parts=["Find the cats.", Part.from_bytes(b"\x89PNG", "image/png")])
    ]
    assert [c.to_json() for c in to_contents(sdk_contents)] == [c.to_json() for c in ours]
    # a lone SDK Part is one user turn, as a lone string is
    assert to_contents(types.Part(text="hi"))[0].to_json() == {"parts": [{"text": "hi"}]}
    assert to_part(types.Part.from_uri(file_uri="u", mime_type="image/png")).to_json() == {
        "fileData": {"fileUri": "u", "mimeType": "image/png"}
    }


def test_a_generate_content_config_splits_into_request_fields() -> None:
    config = types.GenerateContentConfig(
        temperature=0.3,
        max_output_tokens=100,
        response_mime_type="application/json",
        thinking_config=types.ThinkingConfig(thinking_budget=0),
        system_instruction="Return JSON.",
        safety_settings=[
            types.SafetySetting(
                category=types.HarmCategory.HARM_CATEGORY_HARASSMENT,
                threshold=types.HarmBlockThreshold.BLOCK_ONLY_HIGH,
            )
        ],
        tools=[types.Tool(code_execution=types.ToolCodeExecution())],
        media_resolution=types.MediaResolution.MEDIA_RESOLUTION_LOW,
    )
    by_sdk = generate_content_request("hi", generation_config=config).to_json()
    by_hand = generate_content_request(
        "hi",
        generation_config={
            "temperature": 0.3,
            "maxOutputTokens": 100,
            "responseMimeType": "application/json",
            "thinkingConfig": {"thinkingBudget": 0},
            "mediaResolution": "MEDIA_RESOLUTION_LOW",
        },
        system_instruction="Return JSON.",
        safety_settings=[{"category": "HARM_CATEGORY_HARASSMENT", "threshold": "BLOCK_ONLY_HIGH"}],
        tools=[{"codeExecution": {}}],
    ).to_json()
    assert by_sdk == by_hand


def test_sdk_tool_and_safety_setting_values_are_accepted() -> None:
    request = generate_content_request(
        "hi",
        tools=[
            types.Tool(
                function_declarations=[
                    types.FunctionDeclaration(
                        name="find", parameters=types.Schema(type="OBJECT", properties={})
                    )
                ]
            )
        ],
        safety_settings=[
            types.SafetySetting(category="HARM_CATEGORY_HATE_SPEECH", threshold="OFF")
        ],
    ).to_json()
    assert request["tools"] == [
        {
            "functionDeclarations": [
                {"name": "find", "parameters": {"type": "OBJECT", "properties": {}}}
            ]
        }
    ]
    assert request["safetySettings"] == [
        {"category": "HARM_CATEGORY_HATE_SPEECH", "threshold": "OFF"}
    ]


def test_client_side_sdk_settings_are_refused() -> None:
    config = types.GenerateContentConfig(
        temperature=0.1, http_options=types.HttpOptions(timeout=1000)
    )
    with pytest.raises(LocalError, match="httpOptions"):
        generate_content_request("hi", generation_config=config)


def test_a_setting_given_twice_is_refused() -> None:
    config = types.GenerateContentConfig(system_instruction="a")
    with pytest.raises(LocalError, match="system_instruction is given twice"):
        generate_content_request("hi", generation_config=config, system_instruction="b")


def test_wrong_types_in_the_builders_are_local_errors() -> None:
    with pytest.raises(LocalError, match=r"tools\[0\]: expected a Tool"):
        generate_content_request("hi", tools=[5])
    with pytest.raises(LocalError, match="tools: expected a list of Tool"):
        generate_content_request("hi", tools={"codeExecution": {}})
    with pytest.raises(LocalError, match="generation_config: expected a GenerationConfig"):
        generate_content_request("hi", generation_config=0.5)
    with pytest.raises(LocalError, match="cached_content"):
        generate_content_request("hi", cached_content=5)


def test_the_built_request_matches_for_sdk_and_wire_inputs() -> None:
    endpoint = GeminiApi("k")
    sdk = build_generate_content(
        endpoint,
        "gemini-2.5-flash",
        [types.Content(role="user", parts=[types.Part(text="x")])],
        generation_config=types.GenerateContentConfig(temperature=0.5),
    )
    wire = build_generate_content(
        endpoint,
        "gemini-2.5-flash",
        [{"role": "user", "parts": [{"text": "x"}]}],
        generation_config={"temperature": 0.5},
    )
    assert sdk.json() == wire.json()


def test_the_sans_io_core_does_not_import_the_sdk() -> None:
    code = (
        "import sys\n"
        "import gemini_vision.api.generate, gemini_vision.spatial, gemini_vision.wire.sdk\n"
        "from gemini_vision import spatial\n"
        "spatial.parse({'candidates': [{'content': {'parts': [{'text': '[]'}]}}]}, (4, 4))\n"
        "assert not any(m.startswith('google') for m in sys.modules), 'google imported'\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


# --- Vertex countTokens -------------------------------------------------------------

# google-genai's Vertex converter, recorded (1.75 and 3.6 agree): for
# models.count_tokens(model, contents, config=CountTokensConfig(system_instruction=...,
# tools=..., generation_config=...)) on Vertex AI it sends these keys at the top level.
RECORDED_VERTEX_COUNT_TOKENS = {
    "contents": [{"parts": [{"text": "How many tokens?"}], "role": "user"}],
    "systemInstruction": {"parts": [{"text": "Be brief."}], "role": "user"},
    "tools": [{"googleSearch": {}}],
    "generationConfig": {"temperature": 0.5},
}


def test_vertex_count_tokens_has_the_recorded_shape() -> None:
    vertex = VertexAi("proj", "us-central1", lambda: "token")
    request = build_count_tokens(
        vertex,
        "gemini-2.5-flash",
        [{"role": "user", "parts": [{"text": "How many tokens?"}]}],
        system_instruction={"role": "user", "parts": [{"text": "Be brief."}]},
        tools=[{"googleSearch": {}}],
        generation_config={"temperature": 0.5},
    )
    assert request.json() == RECORDED_VERTEX_COUNT_TOKENS
    assert request.url.endswith("/publishers/google/models/gemini-2.5-flash:countTokens")


def test_vertex_count_tokens_matches_the_sdk_converter() -> None:
    """The same request through google-genai's own Vertex converter (no network)."""
    models = pytest.importorskip("google.genai.models")
    converter = getattr(models, "_CountTokensParameters_to_vertex", None)
    if converter is None:
        pytest.skip("this google-genai has no Vertex count-tokens converter")
    from google.genai import _api_client

    client = _api_client.BaseApiClient(vertexai=True, project="proj", location="us-central1")
    params = types._CountTokensParameters(
        model="gemini-2.5-flash",
        contents=[types.Content(role="user", parts=[types.Part(text="How many tokens?")])],
        config=types.CountTokensConfig(
            system_instruction=types.Content(role="user", parts=[types.Part(text="Be brief.")]),
            tools=[types.Tool(google_search=types.GoogleSearch())],
            generation_config=types.GenerationConfig(temperature=0.5),
        ),
    )
    try:
        sdk_body = converter(client, params.model_dump(exclude_none=True))
    except TypeError:
        sdk_body = converter(params.model_dump(exclude_none=True))
    sdk_body = {k: v for k, v in plain_json(sdk_body).items() if not k.startswith("_")}
    assert sdk_body == RECORDED_VERTEX_COUNT_TOKENS


def test_vertex_count_tokens_refuses_what_it_has_no_field_for() -> None:
    vertex = VertexAi("proj", "us-central1", lambda: "token")
    with pytest.raises(LocalError, match="leave out safetySettings"):
        build_count_tokens(
            vertex,
            "gemini-2.5-flash",
            "hi",
            safety_settings=[{"category": "HARM_CATEGORY_HARASSMENT", "threshold": "OFF"}],
        )


def test_gemini_api_count_tokens_keeps_the_wrapped_shape() -> None:
    body = build_count_tokens(
        GeminiApi("k"), "gemini-2.5-flash", "hi", tools=[{"googleSearch": {}}]
    )
    assert set(body.json()) == {"generateContentRequest"}


def test_a_str_enum_member_is_not_called_a_string() -> None:
    """The "expected a string, got a string" message: it now names the enum type."""
    from gemini_vision.errors import ProtocolError

    finish = sdk_response("x").model_dump()["candidates"][0]["finish_reason"]  # an enum member
    with pytest.raises(ProtocolError) as caught:
        GenerateContentResponse.from_json({"candidates": [{"finishReason": finish}]})
    assert "got a string" not in str(caught.value)
    assert "FinishReason (a str subclass" in str(caught.value)


def test_a_file_goes_to_the_sdk_and_back_as_a_part() -> None:
    from gemini_vision.wire.files import File

    ours = File.from_json(
        {
            "name": "files/a",
            "uri": "https://h/v1beta/files/a",
            "mimeType": "image/png",
            "state": "ACTIVE",
            "sizeBytes": "5",
        }
    )
    theirs = to_sdk(ours)
    assert type(theirs) is types.File
    assert (theirs.state, theirs.size_bytes) == (types.FileState.ACTIVE, 5)
    # an SDK File where a part is expected is a reference to it, as google-genai reads it
    assert to_part(theirs).to_json() == {
        "fileData": {"fileUri": "https://h/v1beta/files/a", "mimeType": "image/png"}
    }
