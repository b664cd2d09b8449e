"""The emulator's HTTP plumbing: a bounded ``ThreadingHTTPServer`` and its request handler.

The handler reads one request (with a size limit), asks the fault plan what
to do to it, checks the API key, hands an ``Incoming`` value to the router,
and writes the answer: a fixed-length response, or a chunked one for streams
(so that a stream cut in the middle is visible to the client as an
incomplete body, never as a clean end). The server caps its worker threads
and, on stop, shuts down every open connection so that idle keep-alive
connections do not hold it up.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from gemini_vision.api.secrets import request_secrets
from gemini_vision.testing._faults import CutPoint, Faults, InjectedFaults
from gemini_vision.testing._protocol import ApiFailure, Incoming, Streamed, retry_info, rpc_error
from gemini_vision.wire.http import (
    REDACTED,
    Headers,
    HttpRequest,
    HttpResponse,
    redact_url,
    scrub_values,
)

__all__ = ["EmulatorServer", "RecordedRequest"]

Router = Callable[[Incoming], HttpResponse | Streamed]
PartialUpload = Callable[[Incoming, bytes], None]


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """One request the emulator received (headers redacted; body kept up to 64 KiB)."""

    method: str
    path: str
    query: str
    headers: Headers
    body: bytes
    body_size: int


class EmulatorServer(ThreadingHTTPServer):
    """A threaded HTTP server with a thread cap and a clean stop."""

    daemon_threads = False
    block_on_close = True
    allow_reuse_address = True

    def __init__(
        self,
        address: tuple[str, int],
        *,
        router: Router,
        authorize: Callable[[Incoming], ApiFailure | None],
        partial_upload: PartialUpload,
        faults: Faults,
        max_request_bytes: int,
        max_threads: int,
    ) -> None:
        self.router = router
        self.authorize = authorize
        self.partial_upload = partial_upload
        self.faults = faults
        self.max_request_bytes = max_request_bytes
        self.stopping = threading.Event()
        self.log: list[RecordedRequest] = []
        self.log_lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(max_threads)
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        super().__init__(address, _Handler)

    @property
    def base_url(self) -> str:
        """``http://host:port`` of the listening socket."""
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self._slots.acquire(timeout=10):
            self.shutdown_request(request)
            return
        with self._open_lock:
            self._open.add(request)
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._release(request)
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._release(request)

    def _release(self, request: Any) -> None:
        with self._open_lock:
            self._open.discard(request)
        self._slots.release()

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hangs up mid-request is normal in fault tests: stay quiet.
        return

    def close_connections(self) -> None:
        """Shut down every open connection (their handler threads then end)."""
        self.stopping.set()
        with self._open_lock:
            sockets = list(self._open)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "gemini-vision-emulator"
    timeout = 30  # an idle keep-alive connection is closed after this many seconds
    server: EmulatorServer

    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_PUT(self) -> None:
        self._handle()

    def do_PATCH(self) -> None:
        self._handle()

    def do_DELETE(self) -> None:
        self._handle()

    def _handle(self) -> None:
        server = self.server
        headers = Headers(list(self.headers.items()))
        upload_chunk = "upload" in headers.get("x-goog-upload-command", "").lower()
        plan = server.faults.take(f"{self.command} {self.path}", upload_chunk=upload_chunk)
        if plan.delay:
            server.stopping.wait(plan.delay)
        if plan.upload_stop_after is not None:
            self._stall_upload(headers, plan)
            return
        try:
            body = self._read_body(headers)
        except ApiFailure as failure:
            self.close_connection = True
            self._send(failure.response())
            return
        incoming = Incoming.build(self.command, self.path, headers, body, server.base_url)
        self._record(incoming)
        if plan.error is not None:
            self._send(_injected_error(plan))
            return
        denied = server.authorize(incoming)
        if denied is not None:
            self._send(denied.response())
            return
        try:
            answer = server.router(incoming)
        except ApiFailure as failure:
            answer = failure.response()
        except Exception as exc:  # a bug of the emulator: answer it, never drop the connection
            answer = rpc_error(500, f"The emulator failed on this request: {type(exc).__name__}")
        if plan.cut is CutPoint.BEFORE_RESPONSE:
            self._cut()
            return
        if isinstance(answer, Streamed):
            self._send_stream(answer, plan)
        else:
            self._send(answer, plan)

    def _read_body(self, headers: Headers) -> bytes:
        limit = self.server.max_request_bytes
        if "chunked" in headers.get("transfer-encoding", "").lower():
            return self._read_chunked(limit)
        raw = headers.get("content-length", "0").strip() or "0"
        if not raw.isdigit():
            raise ApiFailure(400, f"Invalid Content-Length {raw!r}.")
        length = int(raw)
        if length > limit:
            raise ApiFailure(413, f"Request body of {length} bytes is over the limit of {limit}.")
        return self.rfile.read(length)

    def _read_chunked(self, limit: int) -> bytes:
        data = bytearray()
        while True:
            size_line = self.rfile.readline(1024).split(b";", 1)[0].strip()
            try:
                size = int(size_line, 16)
            except ValueError:
                raise ApiFailure(400, "Malformed chunked request body.") from None
            if size == 0:
                while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                    pass
                return bytes(data)
            if len(data) + size > limit:
                raise ApiFailure(413, f"Request body is over the limit of {limit} bytes.")
            data += self.rfile.read(size)
            self.rfile.readline(1024)

    def _record(self, incoming: Incoming) -> None:
        # Secrets by value (R3): whatever credential the request carried, in a
        # header or a query parameter (named in any percent-encoding), is kept
        # out of the log's path, query and body as well as its headers.
        forms = request_secrets(
            HttpRequest(incoming.method, "http://h" + self.path, incoming.headers)
        )
        path, _, query = redact_url(self.path).partition("?")
        body = incoming.body[:65536]
        for form in forms:
            body = body.replace(form.encode("utf-8"), REDACTED.encode("ascii"))
        record = RecordedRequest(
            incoming.method,
            scrub_values(path, forms),
            scrub_values(query, forms),
            incoming.headers.redacted(),
            body,
            len(incoming.body),
        )
        with self.server.log_lock:
            self.server.log.append(record)

    def _stall_upload(self, headers: Headers, plan: InjectedFaults) -> None:
        """Read ``upload_stop_after`` bytes of the chunk, keep them, and drop the connection."""
        raw = headers.get("content-length", "0").strip()
        length = int(raw) if raw.isdigit() else 0
        keep = min(length, plan.upload_stop_after or 0)
        data = self.rfile.read(keep)
        incoming = Incoming.build(self.command, self.path, headers, data, self.server.base_url)
        self._record(incoming)
        if self.server.authorize(incoming) is None:
            self.server.partial_upload(incoming, data)
        self._cut()

    def _cut(self) -> None:
        self.close_connection = True
        try:
            self.wfile.flush()
            # Linger 0: the close sends a reset, as a dropped network path looks to a client.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _send(self, response: HttpResponse, plan: InjectedFaults | None = None) -> None:
        body = response.body
        self.send_response(response.status)
        for name, value in response.headers.items_all():
            if name.lower() not in ("content-length", "connection", "transfer-encoding"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if plan is not None and plan.cut in (CutPoint.MID_BODY, CutPoint.MID_STREAM) and body:
            self.wfile.write(body[: min(plan.cut_keep, max(0, len(body) - 1))])
            self._cut()
            return
        self.wfile.write(body)

    def _send_stream(self, response: Streamed, plan: InjectedFaults) -> None:
        self.send_response(response.status)
        for name, value in response.headers.items_all():
            self.send_header(name, value)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        cut_after = plan.cut_keep if plan.cut is CutPoint.MID_STREAM else None
        for index, chunk in enumerate(response.chunks):
            if cut_after is not None and index >= cut_after:
                self._cut()
                return
            self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
            self.wfile.flush()
            if plan.cut is CutPoint.MID_BODY and index == 0:
                self.wfile.write(b"ff\r\n" + chunk[:8])
                self._cut()
                return
        self.wfile.write(b"0\r\n\r\n")


def _injected_error(plan: InjectedFaults) -> HttpResponse:
    fault = plan.error
    if fault is None:  # pragma: no cover - only called with an error planned
        raise ValueError("no error fault planned")
    details = [] if fault.retry_delay is None else [retry_info(fault.retry_delay)]
    headers = {} if fault.retry_after_header is None else {"Retry-After": fault.retry_after_header}
    return rpc_error(fault.status, fault.message, details=details, headers=headers)
