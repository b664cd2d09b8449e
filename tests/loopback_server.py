"""A scripted HTTP server on 127.0.0.1 for transport and client tests.

Each test queues the replies it wants (``Reply``, ``Stream``, ``Cut``,
``Hangup``) and reads back the requests the server saw. The server is
bounded: every wait inside a handler ends when the server stops, and the
server stops itself after ``lifetime`` seconds even if a test forgets to.
"""

from __future__ import annotations

import socket
import threading
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Reply:
    """A complete response, optionally after a delay (bounded by the server's lifetime)."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass
class Stream:
    """A chunked response; before chunk i > 0 the server waits for ``gate`` if given."""

    chunks: list[bytes]
    status: int = 200
    headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": "text/event-stream"})
    gate: threading.Event | None = None
    cut_after: int | None = None  # drop the connection after this many chunks
    gate_timeout: float = 5.0
    gate_released: list[bool] = field(default_factory=list)  # filled by the server


@dataclass
class Cut:
    """Headers announcing ``declared`` body bytes, then only ``body``, then the socket closes."""

    body: bytes
    declared: int


@dataclass
class Hangup:
    """Read the request and close the connection without answering."""


Script = Reply | Stream | Cut | Hangup


@dataclass
class Seen:
    """A request as the server received it."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes


class LoopbackServer:
    """``with LoopbackServer() as server:`` -- ``server.url(path)``, ``server.queue(...)``."""

    def __init__(self, lifetime: float = 60.0) -> None:
        self.script: deque[Script] = deque()
        self.seen: list[Seen] = []
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass  # keep test output clean

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                with outer._lock:
                    outer.seen.append(
                        Seen(self.command, self.path, dict(self.headers.items()), body)
                    )
                    step = outer.script.popleft() if outer.script else None
                if step is None:
                    step = Reply(500, b'{"error": {"code": 500, "message": "nothing scripted"}}')
                outer._play(self, step)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _handle

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._timer = threading.Timer(lifetime, self.stop)
        self._timer.daemon = True

    def _play(self, handler: BaseHTTPRequestHandler, step: Script) -> None:
        if isinstance(step, Hangup):
            handler.close_connection = True
            handler.connection.shutdown(socket.SHUT_RDWR)
            return
        if isinstance(step, Reply):
            if step.delay and self.stopping.wait(step.delay):
                return
            handler.send_response(step.status)
            for name, value in step.headers.items():
                handler.send_header(name, value)
            handler.send_header("Content-Length", str(len(step.body)))
            handler.end_headers()
            if handler.command != "HEAD":
                handler.wfile.write(step.body)
            return
        if isinstance(step, Cut):
            handler.send_response(200)
            handler.send_header("Content-Length", str(step.declared))
            handler.end_headers()
            handler.wfile.write(step.body)
            handler.wfile.flush()
            handler.close_connection = True
            handler.connection.shutdown(socket.SHUT_RDWR)
            return
        handler.send_response(step.status)
        for name, value in step.headers.items():
            handler.send_header(name, value)
        handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        for index, chunk in enumerate(step.chunks):
            if step.cut_after is not None and index >= step.cut_after:
                handler.wfile.flush()
                handler.close_connection = True
                handler.connection.shutdown(socket.SHUT_RDWR)
                return
            if index > 0 and step.gate is not None:
                released = step.gate.wait(step.gate_timeout)
                step.gate_released.append(released)
            handler.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
            handler.wfile.flush()
        handler.wfile.write(b"0\r\n\r\n")
        handler.wfile.flush()

    def queue(self, *steps: Script) -> None:
        """Append replies to the script, played one per request in order."""
        with self._lock:
            self.script.extend(steps)

    @property
    def port(self) -> int:
        """The port the server listens on."""
        return int(self.httpd.server_address[1])

    def url(self, path: str = "/") -> str:
        """An absolute URL on this server."""
        return f"http://127.0.0.1:{self.port}{path}"

    def stop(self) -> None:
        """Stop serving and wake every waiting handler."""
        self.stopping.set()
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> LoopbackServer:
        self._thread.start()
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()
        if not self.stopping.is_set():
            self.stop()
        self._thread.join(timeout=5)


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def iter_gate(stream: Iterator[bytes], gate: threading.Event) -> Iterator[bytes]:
    """Yield the first chunk, then open ``gate`` so the server sends the rest."""
    first = True
    for chunk in stream:
        yield chunk
        if first:
            first = False
            gate.set()
