"""W6: the incremental SSE decoder, the stream parser, the chunk merger."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gemini_vision import errors
from gemini_vision.api.sse import SseDecoder, SseEvent, StreamParser, merge_chunks
from gemini_vision.wire.response import GenerateContentResponse


def decode_all(chunks: list[bytes], max_event_size: int = 1 << 20) -> list[SseEvent]:
    decoder = SseDecoder(max_event_size)
    events = []
    for chunk in chunks:
        events.extend(decoder.feed(chunk))
    events.extend(decoder.close())
    return events


def splits(data: bytes) -> list[list[bytes]]:
    """The stream cut at every byte boundary (one cut), and byte by byte."""
    cuts = [[data[:i], data[i:]] for i in range(len(data) + 1)]
    return [*cuts, [data[i : i + 1] for i in range(len(data))]]


def chunk(text: str, **extra: Any) -> dict[str, Any]:
    return {"candidates": [{"content": {"role": "model", "parts": [{"text": text}]}, **extra}]}


STREAM = (
    "\ufeff: keep-alive comment\r\n"
    'data: {"a": 1}\r\n\r\n'
    "event: custom\ndata:no-space\ndata:  two spaces\nid: 7\nretry: 1500\n\n"
    "data: é, ✓ and 𝄞\r\r"
    "data\n\n"
    "data: last without blank line"
).encode()
EXPECTED = [
    SseEvent('{"a": 1}'),
    SseEvent("no-space\n two spaces", event="custom", id="7", retry=1500),
    SseEvent("é, ✓ and 𝄞", id="7"),
    SseEvent("", id="7"),
    SseEvent("last without blank line", id="7"),
]


class TestDecoder:
    def test_grammar(self) -> None:
        """BOM, comments, CRLF/LF/CR, data: with and without space, fields, final event."""
        assert decode_all([STREAM]) == EXPECTED

    def test_every_split_gives_the_same_events(self) -> None:
        """Cutting the stream at any byte (inside CRLF, inside a UTF-8 sequence) changes nothing."""
        for chunks in splits(STREAM):
            assert decode_all(chunks) == EXPECTED, chunks

    @given(st.data())
    def test_random_splits_of_random_streams(self, data: st.DataObject) -> None:
        """For generated streams, any chunking equals the one-shot decode."""
        lines = data.draw(
            st.lists(
                st.sampled_from(["data: x", "data:yz", "", ":c", "event: e", "id: 1", "data: é"]),
                max_size=12,
            )
        )
        ending = data.draw(st.sampled_from(["\n", "\r\n", "\r"]))
        stream = ending.join(lines).encode()
        whole = decode_all([stream])
        cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=5)))
        pieces = [stream[a:b] for a, b in zip([0, *cuts], [*cuts, len(stream)], strict=True)]
        assert decode_all(pieces) == whole

    def test_event_size_is_bounded(self) -> None:
        """An event (or a line still being read) longer than max_event_size is a ProtocolError."""
        with pytest.raises(errors.ProtocolError, match="max_event_size"):
            decode_all([b"data: " + b"x" * 200 + b"\n\n"], max_event_size=100)
        decoder = SseDecoder(max_event_size=100)
        with pytest.raises(errors.ProtocolError):
            for _ in range(10):
                decoder.feed(b"y" * 20)  # no line end ever comes
        assert decode_all([b"data: " + b"x" * 90 + b"\n\n"], max_event_size=100)[0].data == "x" * 90

    def test_invalid_utf8_is_replaced(self) -> None:
        """Bytes that are not UTF-8 decode to U+FFFD, as the SSE standard says."""
        assert decode_all([b"data: \xff\xfe\n\n"]) == [SseEvent("\ufffd\ufffd")]

    def test_non_sse_lines_are_kept(self) -> None:
        """Lines that are no SSE field are kept as other_lines (a raw JSON body, say)."""
        assert decode_all([b'{\n  "error": 1\n}\n']) == [
            SseEvent("", other_lines=("{", '  "error": 1', "}"))
        ]

    @given(st.binary(max_size=300))
    def test_arbitrary_bytes(self, data: bytes) -> None:
        """Arbitrary bytes decode without raising anything."""
        decode_all([data])


def sse(*documents: Any) -> bytes:
    return b"".join(b"data: " + json.dumps(d).encode() + b"\r\n\r\n" for d in documents)


def run_parser(chunks: list[bytes]) -> tuple[list[str | None], BaseException | None]:
    parser = StreamParser()
    texts: list[str | None] = []
    try:
        for piece in chunks:
            texts.extend(c.text for c in parser.feed(piece))
        texts.extend(c.text for c in parser.close())
    except errors.GeminiVisionError as error:
        return texts, error
    return texts, None


ERROR_PRETTY = b"""{
  "error": {
    "code": 429,
    "message": "Resource has been exhausted (e.g. check quota).",
    "status": "RESOURCE_EXHAUSTED",
    "details": [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "2s"}]
  }
}
"""


class TestStreamParser:
    def test_chunks(self) -> None:
        """Each data event becomes a GenerateContentResponse chunk, in order."""
        assert run_parser([sse(chunk("Hel"), chunk("lo"))]) == (["Hel", "lo"], None)

    @pytest.mark.parametrize(
        "error_bytes",
        [
            ERROR_PRETTY,  # the server stopped speaking SSE
            b"data: " + json.dumps(json.loads(ERROR_PRETTY)).encode() + b"\n\n",  # framed
            b"".join(
                b"data: " + line + b"\n" for line in ERROR_PRETTY.splitlines()
            ),  # pretty, framed
            b"data: " + ERROR_PRETTY,  # only the first line framed
            b"\r\n" + ERROR_PRETTY.replace(b"\n", b"\r\n"),
        ],
    )
    def test_error_mid_stream_after_the_chunks(self, error_bytes: bytes) -> None:
        """An error document mid-stream raises ApiError only after the earlier chunks came out."""
        stream = sse(chunk("one"), chunk("two")) + error_bytes
        every = splits(stream)
        for pieces in [*every[:: max(1, len(stream) // 40)], every[-1]]:
            texts, error = run_parser(pieces)
            assert texts == ["one", "two"]
            assert isinstance(error, errors.ResourceExhaustedError)
            assert error.retry_delay == 2.0

    def test_nothing_after_the_error(self) -> None:
        """Chunks after an error are not delivered; the error surfaces once."""
        stream = sse(
            chunk("a"), {"error": {"code": 500, "status": "INTERNAL", "message": "x"}}, chunk("b")
        )
        texts, error = run_parser([stream])
        assert texts == ["a"] and isinstance(error, errors.InternalError)

    def test_invalid_chunk_is_a_protocol_error_with_a_path(self) -> None:
        """A chunk that is not a valid response names the chunk and the JSON path."""
        texts, error = run_parser([sse(chunk("ok"), {"candidates": [{"index": "x"}]})])
        assert texts == ["ok"]
        assert isinstance(error, errors.ProtocolError)
        assert "stream chunk 1: candidates[0].index" in str(error)

    def test_garbage_is_a_protocol_error(self) -> None:
        """Text that is neither SSE nor JSON gives a ProtocolError with a preview."""
        texts, error = run_parser([sse(chunk("ok")) + b"<html>oops</html>\n"])
        assert texts == ["ok"]
        assert isinstance(error, errors.ProtocolError) and "<html>oops</html>" in str(error)

    @given(st.binary(max_size=300))
    def test_arbitrary_bytes_raise_only_library_errors(self, data: bytes) -> None:
        """Whatever arrives, only the library's own errors come out."""
        run_parser([data])


