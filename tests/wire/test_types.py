"""W3/W4: typed wire values, camelCase on the wire, exact round trips, path-naming errors."""

from __future__ import annotations

import base64
import json
import struct
import zlib
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gemini_vision.errors import LocalError, ProtocolError
from gemini_vision.wire.codec import b64decode
from gemini_vision.wire.config import (
    FunctionDeclaration,
    GenerationConfig,
    SafetySetting,
    Schema,
    Tool,
    ToolConfig,
)
from gemini_vision.wire.content import (
    Content,
    FunctionCall,
    Part,
    register_part_converter,
    to_content,
    to_contents,
    to_part,
)
from gemini_vision.wire.model import camel_to_snake, snake_to_camel
from gemini_vision.wire.request import CountTokensRequest, GenerateContentRequest
from gemini_vision.wire.response import CountTokensResponse, GenerateContentResponse
from tests import strategies_wire as sw


def through_json(document: dict[str, Any]) -> Any:
    """What the other end of a socket sees: serialized and parsed again."""
    return json.loads(json.dumps(document))


class TestRoundTrip:
    @settings(max_examples=40)
    @given(sw.parts())
    def test_part(self, pair: sw.Pair) -> None:
        """A Part's wire JSON is the documented form and survives a JSON round trip."""
        part, expected = pair
        assert part.to_json() == expected
        again = Part.from_json(through_json(part.to_json()))
        assert again == part
        assert Part.from_json(part.to_json()) == part  # without a JSON text in between
        assert again.to_json() == expected

    @settings(max_examples=40)
    @given(sw.contents())
    def test_content(self, pair: sw.Pair) -> None:
        """Content round-trips, parts in order."""
        content, expected = pair
        assert content.to_json() == expected
        assert Content.from_json(through_json(expected)) == content

    @settings(max_examples=40)
    @given(sw.generation_configs())
    def test_generation_config(self, pair: sw.Pair) -> None:
        """GenerationConfig: camelCase names, schema passed through as built."""
        config, expected = pair
        assert config.to_json() == expected
        assert GenerationConfig.from_json(through_json(expected)) == config

    @settings(max_examples=40)
    @given(sw.schemas())
    def test_schema(self, pair: sw.Pair) -> None:
        """Schema builds the OpenAPI dict; property names are not re-cased."""
        schema, expected = pair
        assert schema.to_json() == expected
        assert Schema.from_json(through_json(expected)) == schema

    @settings(max_examples=40)
    @given(sw.tools(), sw.tool_configs(), sw.safety_settings())
    def test_tools_and_settings(
        self, tool: sw.Pair, tool_config: sw.Pair, settings: list[sw.Pair]
    ) -> None:
        """Tool, ToolConfig and SafetySetting round-trip."""
        for (value, expected), cls in ((tool, Tool), (tool_config, ToolConfig)):
            assert value.to_json() == expected
            assert cls.from_json(through_json(expected)) == value
        for value, expected in settings:
            assert SafetySetting.from_json(through_json(expected)) == value

    @settings(max_examples=40)
    @given(
        st.lists(sw.contents(), min_size=1, max_size=3),
        sw.generation_configs(),
        st.lists(sw.tools(), max_size=1),
        sw.safety_settings(),
    )
    def test_generate_content_request(
        self,
        contents: list[sw.Pair],
        config: sw.Pair,
        tools: list[sw.Pair],
        settings: list[sw.Pair],
    ) -> None:
        """A whole request body round-trips and matches the independently built JSON."""
        request = GenerateContentRequest(
            [c for c, _ in contents],
            generation_config=config[0],
            tools=[t for t, _ in tools] or None,
            safety_settings=[s for s, _ in settings] or None,
            system_instruction=Content("be brief"),
        )
        expected: dict[str, Any] = {"contents": [e for _, e in contents]}
        if tools:
            expected["tools"] = [e for _, e in tools]
        if settings:
            expected["safetySettings"] = [e for _, e in settings]
        expected["systemInstruction"] = {"parts": [{"text": "be brief"}]}
        expected["generationConfig"] = config[1]
        assert request.to_json() == expected
        assert GenerateContentRequest.from_json(through_json(expected)) == request
        counted = CountTokensRequest(generate_content_request=request)
        assert CountTokensRequest.from_json(through_json(counted.to_json())) == counted

    @settings(max_examples=40)
    @given(sw.response_json())
    def test_response_is_exact_including_unknown_fields(self, document: dict[str, Any]) -> None:
        """A response re-emits exactly what came in: unknown fields and int64 strings included."""
        response = GenerateContentResponse.from_json(through_json(document))
        assert response.to_json() == document
        again = GenerateContentResponse.from_json(through_json(response.to_json()))
        assert again == response
        for key in document:
            if key.startswith("future"):
                assert response.extra[key] == document[key]

    @given(st.integers(0, 2**62), st.booleans())
    def test_count_tokens_response(self, total: int, as_string: bool) -> None:
        """totalTokens reads as an int whether sent as a number or an int64 string."""
        document = {"totalTokens": str(total) if as_string else total}
        response = CountTokensResponse.from_json(document)
        assert response.total_tokens == total
        assert response.to_json() == document


