"""Shipped transports (X1, X2) against a real HTTP server on 127.0.0.1, sync and async."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from gemini_vision.errors import (
    ConnectError,
    LocalError,
    RequestTimeoutError,
    StreamInterruptedError,
)
from gemini_vision.transports import (
    AsyncStreamingResponse,
    AsyncUrllibTransport,
    StreamingResponse,
    UrllibTransport,
    aopen_stream,
    open_stream,
)
from gemini_vision.wire.http import HttpRequest, HttpResponse
from tests.loopback_server import Cut, Hangup, LoopbackServer, Reply, Stream, closed_port

try:
    import httpx
except ImportError:  # the httpx cases are skipped without the extra
    httpx = None  # type: ignore[assignment]

needs_httpx = pytest.mark.skipif(httpx is None, reason="httpx is not installed")


class SyncAdapter:
    """A sync transport seen through one interface: send() and stream() -> (status, chunks)."""

    def __init__(self, transport: Any) -> None:
        self.transport = transport

    def send(self, request: HttpRequest, timeout: float | None = None) -> HttpResponse:
        return self.transport.send(request, timeout=timeout)  # type: ignore[no-any-return]

    def stream_chunks(
        self, request: HttpRequest, on_chunk: Callable[[bytes], None], timeout: float | None = None
    ) -> tuple[int, list[bytes]]:
        got = []
        with open_stream(self.transport, request, timeout=timeout) as streaming:
            assert isinstance(streaming, StreamingResponse)
            for chunk in streaming:
                got.append(chunk)
                on_chunk(chunk)
            return streaming.status, got


class AsyncAdapter:
    """An async transport driven from sync test code with asyncio.run."""

    def __init__(self, factory: Callable[[], Any]) -> None:
        self.factory = factory

    def send(self, request: HttpRequest, timeout: float | None = None) -> HttpResponse:
        async def run() -> HttpResponse:
            transport = self.factory()
            try:
                return await transport.send(request, timeout=timeout)  # type: ignore[no-any-return]
            finally:
                if hasattr(transport, "aclose"):
                    await transport.aclose()

        return asyncio.run(run())

    def stream_chunks(
        self, request: HttpRequest, on_chunk: Callable[[bytes], None], timeout: float | None = None
    ) -> tuple[int, list[bytes]]:
        async def run() -> tuple[int, list[bytes]]:
            transport = self.factory()
            got = []
            try:
                streaming = await aopen_stream(transport, request, timeout=timeout)
                assert isinstance(streaming, AsyncStreamingResponse)
                async with streaming:
                    async for chunk in streaming:
                        got.append(chunk)
                        on_chunk(chunk)
                return streaming.status, got
            finally:
                if hasattr(transport, "aclose"):
                    await transport.aclose()

        return asyncio.run(run())


def _httpx_sync() -> Any:
    from gemini_vision.transports import HttpxTransport

    return SyncAdapter(HttpxTransport())


def _httpx_async() -> Any:
    from gemini_vision.transports import AsyncHttpxTransport

    return AsyncAdapter(AsyncHttpxTransport)


TRANSPORTS = {
    "urllib": lambda: SyncAdapter(UrllibTransport(trust_env=False)),
    "urllib-async": lambda: AsyncAdapter(lambda: AsyncUrllibTransport(trust_env=False)),
    "httpx": _httpx_sync,
    "httpx-async": _httpx_async,
}


@pytest.fixture(params=sorted(TRANSPORTS))
def transport(request: pytest.FixtureRequest) -> Iterator[Any]:
    """Each shipped transport in turn (httpx ones skipped without httpx)."""
    if request.param.startswith("httpx") and httpx is None:
        pytest.skip("httpx is not installed")
    adapter = TRANSPORTS[request.param]()
    yield adapter
    if isinstance(adapter, SyncAdapter) and hasattr(adapter.transport, "close"):
        adapter.transport.close()


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    """A scripted loopback server, stopped after the test."""
    with LoopbackServer() as running:
        yield running


def test_round_trip_keeps_method_headers_body_and_repeated_headers(
    transport: Any, server: LoopbackServer
) -> None:
    """The server sees what was sent; the response comes back whole, headers case-insensitive."""
    server.queue(Reply(201, b'{"ok": true}', {"X-Thing": "1", "Content-Type": "application/json"}))
    request = HttpRequest(
        "POST", server.url("/v1beta/x?alt=json"), {"X-Goog-Api-Key": "k-123"}, b'{"a": 1}'
    )
    response = transport.send(request, timeout=5)
    assert (response.status, response.body, response.headers["x-thing"]) == (
        201,
        b'{"ok": true}',
        "1",
    )
    seen = server.seen[0]
    assert (seen.method, seen.path, seen.body) == ("POST", "/v1beta/x?alt=json", b'{"a": 1}')
    assert {k.lower(): v for k, v in seen.headers.items()}["x-goog-api-key"] == "k-123"


def test_error_statuses_are_responses_not_exceptions(
    transport: Any, server: LoopbackServer
) -> None:
    """A 503 with a body is returned as a response for the parsers to judge."""
    server.queue(Reply(503, b'{"error": {"code": 503}}'))
    response = transport.send(HttpRequest("GET", server.url("/")), timeout=5)
    assert (response.status, response.body) == (503, b'{"error": {"code": 503}}')


def test_a_slow_server_is_a_request_timeout(transport: Any, server: LoopbackServer) -> None:
    """No response within the per-request timeout raises RequestTimeoutError."""
    server.queue(Reply(200, b"late", delay=3.0))
    with pytest.raises(RequestTimeoutError):
        transport.send(HttpRequest("GET", server.url("/slow")), timeout=0.3)


def test_a_closed_port_is_a_connect_error(transport: Any) -> None:
    """Connection refused raises ConnectError (nothing was sent)."""
    with pytest.raises(ConnectError):
        transport.send(HttpRequest("GET", f"http://127.0.0.1:{closed_port()}/"), timeout=5)


def test_a_body_cut_short_is_a_stream_interruption(transport: Any, server: LoopbackServer) -> None:
    """Fewer bytes than Content-Length, then a closed socket, raises StreamInterruptedError."""
    server.queue(Cut(b"only part", declared=1000))
    with pytest.raises(StreamInterruptedError):
        transport.send(HttpRequest("GET", server.url("/cut")), timeout=5)


def test_a_hangup_without_response_is_a_stream_interruption(
    transport: Any, server: LoopbackServer
) -> None:
    """The server reading the request and closing is not a ConnectError: it may have acted."""
    server.queue(Hangup())
    with pytest.raises(StreamInterruptedError):
        transport.send(HttpRequest("POST", server.url("/"), body=b"{}"), timeout=5)


def test_stream_chunks_arrive_incrementally(transport: Any, server: LoopbackServer) -> None:
    """The first event reaches the caller before the server sends the second one."""
    gate = threading.Event()
    events = [b'data: {"n": 1}\n\n', b'data: {"n": 2}\n\n', b'data: {"n": 3}\n\n']
    step = Stream(events, gate=gate)
    server.queue(step)
    status, chunks = transport.stream_chunks(
        HttpRequest("POST", server.url("/s?alt=sse"), body=b"{}"), lambda _: gate.set(), timeout=10
    )
    assert status == 200
    assert b"".join(chunks) == b"".join(events)
    assert step.gate_released and all(step.gate_released)  # the server never had to give up


def test_a_stream_cut_midway_delivers_the_first_chunks_then_raises(
    transport: Any, server: LoopbackServer
) -> None:
    """Chunks before the cut are delivered; then StreamInterruptedError."""
    server.queue(Stream([b"data: 1\n\n", b"data: 2\n\n", b"data: 3\n\n"], cut_after=2))
    got: list[bytes] = []
    with pytest.raises(StreamInterruptedError):
        transport.stream_chunks(HttpRequest("GET", server.url("/")), got.append, timeout=5)
    assert b"".join(got) == b"data: 1\n\ndata: 2\n\n"


def test_redirects_are_followed_for_get_and_drop_keys_across_origins(
    transport: Any, server: LoopbackServer
) -> None:
    """A GET redirect to another origin is followed without the API key header."""
    with LoopbackServer() as other:
        other.queue(Reply(200, b"image bytes"))
        server.queue(Reply(302, headers={"Location": other.url("/moved.png")}))
        request = HttpRequest("GET", server.url("/img.png"), {"x-goog-api-key": "k-123"})
        assert transport.send(request, timeout=5).body == b"image bytes"
        assert "x-goog-api-key" not in {k.lower() for k in other.seen[0].headers}
        assert other.seen[0].path == "/moved.png"


def test_posts_are_not_redirected(transport: Any, server: LoopbackServer) -> None:
    """A redirect of a POST is returned as is (the body is never re-sent elsewhere)."""
    server.queue(Reply(307, headers={"Location": "/elsewhere"}))
    response = transport.send(HttpRequest("POST", server.url("/"), body=b"{}"), timeout=5)
    assert response.status == 307
    assert len(server.seen) == 1


@pytest.mark.parametrize("url", ["file:///etc/hostname", "ftp://127.0.0.1/x", "relative/path"])
def test_only_http_urls_are_sent(transport: Any, url: str) -> None:
    """Non-http(s) URLs are refused before any I/O."""
    with pytest.raises(LocalError, match="only absolute http and https"):
        transport.send(HttpRequest("GET", url), timeout=5)


def test_a_transport_with_only_send_still_streams() -> None:
    """open_stream falls back to send() and yields the body as one chunk."""

    class SendOnly:
        def send(self, request: HttpRequest, *, timeout: float | None = None) -> HttpResponse:
            return HttpResponse(200, {"content-type": "text/event-stream"}, b"data: 1\n\n")

    with open_stream(SendOnly(), HttpRequest("GET", "https://h/")) as streaming:
        assert list(streaming) == [b"data: 1\n\n"]
        assert streaming.headers["Content-Type"] == "text/event-stream"
