"""Client and AsyncClient (X3) against a real loopback server: calls, retry, streams, images."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from gemini_vision.api.retry import RetryPolicy
from gemini_vision.client import AsyncClient, Client
from gemini_vision.errors import (
    ConnectError,
    InvalidArgumentError,
    LocalError,
    NotFoundError,
    StreamInterruptedError,
    UnavailableError,
)
from gemini_vision.transports import (
    AsyncUrllibTransport,
    UrllibTransport,
)
from gemini_vision.wire.http import HttpRequest, HttpResponse
from tests.image_samples import encode, gradient
from tests.loopback_server import Hangup, LoopbackServer, Reply, Stream, closed_port

try:
    import httpx
except ImportError:
    httpx = None  # type: ignore[assignment]

KEY = "AIza-test-key-123456"
MODEL = "gemini-2.5-flash"
PNG = encode(gradient(30, 20), "PNG")


def _answer(text: str) -> bytes:
    return json.dumps(
        {
            "candidates": [{"content": {"role": "model", "parts": [{"text": text}]}}],
            "usageMetadata": {"promptTokenCount": 3, "totalTokenCount": 5},
        }
    ).encode()


def _status(code: int, status: str, message: str, delay: str | None = None) -> bytes:
    details = []
    if delay is not None:
        details.append({"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": delay})
    body = {"error": {"code": code, "status": status, "message": message, "details": details}}
    return json.dumps(body).encode()


def _sync_transports() -> dict[str, Any]:
    found: dict[str, Any] = {"urllib": lambda: UrllibTransport(trust_env=False)}
    if httpx is not None:
        from gemini_vision.transports import HttpxTransport

        found["httpx"] = HttpxTransport
    return found


def _async_transports() -> dict[str, Any]:
    found: dict[str, Any] = {"urllib": lambda: AsyncUrllibTransport(trust_env=False)}
    if httpx is not None:
        from gemini_vision.transports import AsyncHttpxTransport

        found["httpx"] = AsyncHttpxTransport
    return found


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    """A scripted loopback server."""
    with LoopbackServer() as running:
        yield running


class Sleeps(list[float]):
    """An injected sleep that records the delays instead of waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture(params=sorted(_sync_transports()))
def client(request: pytest.FixtureRequest, server: LoopbackServer) -> Iterator[Client]:
    """A Client on the loopback server with each sync transport and a recording sleep."""
    transport = _sync_transports()[request.param]()
    with Client(
        KEY,
        base_url=server.url(""),
        transport=transport,
        retry=RetryPolicy(max_attempts=4, seed=3),
        timeout=5,
        sleep=Sleeps(),
    ) as made:
        yield made


def _sleeps(client: Client) -> Sleeps:
    assert isinstance(client._sleep, Sleeps)
    return client._sleep


def test_generate_sends_the_key_in_a_header_and_parses_the_answer(
    client: Client, server: LoopbackServer
) -> None:
    """generate() POSTs to models/{m}:generateContent with the key header and the image inline."""
    server.queue(Reply(200, _answer("a cat"), {"Content-Type": "application/json"}))
    response = client.generate(MODEL, ["What is this?", PNG], temperature=0.1)
    assert response.text == "a cat"
    seen = server.seen[0]
    assert seen.path == f"/v1beta/models/{MODEL}:generateContent"
    assert KEY not in seen.path
    assert {k.lower(): v for k, v in seen.headers.items()}["x-goog-api-key"] == KEY
    body = json.loads(seen.body)
    assert body["generationConfig"] == {"temperature": 0.1}
    assert body["contents"][0]["parts"][1]["inlineData"]["mimeType"] == "image/png"


def test_429_with_retry_info_is_retried_after_the_servers_delay(
    client: Client, server: LoopbackServer
) -> None:
    """RESOURCE_EXHAUSTED with RetryInfo 2.5s: the injected sleep gets 2.5, then it succeeds."""
    server.queue(
        Reply(429, _status(429, "RESOURCE_EXHAUSTED", "slow down", "2.5s")),
        Reply(200, _answer("ok")),
    )
    assert client.generate(MODEL, "hi").text == "ok"
    assert _sleeps(client) == [2.5]
    assert len(server.seen) == 2


