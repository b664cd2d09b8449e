"""An async transport that runs a sync one in worker threads (zero-dependency async).

``AsyncClient`` uses it when httpx is not installed: each ``send`` runs the sync
transport's ``send`` in ``asyncio.to_thread``; a stream pulls each chunk in a
thread, so the event loop never blocks on the socket. Cancelling the awaiting
task does not interrupt the thread at once; it ends when its socket read
returns (bounded by the request timeout).

>>> import asyncio
>>> from gemini_vision.wire.http import HttpRequest, HttpResponse
>>> class Canned:
...     def send(self, request, *, timeout=None):
...         return HttpResponse(200, {}, b"ok")
>>> asyncio.run(ThreadedAsyncTransport(Canned()).send(HttpRequest("GET", "https://h/"))).body
b'ok'
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator

from gemini_vision.transports.base import (
    AsyncStreamingResponse,
    StreamingResponse,
    Transport,
    open_stream,
)
from gemini_vision.transports.urllib_transport import UrllibTransport
from gemini_vision.wire.http import HttpRequest, HttpResponse

__all__ = ["AsyncUrllibTransport", "ThreadedAsyncTransport"]

_DONE = object()


class ThreadedAsyncTransport:
    """Adapt a sync ``Transport`` to the ``AsyncTransport`` protocol with worker threads."""

    def __init__(self, transport: Transport) -> None:
        self.transport = transport

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.transport!r})"

    async def send(self, request: HttpRequest, *, timeout: float | None = None) -> HttpResponse:
        """Send ``request`` in a worker thread."""
        return await asyncio.to_thread(self.transport.send, request, timeout=timeout)

    async def stream(
        self, request: HttpRequest, *, timeout: float | None = None
    ) -> AsyncStreamingResponse:
        """Open a stream in a worker thread; each chunk is read in one too."""
        streaming = await asyncio.to_thread(open_stream, self.transport, request, timeout=timeout)
        return AsyncStreamingResponse(
            streaming.status, streaming.headers, _pull(streaming), _closer(streaming)
        )


def _closer(streaming: StreamingResponse) -> Callable[[], Awaitable[None]]:
    async def close() -> None:
        await asyncio.to_thread(streaming.close)

    return close


async def _pull(streaming: StreamingResponse) -> AsyncIterator[bytes]:
    chunks: Iterator[bytes] = iter(streaming)
    while True:
        chunk = await asyncio.to_thread(next, chunks, _DONE)
        if chunk is _DONE:
            return
        assert isinstance(chunk, bytes)
        yield chunk


class AsyncUrllibTransport(ThreadedAsyncTransport):
    """``UrllibTransport`` for ``AsyncClient``, in worker threads (same arguments)."""

    def __init__(
        self,
        *,
        timeout: float | None = None,
        ssl_context: ssl.SSLContext | None = None,
        trust_env: bool = True,
        follow_redirects: bool = True,
        chunk_size: int = 64 * 1024,
    ) -> None:
        super().__init__(
            UrllibTransport(
                timeout=timeout,
                ssl_context=ssl_context,
                trust_env=trust_env,
                follow_redirects=follow_redirects,
                chunk_size=chunk_size,
            )
        )