class TestMerge:
    def test_text_thoughts_calls_usage(self) -> None:
        """Text concatenated per candidate, thoughts apart, calls appended, last usage/finish."""

        def turn(*parts: Any, **extra: Any) -> dict[str, Any]:
            return {"content": {"role": "model", "parts": list(parts)}, **extra}

        think = {"text": "Think", "thought": True}
        ing = {"text": "ing", "thought": True}
        chunks = [
            {"candidates": [turn(think)]},
            {"candidates": [turn(ing, {"text": "An"})], "usageMetadata": {"totalTokenCount": 3}},
            {
                "candidates": [
                    turn({"text": "swer"}, {"functionCall": {"name": "f", "args": {}}}),
                    {"index": 1, "content": {"parts": [{"text": "second"}]}},
                ]
            },
            {
                "candidates": [
                    turn(
                        {"functionCall": {"name": "g"}},
                        finishReason="STOP",
                        citationMetadata={"citationSources": [{"uri": "u"}]},
                    )
                ],
                "usageMetadata": {"totalTokenCount": 9},
                "modelVersion": "v",
                "futureField": 1,
            },
        ]
        merged = merge_chunks(GenerateContentResponse.from_json(c) for c in chunks)
        assert merged.text == "Answer"
        assert merged.thoughts == "Thinking"
        assert [c.name for c in merged.function_calls] == ["f", "g"]
        assert merged.candidates[0].finish_reason == "STOP"
        assert merged.candidates[1].text == "second"
        assert merged.usage_metadata is not None and merged.usage_metadata.total_token_count == 9
        assert merged.model_version == "v" and merged.extra == {"futureField": 1}
        parts = merged.to_json()["candidates"][0]["content"]["parts"]
        assert [list(p) for p in parts] == [
            ["text", "thought"],
            ["text"],
            ["functionCall"],
            ["functionCall"],
        ]

    @given(st.lists(st.text(max_size=5), max_size=8))
    def test_merged_text_is_the_concatenation(self, pieces: list[str]) -> None:
        """Merging text chunks gives exactly the joined text, however it was cut."""
        merged = merge_chunks(GenerateContentResponse.from_json(chunk(p)) for p in pieces)
        assert merged.text == ("".join(pieces) if pieces else None)
        assert len(merged.candidates[0].parts if pieces else []) == (1 if pieces else 0)

    def test_merge_does_not_modify_the_chunks(self) -> None:
        """The chunks stay as they were."""
        first = GenerateContentResponse.from_json(chunk("a"))
        merge_chunks([first, GenerateContentResponse.from_json(chunk("b"))])
        assert first.text == "a"