class TestAccessors:
    DOC: dict[str, Any] = {  # noqa: RUF012
        "candidates": [
            {
                "content": {
                    "role": "model",
                    "parts": [
                        {"text": "I should look ", "thought": True},
                        {"text": "closely.", "thought": True, "thoughtSignature": "c2ln"},
                        {"text": "There are "},
                        {"functionCall": {"name": "count", "args": {"snake_key": 1}}},
                        {"text": "3 cats."},
                        {"functionCall": {"name": "box", "args": {}}},
                    ],
                },
                "finishReason": "STOP",
                "safetyRatings": [{"category": "HARM_CATEGORY_HARASSMENT", "probability": "LOW"}],
                "tokenCount": "42",
            },
            {"content": {"parts": [{"text": "other"}]}, "index": 1},
        ],
        "usageMetadata": {
            "promptTokenCount": "9007199254740993",
            "thoughtsTokenCount": 5,
            "promptTokensDetails": [{"modality": "IMAGE", "tokenCount": "258"}],
        },
        "modelVersion": "gemini-2.5-flash",
        "responseId": "r1",
    }

    def test_text_thoughts_and_calls(self) -> None:
        """text excludes thoughts; thoughts collects them; function calls keep order and args."""
        response = GenerateContentResponse.from_json(self.DOC)
        assert response.text == "There are 3 cats."
        assert response.thoughts == "I should look closely."
        assert [c.name for c in response.function_calls] == ["count", "box"]
        assert response.function_calls[0].args == {"snake_key": 1}
        assert response.candidates[1].text == "other"
        assert response.candidates[1].index == 1
        assert response.candidates[0].parts[1].thought_signature == b"sig"

    def test_int64_strings_become_ints(self) -> None:
        """int64 counts sent as strings read as exact Python ints."""
        response = GenerateContentResponse.from_json(self.DOC)
        usage = response.usage_metadata
        assert usage is not None
        assert usage.prompt_token_count == 9007199254740993
        assert usage.prompt_tokens_details[0].token_count == 258
        assert response.candidates[0].token_count == 42

    def test_text_is_none_without_text_parts(self) -> None:
        """No candidate, or no text part: text is None (a blocked prompt, a pure call)."""
        blocked = GenerateContentResponse.from_json({"promptFeedback": {"blockReason": "SAFETY"}})
        assert blocked.text is None and blocked.function_calls == []
        assert blocked.prompt_feedback is not None
        assert blocked.prompt_feedback.block_reason == "SAFETY"
        call = GenerateContentResponse.from_json(
            {"candidates": [{"content": {"parts": [{"functionCall": {"name": "f"}}]}}]}
        )
        assert call.text is None
        empty = GenerateContentResponse.from_json(
            {"candidates": [{"content": {"parts": [{"text": ""}]}}]}
        )
        assert empty.text == ""

    def test_repr_is_short(self) -> None:
        """The repr names fields and truncates long values."""
        part = Part(text="x" * 10_000)
        assert len(repr(part)) < 200
        assert repr(Part.from_bytes(b"\0" * 5, "image/png")).count("data=<5 bytes>") == 1


