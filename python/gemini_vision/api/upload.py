"""The resumable upload of the Files API (F1) as a sans-I/O state machine.

Theory of operation
-------------------
An upload is a conversation about one number: how many bytes of the file the
server holds. The machine never guesses it; it only moves its ``offset``
forward when the server says so (the ``X-Goog-Upload-Size-Received`` header
of a chunk answer or of a query), and it only reports success when the server
answers ``X-Goog-Upload-Status: final`` with the ``File`` resource in the body.

1. ``START`` sends ``POST {base}/upload/{version}/files`` with
   ``X-Goog-Upload-Protocol: resumable``, ``X-Goog-Upload-Command: start``, the
   file's length and type in ``X-Goog-Upload-Header-Content-*`` and
   ``{"file": {"displayName": ...}}``. The answer's ``X-Goog-Upload-URL`` is
   where everything else goes; ``X-Goog-Upload-Chunk-Granularity``, when given,
   rounds the chunk size down to a multiple of it (else to 256 KiB).
2. ``UPLOADING`` sends the bytes ``[offset, offset + chunk)`` with
   ``X-Goog-Upload-Offset: offset`` and ``X-Goog-Upload-Command: upload``; the
   chunk that reaches the end says ``upload, finalize``.
3. Anything that leaves the outcome of a chunk unknown — a transport error, a
   timeout, a 5xx/408/429 — moves to ``QUERYING``: ``X-Goog-Upload-Command:
   query`` asks for the status and the size received, and the upload resumes
   from the server's offset (which may be behind ours: bytes the server did
   not keep are sent again, bytes it did keep are never sent twice).
4. ``cancel()`` sends ``X-Goog-Upload-Command: cancel`` and ends ``CANCELLED``.

Chunk requests are marked non-idempotent so a generic retry loop never
re-sends one blindly; recovery is always through a query. After
``max_interruptions`` interruptions in a row without progress the last error
is raised. The machine performs no I/O: the caller sends ``next_step()``'s
request (after waiting its ``delay``), and feeds back the response or the
exception. Bytes come from a ``ByteSource`` (``read_at(offset, n)``) so the
caller decides how the file is read.

>>> from gemini_vision.wire.http import HttpResponse
>>> up = ResumableUpload(BytesSource(b"hello"), start_url="https://h/upload/v1beta/files",
...                      mime_type="text/plain", display_name="greeting")
>>> step = up.next_step()
>>> step.request.headers["X-Goog-Upload-Command"], step.request.json()
('start', {'file': {'displayName': 'greeting'}})
>>> up.receive_response(HttpResponse(200, {"x-goog-upload-url": "https://h/u?id=1"}))
>>> step = up.next_step()
>>> step.request.headers["X-Goog-Upload-Command"], step.request.body
('upload, finalize', b'hello')
>>> up.receive_response(HttpResponse(200, {"x-goog-upload-status": "final"},
...     b'{"file": {"name": "files/f1", "sizeBytes": "5", "state": "ACTIVE"}}'))
>>> up.state, up.next_step().file.name
(<UploadState.DONE: 'done'>, 'files/f1')
"""

from __future__ import annotations

import enum
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urljoin

from gemini_vision.api.errors import api_error_from_response
from gemini_vision.api.retry import RETRYABLE_STATUSES
from gemini_vision.errors import LocalError, ProtocolError, TransportError
from gemini_vision.wire.files import File
from gemini_vision.wire.http import (
    HttpRequest,
    HttpResponse,
    credential_refusal,
    parse_header_int,
)

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "GRANULARITY",
    "ByteSource",
    "BytesSource",
    "Finished",
    "ResumableUpload",
    "Send",
    "SourceChangedError",
    "UploadCancelledError",
    "UploadState",
]

GRANULARITY = 256 * 1024
DEFAULT_CHUNK_SIZE = 8 * 1024 * 1024

ProgressCallback = Callable[[int, int], None]


class SourceChangedError(LocalError):
    """The bytes being uploaded changed size during the upload (the session is cancelled)."""


class ByteSource(Protocol):
    """Where the bytes come from: a size and random access by offset."""

    @property
    def size(self) -> int:
        """Total number of bytes."""
        ...

    def read_at(self, offset: int, length: int) -> bytes:
        """Exactly ``length`` bytes starting at ``offset``."""
        ...


