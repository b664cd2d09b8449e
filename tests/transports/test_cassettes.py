"""Recording and replay transports (X2): round trips, secret scrubbing, clear misses."""

from __future__ import annotations

import asyncio
import pathlib

import pytest

from gemini_vision.errors import ConnectError, ReplayMissError, StreamInterruptedError
from gemini_vision.transports import (
    AsyncRecordingTransport,
    AsyncReplayTransport,
    AsyncUrllibTransport,
    RecordingTransport,
    ReplayTransport,
    UrllibTransport,
    open_stream,
)
from gemini_vision.wire.http import HttpRequest, HttpResponse
from tests.loopback_server import LoopbackServer, Reply, Stream, closed_port

SECRET = "AIzaSy-very-secret-key-0123456789"


def _request(server: LoopbackServer, body: bytes = b'{"contents": []}') -> HttpRequest:
    return HttpRequest(
        "POST",
        server.url(f"/v1beta/models/m:generateContent?alt=json&key={SECRET}"),
        {"x-goog-api-key": SECRET, "Authorization": f"Bearer {SECRET}-token"},
        body,
        idempotent=True,
    )


def test_record_then_replay_round_trip_without_the_secret(tmp_path: pathlib.Path) -> None:
    """Replay returns what was recorded, in order; no secret is in the cassette file."""
    cassette = tmp_path / "calls.jsonl"
    png = b"\x89PNG\r\n\x1a\n\x00\xff binary"
    with LoopbackServer() as server:
        # The server echoes the key in a body and a header: it must be scrubbed there too.
        server.queue(
            Reply(503, f'{{"error": "key {SECRET} busy"}}'.encode(), {"X-Echo": SECRET}),
            Reply(200, b'{"candidates": []}', {"Content-Type": "application/json"}),
            Reply(200, png, {"Content-Type": "image/png"}),
        )
        recorder = RecordingTransport(UrllibTransport(trust_env=False), cassette)
        live = [recorder.send(_request(server), timeout=5) for _ in range(2)]
        live.append(recorder.send(HttpRequest("GET", server.url("/cat.png")), timeout=5))
        request = _request(server)
        image_url = server.url("/cat.png")
    text = cassette.read_text(encoding="utf-8")
    assert SECRET not in text
    assert "<redacted>" in text
    replay = ReplayTransport(cassette)
    replayed = [replay.send(request), replay.send(request)]
    replayed.append(replay.send(HttpRequest("GET", image_url)))
    for got, want in zip(replayed, live, strict=True):
        scrubbed = want.body.replace(SECRET.encode(), b"<redacted>")
        assert (got.status, got.body) == (want.status, scrubbed)
        assert got.headers.get("content-type") == want.headers.get("content-type")
    assert replayed[2].body == png  # binary bodies survive (base64 in the file)
    with pytest.raises(ReplayMissError, match="already used"):
        replay.send(request)


def test_replay_repeat_and_misses_say_what_is_recorded(tmp_path: pathlib.Path) -> None:
    """repeat=True reuses the last answer; a different body or URL names what is recorded."""
    cassette = tmp_path / "c.jsonl"
    with LoopbackServer() as server:
        server.queue(Reply(200, b"{}"))
        RecordingTransport(UrllibTransport(trust_env=False), cassette).send(_request(server))
        request = _request(server)
        other_body = _request(server, b'{"contents": [1]}')
        other_url = HttpRequest("GET", server.url("/nope"))
    replay = ReplayTransport(cassette, repeat=True)
    assert replay.send(request).body == replay.send(request).body == b"{}"
    with pytest.raises(ReplayMissError, match="recorded with other bodies"):
        replay.send(other_body)
    with pytest.raises(ReplayMissError, match="the cassette has: POST"):
        replay.send(other_url)


def test_streams_and_transport_errors_replay_as_recorded(tmp_path: pathlib.Path) -> None:
    """A stream keeps its chunks and its interruption; a connect failure replays as one."""
    cassette = tmp_path / "s.jsonl"
    refused = HttpRequest("GET", f"http://127.0.0.1:{closed_port()}/")
    with LoopbackServer() as server:
        server.queue(Stream([b"data: 1\n\n", b"data: 2\n\n", b"data: 3\n\n"], cut_after=2))
        recorder = RecordingTransport(UrllibTransport(trust_env=False), cassette)
        request = HttpRequest("POST", server.url("/s?alt=sse"), body=b"{}")
        live: list[bytes] = []
        with pytest.raises(StreamInterruptedError), recorder.stream(request, timeout=5) as s:
            live.extend(s)
        with pytest.raises(ConnectError):
            recorder.send(refused, timeout=5)
    replay = ReplayTransport(cassette)
    got: list[bytes] = []
    with pytest.raises(StreamInterruptedError), open_stream(replay, request) as s:
        got.extend(s)
    assert got == live
    assert b"".join(got) == b"data: 1\n\ndata: 2\n\n"
    with pytest.raises(ConnectError, match="replayed"):
        replay.send(refused)


def test_a_recorder_around_a_send_only_transport(tmp_path: pathlib.Path) -> None:
    """Recording works over a user transport with only send()."""

    class SendOnly:
        def send(self, request: HttpRequest, *, timeout: float | None = None) -> HttpResponse:
            return HttpResponse(200, {"a": "b"}, b"body")

    cassette = tmp_path / "u.jsonl"
    recorder = RecordingTransport(SendOnly(), cassette)
    request = HttpRequest("GET", "https://h/x")
    with recorder.stream(request) as streaming:
        assert streaming.read() == b"body"
    assert ReplayTransport(cassette).send(request).body == b"body"


def test_async_record_then_async_replay(tmp_path: pathlib.Path) -> None:
    """The async recorder writes the same format; the async replay plays send and stream back."""
    cassette = tmp_path / "a.jsonl"
    with LoopbackServer() as server:
        server.queue(
            Reply(200, b'{"ok": 1}'),
            Stream([b"data: 1\n\n", b"data: 2\n\n"]),
        )
        request = _request(server)
        streamed = HttpRequest("POST", server.url("/s?alt=sse"), body=b"{}")

        async def record() -> tuple[bytes, list[bytes]]:
            recorder = AsyncRecordingTransport(AsyncUrllibTransport(trust_env=False), cassette)
            body = (await recorder.send(request, timeout=5)).body
            async with await recorder.stream(streamed, timeout=5) as s:
                chunks = [c async for c in s]
            return body, chunks

        live = asyncio.run(record())

    async def replay() -> tuple[bytes, list[bytes]]:
        player = AsyncReplayTransport(cassette)
        body = (await player.send(request)).body
        async with await player.stream(streamed) as s:
            return body, [c async for c in s]

    assert SECRET not in cassette.read_text(encoding="utf-8")
    assert asyncio.run(replay()) == live
    assert b"".join(live[1]) == b"data: 1\n\ndata: 2\n\n"