class TestParsingErrors:
    @pytest.mark.parametrize(
        ("document", "path"),
        [
            (
                {
                    "candidates": [
                        {"content": {"parts": [{"text": "a"}, {"inlineData": {"data": "@@"}}]}}
                    ]
                },
                "candidates[0].content.parts[1].inlineData.data",
            ),
            ({"candidates": {"content": 1}}, "candidates[0].content"),
            ({"usageMetadata": {"totalTokenCount": "12x"}}, "usageMetadata.totalTokenCount"),
            ({"candidates": [{"index": True}]}, "candidates[0].index"),
            (
                {"candidates": [{"content": {"parts": [{"thought": "yes"}]}}]},
                "candidates[0].content.parts[0].thought",
            ),
            ([], ""),
        ],
    )
    def test_error_names_the_json_path(self, document: Any, path: str) -> None:
        """A malformed field gives ProtocolError naming exactly where it is."""
        with pytest.raises(ProtocolError) as info:
            GenerateContentResponse.from_json(document)
        assert info.value.path == path
        if path:
            assert str(info.value).startswith(path + ": ")

    @settings(max_examples=40)
    @given(sw.json_values)
    def test_arbitrary_json_raises_only_protocol_error(self, document: Any) -> None:
        """Any JSON value either parses or raises ProtocolError (never another exception)."""
        for cls in (GenerateContentResponse, CountTokensResponse, GenerateContentRequest):
            try:
                value = cls.from_json(document)
            except ProtocolError:
                continue
            assert value.to_json() == document or isinstance(document, dict)

    def test_from_json_does_not_modify_its_input(self) -> None:
        """from_json copies: snake_case renaming happens on the copy."""
        document = {"contents": [{"parts": [{"inline_data": {"mime_type": "a/b", "data": ""}}]}]}
        snapshot = json.loads(json.dumps(document))
        GenerateContentRequest.from_json(document)
        assert document == snapshot


class TestCasing:
    @pytest.mark.parametrize(
        ("snake", "camel"),
        [
            ("file_uri", "fileUri"),
            ("candidates_token_count", "candidatesTokenCount"),
            ("text", "text"),
        ],
    )
    def test_name_conversion(self, snake: str, camel: str) -> None:
        """snake_case <-> camelCase for field names."""
        assert snake_to_camel(snake) == camel
        assert camel_to_snake(camel) == snake

    def test_snake_case_typed_fields_are_accepted_and_camelized(self) -> None:
        """Typed fields in snake_case (as the seed's curl samples write them) read as camelCase."""
        request = GenerateContentRequest.from_json(
            {
                "system_instruction": {"parts": {"text": "x"}},
                "contents": {"parts": [{"file_data": {"mime_type": "video/mp4", "file_uri": "u"}}]},
                "generation_config": {"response_mime_type": "application/json"},
            }
        )
        assert request.to_json() == {
            "systemInstruction": {"parts": [{"text": "x"}]},
            "contents": [{"parts": [{"fileData": {"mimeType": "video/mp4", "fileUri": "u"}}]}],
            "generationConfig": {"responseMimeType": "application/json"},
        }

    def test_free_form_values_are_never_recased(self) -> None:
        """Function args, responses and schemas keep their keys exactly."""
        args = {"snake_case": {"inner_key": [1, {"mime_type": "x"}]}, "camelCase": None}
        part = Part.from_json({"function_call": {"name": "f", "args": args}})
        assert part.to_json() == {"functionCall": {"name": "f", "args": args}}
        schema = {"type": "OBJECT", "properties": {"recipe_name": {"type": "STRING"}}}
        config = GenerationConfig.from_json(
            {"response_schema": schema, "response_mime_type": "application/json"}
        )
        assert config.to_json()["responseSchema"] == schema

    def test_both_spellings_at_once_are_refused(self) -> None:
        """A field given as fileUri and file_uri is ambiguous: ProtocolError."""
        with pytest.raises(ProtocolError, match="file_uri"):
            Part.from_json({"fileData": {"fileUri": "a", "file_uri": "b"}})


class TestPlainValues:
    def test_str_and_dicts_become_parts(self) -> None:
        """str -> text part; wire dicts -> parts; Blob-like objects wrapped."""
        assert to_part("hi") == Part(text="hi")
        assert to_part({"text": "x"}) == Part(text="x")
        assert to_part(FunctionCall("f", {"a": 1})).function_call == FunctionCall("f", {"a": 1})

    def test_contents_shapes(self) -> None:
        """A string is one turn; a list of parts one turn; a list of Content a conversation."""
        assert [c.to_json() for c in to_contents("hi")] == [{"parts": [{"text": "hi"}]}]
        assert len(to_contents(["a", "b"])) == 1
        chat = [
            Content("hello", role="user"),
            Content("hi!", role="model"),
            {"role": "user", "parts": [{"text": "?"}]},
        ]
        assert [c.role for c in to_contents(chat)] == ["user", "model", "user"]
        assert to_content(Content("x")) == Content("x")

    def test_registered_converter(self) -> None:
        """register_part_converter teaches to_part a new type."""

        class Caption:
            def __init__(self, text: str) -> None:
                self.text = text

        register_part_converter(Caption, lambda c: Part(text=c.text))
        assert to_part(Caption("cap")) == Part(text="cap")

    def test_image_values_go_to_the_images_hook(self) -> None:
        """Non-text values are handed to gemini_vision.images.image_part (or refused clearly)."""
        ihdr = b"IHDR" + struct.pack(">IIBBBBB", 2, 3, 8, 2, 0, 0, 0)
        png = (
            b"\x89PNG\r\n\x1a\n"
            + struct.pack(">I", 13)
            + ihdr
            + struct.pack(">I", zlib.crc32(ihdr))
        )
        try:
            import gemini_vision.images  # noqa: F401
        except ImportError:
            with pytest.raises(LocalError, match="as a Part"):
                to_part(png)
            return
        part = to_part(png)
        assert part.inline_data is not None
        assert part.inline_data.data == png

    def test_part_holds_one_data_member(self) -> None:
        """Two data members in one Part is a LocalError naming both."""
        with pytest.raises(LocalError, match="text and function_call"):
            Part(text="a", function_call=FunctionCall("f"))


