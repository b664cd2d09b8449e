"""The transport protocol: what carries an ``HttpRequest`` to the server and back (X1).

A transport needs **one** method, ``send(request, *, timeout=None) ->
HttpResponse``. A transport may also offer ``stream(request, *, timeout=None)
-> StreamingResponse``, which hands the body over in chunks as they arrive
(server-sent events); when it does not, ``open_stream`` falls back to ``send``
and delivers the whole body as one chunk, so streaming calls still work, just
not incrementally. ``AsyncTransport`` is the same with coroutines.

Transports raise the ``TransportError`` family for failures below HTTP:

* ``ConnectError`` -- no connection (refused, DNS, TLS, connect timeout):
  nothing was sent, so even a non-idempotent request may be retried;
* ``RequestTimeoutError`` -- the server went silent for longer than
  ``timeout`` seconds after the request was sent;
* ``StreamInterruptedError`` -- the connection broke before the whole
  response arrived (including "closed without any response").

Any HTTP status is a response, not an exception: deciding what a 503 means is
the parsers' and the retry policy's job. ``timeout`` is per request and bounds
the connect and every wait for data, not the total duration (a long stream
may take minutes while data keeps coming).

>>> class Canned:
...     def send(self, request, *, timeout=None):
...         return HttpResponse(200, {}, b"data: {}\\n\\n")
>>> isinstance(Canned(), Transport)
True
>>> with open_stream(Canned(), HttpRequest("GET", "https://h/")) as stream:
...     stream.status, list(stream)
(200, [b'data: {}\\n\\n'])
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from types import TracebackType
from typing import Any, Generic, Protocol, TypeVar, runtime_checkable

from gemini_vision.wire.http import Headers, HeadersLike, HttpRequest, HttpResponse

__all__ = [
    "AsyncStreamingResponse",
    "AsyncTransport",
    "StreamingResponse",
    "Transport",
    "aopen_stream",
    "open_stream",
]


@runtime_checkable
class Transport(Protocol):
    """Carries one request and returns the complete response."""

    def send(self, request: HttpRequest, *, timeout: float | None = None) -> HttpResponse:
        """Send ``request``; return the response whatever its status."""
        ...


@runtime_checkable
class AsyncTransport(Protocol):
    """The async twin of ``Transport``."""

    async def send(self, request: HttpRequest, *, timeout: float | None = None) -> HttpResponse:
        """Send ``request``; return the response whatever its status."""
        ...


C = TypeVar("C", Iterator[bytes], AsyncIterator[bytes])


class _Stream(Generic[C]):
    """What the sync and async streaming responses share: the head, the chunks, the closer."""

    def __init__(
        self,
        status: int,
        headers: HeadersLike,
        chunks: C,
        close: Callable[[], Any] | None = None,
    ) -> None:
        self.status = int(status)
        self.headers = Headers(headers)
        self._chunks: C = chunks
        self._close = close
        self.closed = False

    @property
    def is_success(self) -> bool:
        """Whether the status is 2xx."""
        return 200 <= self.status < 300

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status={self.status}, headers={self.headers!r})"


class StreamingResponse(_Stream[Iterator[bytes]]):
    """A response whose body arrives in chunks; close it (or use ``with``) when done.

    >>> s = StreamingResponse(200, {"content-type": "text/event-stream"}, iter([b"a", b"b"]))
    >>> s.read(), s.headers["Content-Type"]
    (b'ab', 'text/event-stream')
    """

    def __iter__(self) -> Iterator[bytes]:
        try:
            yield from self._chunks
        finally:
            self.close()

    def read(self) -> bytes:
        """The rest of the body, joined (then the stream is closed)."""
        return b"".join(self)

    def to_response(self) -> HttpResponse:
        """The whole response as an ``HttpResponse`` (reads the rest of the body)."""
        return HttpResponse(self.status, self.headers, self.read())

    def close(self) -> None:
        """Release the connection; safe to call more than once."""
        if not self.closed:
            self.closed = True
            if self._close is not None:
                self._close()

    def __enter__(self) -> StreamingResponse:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class AsyncStreamingResponse(_Stream[AsyncIterator[bytes]]):
    """The async twin of ``StreamingResponse`` (``async for``, ``async with``, ``aclose``)."""

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._chunks:
                yield chunk
        finally:
            await self.aclose()

    async def read(self) -> bytes:
        """The rest of the body, joined (then the stream is closed)."""
        return b"".join([chunk async for chunk in self])

    async def to_response(self) -> HttpResponse:
        """The whole response as an ``HttpResponse`` (reads the rest of the body)."""
        return HttpResponse(self.status, self.headers, await self.read())

    async def aclose(self) -> None:
        """Release the connection; safe to call more than once."""
        if not self.closed:
            self.closed = True
            if self._close is not None:
                result = self._close()
                if hasattr(result, "__await__"):
                    await result

    async def __aenter__(self) -> AsyncStreamingResponse:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()


def open_stream(
    transport: Transport, request: HttpRequest, *, timeout: float | None = None
) -> StreamingResponse:
    """``transport.stream(...)`` if it has one, else ``send`` with the body as one chunk."""
    stream = getattr(transport, "stream", None)
    if callable(stream):
        result: StreamingResponse = stream(request, timeout=timeout)
        return result
    response = transport.send(request, timeout=timeout)
    return StreamingResponse(response.status, response.headers, iter([response.body]))


async def aopen_stream(
    transport: AsyncTransport, request: HttpRequest, *, timeout: float | None = None
) -> AsyncStreamingResponse:
    """The async twin of ``open_stream``."""
    stream = getattr(transport, "stream", None)
    if callable(stream):
        result: AsyncStreamingResponse = await stream(request, timeout=timeout)
        return result
    response = await transport.send(request, timeout=timeout)
    return AsyncStreamingResponse(response.status, response.headers, _one_chunk(response.body))


async def _one_chunk(body: bytes) -> AsyncIterator[bytes]:
    yield body