def test_503_is_retried_until_success(client: Client, server: LoopbackServer) -> None:
    """Two 503s then 200: three requests, two sleeps of backoff."""
    unavailable = Reply(503, _status(503, "UNAVAILABLE", "overloaded"))
    server.queue(unavailable, unavailable, Reply(200, _answer("ok")))
    assert client.generate(MODEL, "hi").text == "ok"
    assert len(server.seen) == 3
    assert len(_sleeps(client)) == 2 and all(s > 0 for s in _sleeps(client))


def test_retries_stop_at_max_attempts_with_the_servers_error(
    client: Client, server: LoopbackServer
) -> None:
    """Four 503s with max_attempts=4 raise UnavailableError after three sleeps."""
    server.queue(*[Reply(503, _status(503, "UNAVAILABLE", "down"))] * 4)
    with pytest.raises(UnavailableError, match="down"):
        client.generate(MODEL, "hi")
    assert (len(server.seen), len(_sleeps(client))) == (4, 3)


def test_client_errors_are_not_retried(client: Client, server: LoopbackServer) -> None:
    """A 400 raises InvalidArgumentError at once."""
    server.queue(Reply(400, _status(400, "INVALID_ARGUMENT", "bad")))
    with pytest.raises(InvalidArgumentError):
        client.generate(MODEL, "hi")
    assert (len(server.seen), _sleeps(client)) == (1, [])


def test_non_idempotent_requests_are_never_resent(client: Client, server: LoopbackServer) -> None:
    """A non-idempotent request is sent once, whether it gets a 503 or a hang-up."""
    request = HttpRequest("POST", server.url("/v1beta/tunedModels"), body=b"{}", idempotent=False)
    server.queue(Reply(503, b"{}"), Hangup())
    assert client._execute(request).status == 503
    with pytest.raises(StreamInterruptedError):
        client._execute(request)
    assert len(server.seen) == 2
    assert _sleeps(client) == []


def test_connection_refused_is_retried_then_raised() -> None:
    """ConnectError is retried (nothing was sent), then raised when attempts run out."""
    sleeps = Sleeps()
    client = Client(
        KEY,
        base_url=f"http://127.0.0.1:{closed_port()}",
        transport=UrllibTransport(trust_env=False),
        retry=RetryPolicy(max_attempts=3, seed=1),
        sleep=sleeps,
    )
    with pytest.raises(ConnectError):
        client.generate(MODEL, "hi")
    assert len(sleeps) == 2


def test_stream_delivers_chunks_incrementally_then_a_mid_stream_error(
    client: Client, server: LoopbackServer
) -> None:
    """Chunks arrive before the server sends the next; an error event raises after them."""
    gate = threading.Event()
    error = b"data: " + _status(503, "UNAVAILABLE", "overloaded mid-stream") + b"\n\n"
    events = [b"data: " + _answer(t) + b"\n\n" for t in ("Hel", "lo")] + [error]
    step = Stream(events, gate=gate)
    server.queue(step)
    texts: list[str] = []
    with pytest.raises(UnavailableError, match="mid-stream"):
        for chunk in client.stream(MODEL, "hi"):
            texts.append(chunk.text)
            gate.set()
    assert texts == ["Hel", "lo"]
    assert step.gate_released and all(step.gate_released)
    assert server.seen[0].path.endswith(":streamGenerateContent?alt=sse")


def test_stream_open_is_retried_but_not_after_chunks(
    client: Client, server: LoopbackServer
) -> None:
    """A 503 before the stream opens is retried; a cut after chunks is raised, not re-sent."""
    server.queue(
        Reply(503, _status(503, "UNAVAILABLE", "busy")),
        Stream(
            [b"data: " + _answer("a") + b"\n\n", b"data: " + _answer("b") + b"\n\n"], cut_after=1
        ),
    )
    got: list[str] = []
    with pytest.raises(StreamInterruptedError):
        got.extend(chunk.text or "" for chunk in client.stream(MODEL, "hi"))
    assert got == ["a"]
    assert len(server.seen) == 2