class TestLocalValidation:
    @pytest.mark.parametrize(
        ("kwargs", "message"),
        [
            (
                {"generation_config": GenerationConfig(candidate_count=0)},
                "candidateCount must be at least 1",
            ),
            (
                {"generation_config": GenerationConfig(temperature=-0.1)},
                r"temperature must be in \[0, 2\]",
            ),
            ({"generation_config": GenerationConfig(top_p=1.5)}, "topP"),
            ({"generation_config": GenerationConfig(max_output_tokens=0)}, "maxOutputTokens"),
            ({"generation_config": GenerationConfig(stop_sequences=list("abcdef"))}, "at most 5"),
            (
                {"generation_config": GenerationConfig(response_schema={"type": "STRING"})},
                "responseSchema needs responseMimeType",
            ),
            (
                {
                    "safety_settings": [
                        SafetySetting("HARM_CATEGORY_HATE_SPEECH", "BLOCK_NONE"),
                        SafetySetting("HARM_CATEGORY_HATE_SPEECH", "BLOCK_ONLY_HIGH"),
                    ]
                },
                "HARM_CATEGORY_HATE_SPEECH is already set",
            ),
            (
                {
                    "tools": [
                        Tool(function_declarations=[FunctionDeclaration("f")]),
                        Tool(function_declarations=[FunctionDeclaration("f")]),
                    ]
                },
                "'f' is already declared",
            ),
            (
                {"tools": [Tool(function_declarations=[FunctionDeclaration("bad name")])]},
                "name must",
            ),
            ({"cached_content": "abc"}, "cachedContents/"),
        ],
    )
    def test_invalid_requests_fail_before_sending(
        self, kwargs: dict[str, Any], message: str
    ) -> None:
        """Each rule the library can check raises LocalError naming the field."""
        request = GenerateContentRequest(to_contents("hi"), **kwargs)
        with pytest.raises(LocalError, match=message):
            request.validate()

    def test_empty_contents_and_parts(self) -> None:
        """No contents, or a content without parts, is refused."""
        with pytest.raises(LocalError, match="at least one Content"):
            GenerateContentRequest([]).validate()
        with pytest.raises(LocalError, match=r"contents\[0\].parts"):
            GenerateContentRequest([Content([])]).validate()


def test_base64_accepts_both_alphabets_and_missing_padding() -> None:
    """Standard and URL-safe base64, padded or not, decode the same bytes."""
    data = bytes(range(256))
    for text in (
        base64.b64encode(data).decode(),
        base64.urlsafe_b64encode(data).decode(),
        base64.b64encode(data).decode().rstrip("="),
    ):
        assert b64decode(text) == data
    with pytest.raises(ValueError):
        b64decode("a b")


class TestDumps:
    @pytest.mark.parametrize("codec", ["stdlib", "orjson"])
    @pytest.mark.parametrize(
        "long_text",
        [
            "A" * 40_000,
            'quote " inside' + "x" * 40_000,
            "back\\slash" + "x" * 40_000,
            "control\x01" + "x" * 40_000,
            "\ue0000\ue001" + "x" * 40_000,  # looks like the splice placeholder
            "é" * 40_000,
        ],
    )
    def test_long_strings_survive(
        self, codec: str, long_text: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Whatever a long string holds, the encoded body parses back to the same value."""
        if codec == "orjson":
            pytest.importorskip("orjson")
        from gemini_vision.wire import codec as wire_json

        monkeypatch.setenv("GEMINI_VISION_JSON", codec)
        monkeypatch.setattr(wire_json, "_codec", None)
        document = {"a": long_text, "b": [long_text, {"c": "\ue0001\ue001"}], "d": "short"}
        assert json.loads(wire_json.dumps(document)) == document
        monkeypatch.setattr(wire_json, "_codec", None)