class BytesSource:
    """A ``ByteSource`` over bytes already in memory.

    >>> BytesSource(b"abcdef").read_at(2, 3)
    b'cde'
    """

    def __init__(self, data: bytes) -> None:
        self._data = memoryview(bytes(data))

    @property
    def size(self) -> int:
        """Total number of bytes."""
        return len(self._data)

    def read_at(self, offset: int, length: int) -> bytes:
        """``length`` bytes from ``offset``."""
        return bytes(self._data[offset : offset + length])


class UploadState(str, enum.Enum):
    """Where an upload is."""

    START = "start"
    UPLOADING = "uploading"
    QUERYING = "querying"
    CANCELLING = "cancelling"
    DONE = "done"
    CANCELLED = "cancelled"
    FAILED = "failed"


class _Outcome(enum.Enum):
    STARTED = "started"  # the start answer carried the upload URL
    ACTIVE = "active"  # the server holds size_received bytes and wants more
    FINAL = "final"  # the server answered the File
    CANCELLED = "cancelled"  # the session is cancelled
    INTERRUPTED = "interrupted"  # unknown outcome: transport error, 5xx, 408, 429


# (state, outcome) -> next state. A pair that is missing is a protocol violation.
_TRANSITIONS: dict[tuple[UploadState, _Outcome], UploadState] = {
    (UploadState.START, _Outcome.STARTED): UploadState.UPLOADING,
    (UploadState.START, _Outcome.INTERRUPTED): UploadState.START,
    (UploadState.UPLOADING, _Outcome.ACTIVE): UploadState.UPLOADING,
    (UploadState.UPLOADING, _Outcome.FINAL): UploadState.DONE,
    (UploadState.UPLOADING, _Outcome.INTERRUPTED): UploadState.QUERYING,
    (UploadState.UPLOADING, _Outcome.CANCELLED): UploadState.CANCELLED,
    (UploadState.QUERYING, _Outcome.ACTIVE): UploadState.UPLOADING,
    (UploadState.QUERYING, _Outcome.FINAL): UploadState.DONE,
    (UploadState.QUERYING, _Outcome.INTERRUPTED): UploadState.QUERYING,
    (UploadState.QUERYING, _Outcome.CANCELLED): UploadState.CANCELLED,
    (UploadState.CANCELLING, _Outcome.CANCELLED): UploadState.CANCELLED,
    (UploadState.CANCELLING, _Outcome.ACTIVE): UploadState.CANCELLED,
    (UploadState.CANCELLING, _Outcome.FINAL): UploadState.DONE,
}


class UploadCancelledError(LocalError):
    """The upload was cancelled (by ``cancel()`` or by the server); no file was made."""


@dataclass(frozen=True, slots=True)
class Send:
    """Send ``request`` after waiting ``delay`` seconds, then feed back what happened."""

    request: HttpRequest
    delay: float = 0.0


@dataclass(frozen=True, slots=True)
class Finished:
    """The upload is complete; ``file`` is the server's resource (``None`` if cancelled)."""

    file: File | None


Step = Send | Finished


def _round_chunk(chunk_size: int, granularity: int) -> int:
    return max(granularity, chunk_size - chunk_size % granularity)


