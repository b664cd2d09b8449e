"""Client and AsyncClient end to end against the emulator (E1) over every shipped transport."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from gemini_vision.api.endpoints import VertexAi
from gemini_vision.api.retry import RetryPolicy
from gemini_vision.api.tokens_estimate import estimate_request
from gemini_vision.client import AsyncClient, Client
from gemini_vision.errors import ApiError, StreamInterruptedError
from gemini_vision.testing import CutPoint, Emulator
from gemini_vision.transports import AsyncUrllibTransport, UrllibTransport
from tests.image_samples import encode, gradient
from tests.loopback_server import LoopbackServer, Reply

try:
    import httpx
except ImportError:
    httpx = None  # type: ignore[assignment]

MODEL = "gemini-2.5-flash"
JPEG = encode(gradient(960, 540), "JPEG")


def _sync(kind: str) -> Any:
    if kind == "httpx":
        from gemini_vision.transports import HttpxTransport

        return HttpxTransport(timeout=10)
    return UrllibTransport(timeout=10, trust_env=False)


def _async(kind: str) -> Any:
    if kind == "httpx":
        from gemini_vision.transports import AsyncHttpxTransport

        return AsyncHttpxTransport(timeout=10)
    return AsyncUrllibTransport(timeout=10, trust_env=False)


KINDS = [
    "urllib",
    pytest.param("httpx", marks=pytest.mark.skipif(httpx is None, reason="no httpx")),
]


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    """A running emulator."""
    with Emulator() as running:
        yield running


@pytest.mark.parametrize("kind", KINDS)
def test_sync_client_generate_stream_count_and_retry(kind: str, emulator: Emulator) -> None:
    """Scripted answers come back through generate and stream; a 429 is waited out as asked."""
    sleeps: list[float] = []
    emulator.script(MODEL, ["a cat", "a dog and a cat"])
    emulator.faults.fail_next(status=429, retry_delay=2.0, match="generateContent")
    with Client(
        emulator.api_key,
        base_url=emulator.base_url,
        transport=_sync(kind),
        retry=RetryPolicy(seed=5),
        sleep=sleeps.append,
    ) as client:
        assert client.generate(MODEL, ["What is it?", JPEG]).text == "a cat"
        assert sleeps == [2.0]
        chunks = [c.text or "" for c in client.stream(MODEL, "and now?")]
        assert len(chunks) > 1 and "".join(chunks) == "a dog and a cat"
        counted = client.count_tokens(MODEL, ["What is it?", JPEG]).total_tokens
        estimate = estimate_request(["What is it?", JPEG], model=MODEL)
        assert counted is not None and counted >= estimate.image_tokens > 0


@pytest.mark.parametrize("kind", KINDS)
def test_sync_client_wrong_key_and_stream_cut(kind: str, emulator: Emulator) -> None:
    """A wrong key is an ApiError; a stream cut after its first event raises after it."""
    with Client("wrong-key", base_url=emulator.base_url, transport=_sync(kind)) as client:
        with pytest.raises(ApiError) as info:
            client.generate(MODEL, "hi")
        assert info.value.http_status in (400, 401, 403)
    emulator.script(MODEL, ["one two three four"])
    emulator.faults.cut(CutPoint.MID_STREAM, keep=1, match="streamGenerateContent")
    with Client(emulator.api_key, base_url=emulator.base_url, transport=_sync(kind)) as client:
        got: list[str] = []
        with pytest.raises(StreamInterruptedError):
            got.extend(c.text or "" for c in client.stream(MODEL, "count"))
        assert len(got) == 1


@pytest.mark.parametrize("kind", KINDS)
def test_async_client_against_the_emulator(kind: str, emulator: Emulator) -> None:
    """AsyncClient: the 503 is retried through the async sleep; stream and count work."""
    sleeps: list[float] = []

    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)

    emulator.script(MODEL, ["first", "second answer"])
    emulator.faults.fail_next(status=503, retry_delay=1.0, match="generateContent")

    async def run() -> tuple[str, str, int | None]:
        async with AsyncClient(
            emulator.api_key,
            base_url=emulator.base_url,
            transport=_async(kind),
            retry=RetryPolicy(seed=5),
            sleep=sleep,
        ) as client:
            text = (await client.generate(MODEL, "hi")).text or ""
            streamed = "".join([c.text or "" async for c in client.stream(MODEL, "hi")])
            counted = (await client.count_tokens(MODEL, ["hi", JPEG])).total_tokens
            return text, streamed, counted

    text, streamed, counted = asyncio.run(run())
    assert (text, streamed) == ("first", "second answer")
    assert counted is not None and counted > 0
    assert sleeps == [1.0]


def test_vertex_endpoint_asks_the_token_provider_per_request() -> None:
    """With VertexAi the bearer token is fetched for every request and the URL is regional."""
    tokens: Iterator[str] = iter(["tok-1", "tok-2"])
    provider: Callable[[], str] = lambda: next(tokens)  # noqa: E731
    answer = b'{"candidates": [{"content": {"parts": [{"text": "ok"}]}}]}'
    with LoopbackServer() as server:
        server.queue(Reply(200, answer), Reply(200, answer))
        endpoint = VertexAi("proj", "europe-west4", provider, base_url=server.url(""))
        client = Client(endpoint=endpoint, transport=UrllibTransport(trust_env=False))
        assert client.generate(MODEL, "hi").text == client.generate(MODEL, "hi").text == "ok"
        seen = server.seen
    auth = [{k.lower(): v for k, v in s.headers.items()}["authorization"] for s in seen]
    assert auth == ["Bearer tok-1", "Bearer tok-2"]
    assert seen[0].path == (
        f"/v1/projects/proj/locations/europe-west4/publishers/google/models/{MODEL}:generateContent"
    )
    assert "tok-" not in repr(client)
