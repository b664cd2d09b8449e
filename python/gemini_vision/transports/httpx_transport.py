"""Transports over httpx, sync and async (X2; optional extra ``gemini-vision[httpx]``).

Connection pooling, HTTP/1.1 keep-alive and (with ``h2`` installed) HTTP/2
come from httpx. Errors are mapped to the library's transport errors:

================================  ===========================
httpx                             gemini_vision.errors
================================  ===========================
ConnectError, ConnectTimeout,     ConnectError (nothing sent)
ProxyError
ReadTimeout, WriteTimeout,        RequestTimeoutError
PoolTimeout
RemoteProtocolError, ReadError,   StreamInterruptedError
WriteError, other TransportError
================================  ===========================

httpx is told not to follow redirects; the transport follows GET/HEAD
redirects itself so that credential headers never cross origins (httpx strips
only ``Authorization``, not ``x-goog-api-key``).

>>> import httpx
>>> HttpxTransport(client=httpx.Client())  # doctest: +ELLIPSIS
HttpxTransport(client=<httpx.Client object at ...>)
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING, Any

from gemini_vision.errors import (
    ConnectError,
    RequestTimeoutError,
    StreamInterruptedError,
    TransportError,
)
from gemini_vision.transports._redirect import MAX_REDIRECTS, check_url, redirected_request
from gemini_vision.transports.base import AsyncStreamingResponse, StreamingResponse
from gemini_vision.wire.http import HttpRequest, HttpResponse, redact_url

if TYPE_CHECKING:
    import httpx

__all__ = ["AsyncHttpxTransport", "HttpxTransport"]


def _import_httpx() -> Any:
    try:
        import httpx
    except ImportError:  # pragma: no cover - exercised only without the extra
        raise ImportError(
            "the httpx transports need httpx: pip install 'gemini-vision[httpx]'"
        ) from None
    return httpx


def _translate(error: Exception, request: HttpRequest, stage: str) -> TransportError:
    """The library's transport error for an httpx exception."""
    httpx = _import_httpx()
    shown = f"{request.method} {redact_url(request.url)}"
    detail = str(error) or type(error).__name__
    if isinstance(error, (httpx.ConnectError, httpx.ConnectTimeout, httpx.ProxyError)):
        return ConnectError(f"{shown}: cannot connect ({detail})")
    if isinstance(error, httpx.TimeoutException):
        return RequestTimeoutError(f"{shown}: timed out {stage} ({type(error).__name__})")
    return StreamInterruptedError(f"{shown}: the connection broke {stage} ({detail})")


def _build(client: Any, request: HttpRequest, timeout: float | None) -> Any:
    check_url(request.url)
    options: dict[str, Any] = {}
    if timeout is not None:
        options["timeout"] = timeout
    return client.build_request(
        request.method,
        request.url,
        headers=list(request.headers.items_all()),
        content=request.body,
        **options,
    )


class HttpxTransport:
    """A sync transport over an ``httpx.Client`` (one is made if not given; close it with us).

    Args:
        client: an ``httpx.Client`` to use (its own timeout, proxies, limits apply).
        timeout: default seconds for each phase when ``client`` is not given.
    """

    def __init__(self, client: httpx.Client | None = None, *, timeout: float | None = None) -> None:
        httpx = _import_httpx()
        self._owns_client = client is None
        self.client = client if client is not None else httpx.Client(timeout=timeout)

    def __repr__(self) -> str:
        return f"HttpxTransport(client={self.client!r})"

    def send(self, request: HttpRequest, *, timeout: float | None = None) -> HttpResponse:
        """Send ``request`` and read the whole response."""
        with self.stream(request, timeout=timeout) as streaming:
            return streaming.to_response()

    def stream(self, request: HttpRequest, *, timeout: float | None = None) -> StreamingResponse:
        """Send ``request``; the body is read as the caller iterates."""
        httpx = _import_httpx()
        for _ in range(MAX_REDIRECTS + 1):
            try:
                response = self.client.send(_build(self.client, request, timeout), stream=True)
            except httpx.TransportError as error:
                raise _translate(error, request, "before a response arrived") from None
            follow = redirected_request(
                request, response.status_code, response.headers.get("location")
            )
            if follow is None:
                break
            response.close()
            request = follow
        return StreamingResponse(
            response.status_code,
            list(response.headers.multi_items()),
            self._chunks(response, request),
            response.close,
        )

    def _chunks(self, response: Any, request: HttpRequest) -> Iterator[bytes]:
        httpx = _import_httpx()
        try:
            yield from response.iter_bytes()
        except httpx.TransportError as error:
            raise _translate(error, request, "while reading the body") from None

    def close(self) -> None:
        """Close the httpx client if this transport made it."""
        if self._owns_client:
            self.client.close()


class AsyncHttpxTransport:
    """The async twin of ``HttpxTransport`` over an ``httpx.AsyncClient``."""

    def __init__(
        self, client: httpx.AsyncClient | None = None, *, timeout: float | None = None
    ) -> None:
        httpx = _import_httpx()
        self._owns_client = client is None
        self.client = client if client is not None else httpx.AsyncClient(timeout=timeout)

    def __repr__(self) -> str:
        return f"AsyncHttpxTransport(client={self.client!r})"

    async def send(self, request: HttpRequest, *, timeout: float | None = None) -> HttpResponse:
        """Send ``request`` and read the whole response."""
        async with await self.stream(request, timeout=timeout) as streaming:
            return await streaming.to_response()

    async def stream(
        self, request: HttpRequest, *, timeout: float | None = None
    ) -> AsyncStreamingResponse:
        """Send ``request``; the body is read as the caller iterates."""
        httpx = _import_httpx()
        for _ in range(MAX_REDIRECTS + 1):
            try:
                built = _build(self.client, request, timeout)
                response = await self.client.send(built, stream=True)
            except httpx.TransportError as error:
                raise _translate(error, request, "before a response arrived") from None
            follow = redirected_request(
                request, response.status_code, response.headers.get("location")
            )
            if follow is None:
                break
            await response.aclose()
            request = follow
        return AsyncStreamingResponse(
            response.status_code,
            list(response.headers.multi_items()),
            self._chunks(response, request),
            response.aclose,
        )

    async def _chunks(self, response: Any, request: HttpRequest) -> AsyncIterator[bytes]:
        httpx = _import_httpx()
        try:
            async for chunk in response.aiter_bytes():
                yield chunk
        except httpx.TransportError as error:
            raise _translate(error, request, "while reading the body") from None

    async def aclose(self) -> None:
        """Close the httpx client if this transport made it."""
        if self._owns_client:
            await self.client.aclose()