class ResumableUpload:
    """One resumable upload; see the module docstring for the protocol.

    Args:
        source: the bytes to send.
        start_url: ``{base}/upload/{version}/files``.
        mime_type: sent as ``X-Goog-Upload-Header-Content-Type``.
        display_name: the file's display name (optional).
        headers: added to every request (credentials, user agent); a callable is
            called for each request, so expiring tokens stay fresh.
        chunk_size: bytes per chunk, rounded down to the granularity (default 8 MiB).
        max_interruptions: interruptions in a row without progress before giving up.
        on_progress: called with ``(bytes acknowledged by the server, total)``.
        backoff: ``attempt -> seconds`` to wait before resuming (default 0.5 * 2**n, max 8).
    """

    def __init__(
        self,
        source: ByteSource,
        *,
        start_url: str,
        mime_type: str,
        display_name: str | None = None,
        headers: Mapping[str, str] | Callable[[], Mapping[str, str]] | None = None,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        max_interruptions: int = 8,
        on_progress: ProgressCallback | None = None,
        backoff: Callable[[int], float] | None = None,
    ) -> None:
        if isinstance(chunk_size, bool) or not isinstance(chunk_size, int):
            raise LocalError(
                "chunk_size: must be an integer number of bytes (e.g. 8 * 1024 * 1024), "
                f"got {chunk_size!r}"
            )
        if chunk_size < 1:
            raise LocalError(f"chunk_size: must be positive, got {chunk_size}")
        if display_name is not None and not isinstance(display_name, str):
            raise LocalError(f"display_name: must be a string, got {type(display_name).__name__}")
        if source.size < 1:
            raise LocalError("file: is empty (0 bytes); the Files API stores no empty files")
        self.source = source
        self.total = source.size
        self.start_url = start_url
        self.mime_type = mime_type
        self.display_name = display_name
        self._headers = headers
        self._requested_chunk = chunk_size
        self.chunk_size = _round_chunk(chunk_size, GRANULARITY)
        self.max_interruptions = max_interruptions
        self.on_progress = on_progress
        self.backoff = backoff or (lambda n: min(8.0, 0.5 * 2 ** max(0, n - 1)))
        self.state = UploadState.START
        self.offset = 0  # bytes the server has acknowledged
        self.upload_url: str | None = None
        self.file: File | None = None
        self.interruptions = 0
        #: What interrupted the upload last (raised when the budget runs out).
        self.last_error: BaseException | None = None
        self._delay = 0.0
        self._cancel_requested = False
        self._last_sent_final = False

    # --- what to send next ---------------------------------------------------------

    def next_step(self) -> Step:
        """The request to send next, or ``Finished`` when the upload is over."""
        if self.state is UploadState.DONE:
            return Finished(self.file)
        if self.state is UploadState.CANCELLED:
            return Finished(None)
        if self.state is UploadState.FAILED:
            raise LocalError("the upload failed; start a new one")
        delay, self._delay = self._delay, 0.0
        if self.state is UploadState.START:
            return Send(self._start_request(), delay)
        if self.state is UploadState.UPLOADING:
            return Send(self._chunk_request(), delay)
        command = "query" if self.state is UploadState.QUERYING else "cancel"
        return Send(self._command_request(command), delay)

    def _common_headers(self) -> dict[str, str]:
        headers = self._headers() if callable(self._headers) else self._headers
        return dict(headers or {})

    def _start_request(self) -> HttpRequest:
        metadata = {"displayName": self.display_name} if self.display_name is not None else {}
        headers = {
            **self._common_headers(),
            "X-Goog-Upload-Protocol": "resumable",
            "X-Goog-Upload-Command": "start",
            "X-Goog-Upload-Header-Content-Length": str(self.total),
            "X-Goog-Upload-Header-Content-Type": self.mime_type,
            "Content-Type": "application/json",
        }
        body = json.dumps({"file": metadata}).encode()
        # A repeated start only leaves an unused session behind: safe to retry.
        return HttpRequest("POST", self.start_url, headers, body, idempotent=True)

    def _chunk_request(self) -> HttpRequest:
        length = min(self.chunk_size, self.total - self.offset)
        data = self.source.read_at(self.offset, length)
        if len(data) != length:
            raise SourceChangedError(
                f"source: asked for {length} bytes at offset {self.offset}, got {len(data)} "
                "(did the file change size during the upload?)"
            )
        final = self.offset + length >= self.total
        self._last_sent_final = final
        headers = {
            **self._common_headers(),
            "X-Goog-Upload-Command": "upload, finalize" if final else "upload",
            "X-Goog-Upload-Offset": str(self.offset),
            "Content-Type": "application/octet-stream",
        }
        return HttpRequest("POST", self._url(), headers, data, idempotent=False)

    def _command_request(self, command: str) -> HttpRequest:
        headers = {**self._common_headers(), "X-Goog-Upload-Command": command}
        return HttpRequest("POST", self._url(), headers, b"", idempotent=command == "query")

    def _url(self) -> str:
        if self.upload_url is None:  # pragma: no cover - guarded by the state table
            raise LocalError("no upload URL yet")
        return self.upload_url

    # --- what came back -------------------------------------------------------------

    def cancel(self) -> None:
        """Ask for the upload to be cancelled: the next request is the cancel command."""
        if self.state in (UploadState.DONE, UploadState.CANCELLED, UploadState.FAILED):
            return
        self._cancel_requested = True
        self.state = UploadState.CANCELLING if self.upload_url else UploadState.CANCELLED

    def receive_error(self, error: BaseException) -> None:
        """Feed back an exception from sending the last request.

        Transport errors (connection refused or reset, timeout) interrupt the
        upload and lead to a query; anything else is re-raised.
        """
        if not isinstance(error, TransportError) or self.state is UploadState.CANCELLING:
            self.state = UploadState.FAILED
            raise error
        self._interrupted(error, None)

    def receive_response(self, response: HttpResponse) -> None:
        """Feed back the response to the last request."""
        if not response.is_success:
            error = api_error_from_response(response)
            retryable = response.status in RETRYABLE_STATUSES
            if retryable and self.state is not UploadState.CANCELLING:
                self._interrupted(error, error.retry_delay)
                return
            self.state = UploadState.FAILED
            raise error
        self._advance(self._classify(response))

    def _classify(self, response: HttpResponse) -> _Outcome:
        headers = response.headers
        if self.state is UploadState.START:
            url = headers.get("x-goog-upload-url")
            if not url:
                raise self._fail(ProtocolError("the start answer has no X-Goog-Upload-URL header"))
            self.upload_url = urljoin(self.start_url, url)
            # The key (in the headers) and the file go only where the client was
            # configured to send them: another origin, or plain http to another
            # machine, is refused rather than sent without the key (R3).
            refusal = credential_refusal(self.upload_url, self.start_url)
            if refusal is not None:
                raise self._fail(
                    ProtocolError(f"the upload URL the server gave is refused: {refusal}")
                )
            granularity = parse_header_int(headers.get("x-goog-upload-chunk-granularity"))
            if granularity:
                self.chunk_size = _round_chunk(self._requested_chunk, granularity)
            return _Outcome.STARTED
        status = headers.get("x-goog-upload-status", "").strip().lower()
        if status == "final":
            self.file = self._file_from(response)
            if self.file is None:
                # Success is only what the server shows: ask for the File.
                return _Outcome.INTERRUPTED
            self._set_offset(self.total)
            return _Outcome.FINAL
        if status == "cancelled":
            return _Outcome.CANCELLED
        if status not in ("active", ""):
            raise self._fail(ProtocolError(f"unknown X-Goog-Upload-Status {status!r}"))
        received = headers.get("x-goog-upload-size-received")
        if received is not None:
            count = parse_header_int(received)
            if count is None or count > self.total:
                raise self._fail(
                    ProtocolError(f"invalid X-Goog-Upload-Size-Received {received!r:.60}")
                )
            self._set_offset(count)
        elif self.state is UploadState.UPLOADING:
            self._set_offset(min(self.total, self.offset + self.chunk_size))
        elif self.state is UploadState.QUERYING:
            raise self._fail(ProtocolError("the query answer has no X-Goog-Upload-Size-Received"))
        if self.state is UploadState.UPLOADING and self._last_sent_final:
            # We finalized but the server is still active: find out why before going on.
            return _Outcome.INTERRUPTED
        return _Outcome.ACTIVE

    def _file_from(self, response: HttpResponse) -> File | None:
        if not response.body.strip():
            return None
        payload = response.json(what="the uploaded File")
        if not isinstance(payload, dict) or "file" not in payload:
            raise self._fail(ProtocolError("the final answer has no 'file' object"))
        return File.from_json(payload["file"])

    def _advance(self, outcome: _Outcome) -> None:
        following = _TRANSITIONS.get((self.state, outcome))
        if following is None:
            raise self._fail(
                ProtocolError(f"unexpected {outcome.value!r} answer in state {self.state.value!r}")
            )
        if outcome is _Outcome.INTERRUPTED:
            self._interrupted(ProtocolError("the server did not confirm the upload"), None)
            return
        if following is UploadState.CANCELLED and not self._cancel_requested:
            self.state = UploadState.FAILED
            raise UploadCancelledError("the server cancelled the upload session")
        self.state = following

    def _interrupted(self, error: BaseException, retry_delay: float | None) -> None:
        self.last_error = error
        self.interruptions += 1
        if self.interruptions > self.max_interruptions:
            self.state = UploadState.FAILED
            raise error
        following = _TRANSITIONS[(self.state, _Outcome.INTERRUPTED)]
        self.state = following
        self._delay = retry_delay if retry_delay is not None else self.backoff(self.interruptions)

    def _set_offset(self, offset: int) -> None:
        if offset > self.offset:
            self.interruptions = 0  # progress: the count of failures in a row restarts
        if offset != self.offset or offset == self.total:
            self.offset = offset
            if self.on_progress is not None:
                self.on_progress(offset, self.total)

    def _fail(self, error: Exception) -> Exception:
        self.state = UploadState.FAILED
        return error
