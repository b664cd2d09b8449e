"""Recording and replaying exchanges as cassettes (X2), for tests and benchmarks.

A cassette is a JSON-lines file, one exchange per line::

    {"version": 1,
     "request": {"method": "POST", "url": "...", "headers": [[name, value], ...],
                 "body_sha256": "...", "body": "<text>" | "body_b64": "..."},
     "response": {"status": 200, "headers": [...], "chunks": [{"text": ...} | {"b64": ...}]}
       or "error": {"type": "ConnectError", "message": "..."}}

Secrets never reach the file (R3): credential headers (``x-goog-api-key``,
``Authorization``, cookies) and credential query parameters (``key=``...) are
replaced by ``<redacted>``, and every secret value seen in a request is also
scrubbed from everything else written (URLs, headers, bodies), in case a
server echoes it. Streamed responses keep their chunking, and transport
errors are recorded and replayed as the same exception class.

Replay matches a request by method, URL (with secrets redacted, as recorded)
and the SHA-256 of the body; equal requests get their recordings in order
(a retry sees the 503 first, then the 200). A request with no recording is a
``ReplayMissError`` that says what is recorded for that URL instead.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import threading
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

from gemini_vision import errors
from gemini_vision.api.secrets import request_secrets
from gemini_vision.errors import ReplayMissError, TransportError
from gemini_vision.transports.base import (
    AsyncStreamingResponse,
    AsyncTransport,
    StreamingResponse,
    Transport,
    aopen_stream,
    open_stream,
)
from gemini_vision.wire.http import (
    REDACTED,
    Headers,
    HttpRequest,
    HttpResponse,
    is_secret_header,
    redact_url,
)

__all__ = [
    "AsyncRecordingTransport",
    "AsyncReplayTransport",
    "RecordingTransport",
    "ReplayTransport",
    "request_key",
]


def request_key(request: HttpRequest) -> tuple[str, str, str]:
    """What replay matches on: method, redacted URL, SHA-256 of the body.

    >>> request_key(HttpRequest("GET", "https://h/x?key=abc"))[:2]
    ('GET', 'https://h/x?key=<redacted>')
    """
    return request.method, redact_url(request.url), hashlib.sha256(request.body).hexdigest()


def _secrets_of(request: HttpRequest) -> set[str]:
    """Every credential of the request by value, as given and URL-encoded
    (header values, ``Bearer`` tokens, query parameters named after percent-decoding)."""
    return set(request_secrets(request))


class _Scrubber:
    def __init__(self, secrets: set[str]) -> None:
        # Longest first, so a token inside "Bearer <token>" does not leave "Bearer " half done.
        self.secrets = sorted(secrets, key=len, reverse=True)

    def text(self, value: str) -> str:
        for secret in self.secrets:
            value = value.replace(secret, REDACTED)
        return value

    def data(self, value: bytes) -> dict[str, str]:
        for secret in self.secrets:
            value = value.replace(secret.encode(), REDACTED.encode())
        try:
            return {"text": value.decode("utf-8")}
        except UnicodeDecodeError:
            return {"b64": base64.b64encode(value).decode("ascii")}

    def headers(self, pairs: Any) -> list[list[str]]:
        return [
            [name, REDACTED if is_secret_header(name) else self.text(value)]
            for name, value in pairs
        ]


def _decode_chunk(chunk: dict[str, str]) -> bytes:
    if "b64" in chunk:
        return base64.b64decode(chunk["b64"])
    return chunk["text"].encode("utf-8")


def _answered(response: HttpResponse) -> dict[str, Any]:
    """The outcome of an exchange that got a whole response."""
    return {
        "status": response.status,
        "headers": response.headers.items_all(),
        "chunks": [response.body],
    }


class _StreamRecord:
    """A streamed exchange being recorded: written once, when the stream ends or closes."""

    def __init__(
        self,
        write: Callable[[HttpRequest, dict[str, Any]], None],
        request: HttpRequest,
        status: int,
        headers: Headers,
    ) -> None:
        self._write = write
        self._request = request
        self.outcome: dict[str, Any] = {
            "status": status,
            "headers": headers.items_all(),
            "chunks": [],
        }
        self._written = False

    def finish(self) -> None:
        if not self._written:
            self._written = True
            self._write(self._request, self.outcome)


class RecordingTransport:
    """Pass requests to ``inner`` and append each exchange to the cassette at ``path``.

    Args:
        inner: the transport that really sends.
        path: the cassette file; truncated first unless ``append=True``.
    """

    def __init__(self, inner: Transport, path: str | os.PathLike[str], *, append: bool = False):
        self.inner = inner
        self.path = os.fspath(path)
        self._lock = threading.Lock()
        if not append:
            with open(self.path, "w", encoding="utf-8"):
                pass

    def __repr__(self) -> str:
        return f"RecordingTransport({self.inner!r}, {self.path!r})"

    def _write(self, request: HttpRequest, outcome: dict[str, Any]) -> None:
        scrub = _Scrubber(_secrets_of(request))
        method, url, digest = request_key(request)
        body = scrub.data(request.body)
        entry = {
            "version": 1,
            "request": {
                "method": method,
                "url": scrub.text(url),
                "headers": scrub.headers(request.headers.items_all()),
                "body_sha256": digest,
                **({"body": body["text"]} if "text" in body else {"body_b64": body["b64"]}),
            },
        }
        if "error" in outcome:
            error: BaseException = outcome["error"]
            entry["error"] = {"type": type(error).__name__, "message": scrub.text(str(error))}
        if "status" in outcome:
            entry["response"] = {
                "status": outcome["status"],
                "headers": scrub.headers(outcome["headers"]),
                "chunks": [scrub.data(chunk) for chunk in outcome["chunks"]],
            }
        line = json.dumps(entry, ensure_ascii=False, separators=(",", ":"))
        with self._lock, open(self.path, "a", encoding="utf-8") as cassette:
            cassette.write(line + "\n")

    def send(self, request: HttpRequest, *, timeout: float | None = None) -> HttpResponse:
        """Send through ``inner`` and record the exchange (or the transport error)."""
        try:
            response = self.inner.send(request, timeout=timeout)
        except TransportError as error:
            self._write(request, {"error": error})
            raise
        self._write(request, _answered(response))
        return response

    def stream(self, request: HttpRequest, *, timeout: float | None = None) -> StreamingResponse:
        """Stream through ``inner``; the exchange is written when the stream ends or closes."""
        try:
            inner = open_stream(self.inner, request, timeout=timeout)
        except TransportError as error:
            self._write(request, {"error": error})
            raise
        record = _StreamRecord(self._write, request, inner.status, inner.headers)

        def chunks() -> Iterator[bytes]:
            try:
                for chunk in inner:
                    record.outcome["chunks"].append(chunk)
                    yield chunk
            except TransportError as error:
                record.outcome["error"] = error
                raise
            finally:
                record.finish()

        def close() -> None:
            inner.close()
            record.finish()

        return StreamingResponse(inner.status, inner.headers, chunks(), close)


class ReplayTransport:
    """Answer requests from a cassette written by ``RecordingTransport``; nothing is sent.

    Args:
        path: the cassette file.
        repeat: once every recording of a request was used, keep answering with
            the last one (for benchmarks); otherwise that is a ``ReplayMissError``.
    """

    def __init__(self, path: str | os.PathLike[str], *, repeat: bool = False) -> None:
        self.path = os.fspath(path)
        self.repeat = repeat
        self._lock = threading.Lock()
        self._queues: dict[tuple[str, str, str], deque[dict[str, Any]]] = {}
        self._last: dict[tuple[str, str, str], dict[str, Any]] = {}
        with open(self.path, encoding="utf-8") as cassette:
            for number, line in enumerate(cassette, 1):
                if not line.strip():
                    continue
                try:
                    entry = json.loads(line)
                    recorded = entry["request"]
                    key = (recorded["method"], recorded["url"], recorded["body_sha256"])
                except (ValueError, KeyError, TypeError):
                    raise ReplayMissError(
                        f"{self.path}:{number}: not a cassette entry written by RecordingTransport"
                    ) from None
                self._queues.setdefault(key, deque()).append(entry)

    def __repr__(self) -> str:
        return f"ReplayTransport({self.path!r}, repeat={self.repeat!r})"

    def _take(self, request: HttpRequest) -> dict[str, Any]:
        key = request_key(request)
        with self._lock:
            queue = self._queues.get(key)
            if queue:
                entry = queue.popleft()
                self._last[key] = entry
                return entry
            if queue is not None and self.repeat and key in self._last:
                return self._last[key]
        raise ReplayMissError(self._miss_message(key, used=queue is not None))

    def _miss_message(self, key: tuple[str, str, str], *, used: bool) -> str:
        method, url, digest = key
        head = f"{self.path}: no recording left for {method} {url} (body sha256 {digest[:12]})"
        if used:
            return head + "; every recording of it was already used (repeat=False)"
        same_url = [k for k in self._queues if k[:2] == (method, url)]
        if same_url:
            bodies = ", ".join(k[2][:12] for k in same_url)
            return head + f"; that URL is recorded with other bodies: sha256 {bodies}"
        urls = sorted({f"{k[0]} {k[1]}" for k in self._queues})
        listed = "; ".join(urls[:5]) + (" ..." if len(urls) > 5 else "")
        return head + f"; the cassette has: {listed or 'nothing'}"

    def _replay(self, request: HttpRequest) -> tuple[dict[str, Any], list[bytes], Exception | None]:
        entry = self._take(request)
        error: Exception | None = None
        if "error" in entry:
            cls = getattr(errors, str(entry["error"].get("type")), None)
            if not (isinstance(cls, type) and issubclass(cls, TransportError)):
                cls = TransportError
            error = cls(f"(replayed) {entry['error'].get('message', '')}")
        response = entry.get("response")
        if response is None:
            if error is None:
                raise ReplayMissError(f"{self.path}: an entry has neither response nor error")
            raise error
        return response, [_decode_chunk(c) for c in response.get("chunks", [])], error

    def send(self, request: HttpRequest, *, timeout: float | None = None) -> HttpResponse:
        """The recorded response (or transport error) for ``request``."""
        response, chunks, error = self._replay(request)
        if error is not None:
            raise error
        return HttpResponse(
            response["status"], [tuple(h) for h in response["headers"]], b"".join(chunks)
        )

    def stream(self, request: HttpRequest, *, timeout: float | None = None) -> StreamingResponse:
        """The recorded response, chunk by chunk as recorded (an interruption included)."""
        response, chunks, error = self._replay(request)

        def body() -> Iterator[bytes]:
            yield from chunks
            if error is not None:
                raise error

        return StreamingResponse(
            response["status"], [tuple(h) for h in response["headers"]], body()
        )


class AsyncReplayTransport:
    """``ReplayTransport`` for ``AsyncClient`` (same arguments; no threads, nothing is sent)."""

    def __init__(self, path: str | os.PathLike[str], *, repeat: bool = False) -> None:
        self.replay = ReplayTransport(path, repeat=repeat)

    async def send(self, request: HttpRequest, *, timeout: float | None = None) -> HttpResponse:
        """The recorded response (or transport error) for ``request``."""
        return self.replay.send(request, timeout=timeout)

    async def stream(
        self, request: HttpRequest, *, timeout: float | None = None
    ) -> AsyncStreamingResponse:
        """The recorded response, chunk by chunk."""
        sync = self.replay.stream(request, timeout=timeout)

        async def body() -> AsyncIterator[bytes]:
            for chunk in sync:
                yield chunk

        return AsyncStreamingResponse(sync.status, sync.headers, body())


class AsyncRecordingTransport:
    """The async twin of ``RecordingTransport`` around an ``AsyncTransport`` (same file format)."""

    def __init__(
        self, inner: AsyncTransport, path: str | os.PathLike[str], *, append: bool = False
    ) -> None:
        self.inner = inner
        # The writer (scrubbing, locking, file format) is the sync recorder's.
        self._writer = RecordingTransport(_NoTransport(), path, append=append)
        self.path = self._writer.path

    def __repr__(self) -> str:
        return f"AsyncRecordingTransport({self.inner!r}, {self.path!r})"

    async def send(self, request: HttpRequest, *, timeout: float | None = None) -> HttpResponse:
        """Send through ``inner`` and record the exchange (or the transport error)."""
        try:
            response = await self.inner.send(request, timeout=timeout)
        except TransportError as error:
            self._writer._write(request, {"error": error})
            raise
        self._writer._write(request, _answered(response))
        return response

    async def stream(
        self, request: HttpRequest, *, timeout: float | None = None
    ) -> AsyncStreamingResponse:
        """Stream through ``inner``; the exchange is written when the stream ends or closes."""
        try:
            inner = await aopen_stream(self.inner, request, timeout=timeout)
        except TransportError as error:
            self._writer._write(request, {"error": error})
            raise
        record = _StreamRecord(self._writer._write, request, inner.status, inner.headers)

        async def chunks() -> AsyncIterator[bytes]:
            try:
                async for chunk in inner:
                    record.outcome["chunks"].append(chunk)
                    yield chunk
            except TransportError as error:
                record.outcome["error"] = error
                raise
            finally:
                record.finish()

        async def close() -> None:
            await inner.aclose()
            record.finish()

        return AsyncStreamingResponse(inner.status, inner.headers, chunks(), close)


class _NoTransport:
    """Stands in for ``inner`` where only the recorder's writer is used."""

    def send(self, request: HttpRequest, *, timeout: float | None = None) -> HttpResponse:
        raise TypeError("not a transport")