def test_a_send_only_transport_can_stream(server: LoopbackServer) -> None:
    """A user transport with only send() gets the whole stream parsed at once."""

    class SendOnly:
        def __init__(self) -> None:
            self.inner = UrllibTransport(trust_env=False)

        def send(self, request: HttpRequest, *, timeout: float | None = None) -> HttpResponse:
            return self.inner.send(request, timeout=timeout)

    server.queue(Stream([b"data: " + _answer(t) + b"\n\n" for t in ("x", "y")]))
    client = Client(KEY, base_url=server.url(""), transport=SendOnly())
    assert [c.text for c in client.stream(MODEL, "hi")] == ["x", "y"]


def test_count_tokens(client: Client, server: LoopbackServer) -> None:
    """count_tokens() POSTs countTokens and parses totalTokens."""
    server.queue(Reply(200, b'{"totalTokens": 263}'))
    assert client.count_tokens(MODEL, ["hi", PNG]).total_tokens == 263
    assert server.seen[0].path.endswith(":countTokens")


def test_oversized_requests_fail_before_sending(client: Client, server: LoopbackServer) -> None:
    """A request body of 20 MB or more is refused locally; the server sees nothing."""
    huge = PNG + bytes(15_500_000)  # a valid PNG header; 15.5 MB becomes > 20 MB in base64
    with pytest.raises(LocalError, match="Files API"):
        client.generate(MODEL, ["describe", huge])
    assert server.seen == []


def test_fetch_image_checks_the_answer_and_sends_no_key(
    client: Client, server: LoopbackServer
) -> None:
    """fetch_image GETs the URL without the API key and returns a sniffed ImagePart."""
    server.queue(
        Reply(200, PNG, {"Content-Type": "image/png"}),
        Reply(404, b"missing"),
        Reply(200, b"<html></html>", {"Content-Type": "text/html"}),
    )
    part = client.fetch_image(server.url("/cat.png"))
    assert (part.mime_type, part.size) == ("image/png", (30, 20))
    assert "x-goog-api-key" not in {k.lower() for k in server.seen[0].headers}
    with pytest.raises(NotFoundError):
        client.fetch_image(server.url("/gone.png"))
    with pytest.raises(Exception, match="not an image"):
        client.fetch_image(server.url("/page"))


def test_secrets_stay_out_of_reprs(client: Client) -> None:
    """Neither the client's repr nor its endpoint's shows the key."""
    assert KEY not in repr(client) and KEY not in str(client.endpoint)


def test_a_missing_key_is_a_local_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without api_key, GEMINI_API_KEY or base_url the client refuses to start."""
    monkeypatch.delenv("GEMINI_API_KEY", raising=False)
    with pytest.raises(LocalError, match="GEMINI_API_KEY"):
        Client()
    monkeypatch.setenv("GEMINI_API_KEY", KEY)
    assert Client().endpoint.auth_headers() == {"x-goog-api-key": KEY}


# --- async --------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(_async_transports()))
def test_async_client_retries_streams_and_fetches(name: str, server: LoopbackServer) -> None:
    """AsyncClient: 429 honoured through the async sleep, a stream, an image fetch."""
    sleeps: list[float] = []

    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)

    server.queue(
        Reply(429, _status(429, "RESOURCE_EXHAUSTED", "wait", "1.5s")),
        Reply(200, _answer("ok")),
        Stream([b"data: " + _answer(t) + b"\n\n" for t in ("a", "b")]),
        Reply(200, PNG, {"Content-Type": "image/png"}),
    )

    async def run() -> tuple[str, list[str], tuple[int, int]]:
        async with AsyncClient(
            KEY,
            base_url=server.url(""),
            transport=_async_transports()[name](),
            retry=RetryPolicy(seed=2),
            timeout=5,
            sleep=sleep,
        ) as client:
            text = (await client.generate(MODEL, "hi")).text or ""
            chunks = [c.text or "" async for c in client.stream(MODEL, "hi")]
            part = await client.fetch_image(server.url("/x.png"))
            return text, chunks, part.size

    assert asyncio.run(run()) == ("ok", ["a", "b"], (30, 20))
    assert sleeps == [1.5]
