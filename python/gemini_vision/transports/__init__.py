"""Transports: what carries requests built by the sans-I/O core to a server (X1, X2).

* ``Transport`` / ``AsyncTransport`` -- the protocol: one method, ``send``;
  ``stream`` is optional (see ``base.open_stream``).
* ``UrllibTransport`` -- standard library, the default; ``AsyncUrllibTransport``
  runs it in worker threads.
* ``HttpxTransport`` / ``AsyncHttpxTransport`` -- over httpx (extra ``httpx``).
* ``RecordingTransport`` / ``ReplayTransport`` and their ``Async`` twins --
  cassettes for tests and benchmarks, secrets scrubbed.

httpx is imported only when an httpx transport is made.

>>> from gemini_vision.transports import Transport, UrllibTransport
>>> isinstance(UrllibTransport(), Transport)
True
"""

from __future__ import annotations

from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gemini_vision.transports.base import (
        AsyncStreamingResponse,
        AsyncTransport,
        StreamingResponse,
        Transport,
        aopen_stream,
        open_stream,
    )
    from gemini_vision.transports.cassette import (
        AsyncRecordingTransport,
        AsyncReplayTransport,
        RecordingTransport,
        ReplayTransport,
    )
    from gemini_vision.transports.httpx_transport import AsyncHttpxTransport, HttpxTransport
    from gemini_vision.transports.threaded import AsyncUrllibTransport, ThreadedAsyncTransport
    from gemini_vision.transports.urllib_transport import UrllibTransport

# Each name's module, imported on first use: the urllib transport pulls in
# http.client, email and ssl, the threaded one concurrent.futures and logging,
# and ``gemini_vision.client`` needs none of them until its first request.
_HOME = {
    "AsyncStreamingResponse": "base",
    "AsyncTransport": "base",
    "StreamingResponse": "base",
    "Transport": "base",
    "aopen_stream": "base",
    "open_stream": "base",
    "AsyncRecordingTransport": "cassette",
    "AsyncReplayTransport": "cassette",
    "RecordingTransport": "cassette",
    "ReplayTransport": "cassette",
    "AsyncHttpxTransport": "httpx_transport",
    "HttpxTransport": "httpx_transport",
    "AsyncUrllibTransport": "threaded",
    "ThreadedAsyncTransport": "threaded",
    "UrllibTransport": "urllib_transport",
}


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module 'gemini_vision.transports' has no attribute {name!r}")
    value = getattr(_module(home), name)
    globals()[name] = value
    return value


def _module(home: str) -> ModuleType:
    # Plain import statements (not import_module), so the import graph sees them.
    if home == "base":
        from gemini_vision.transports import base

        return base
    if home == "cassette":
        from gemini_vision.transports import cassette

        return cassette
    if home == "httpx_transport":
        from gemini_vision.transports import httpx_transport

        return httpx_transport
    if home == "threaded":
        from gemini_vision.transports import threaded

        return threaded
    from gemini_vision.transports import urllib_transport

    return urllib_transport


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


__all__ = [
    "AsyncHttpxTransport",
    "AsyncRecordingTransport",
    "AsyncReplayTransport",
    "AsyncStreamingResponse",
    "AsyncTransport",
    "AsyncUrllibTransport",
    "HttpxTransport",
    "RecordingTransport",
    "ReplayTransport",
    "StreamingResponse",
    "ThreadedAsyncTransport",
    "Transport",
    "UrllibTransport",
    "aopen_stream",
    "open_stream",
]
